#!/usr/bin/env bash
# Issue 4's cluster benchmark, one command:
#   bench/run-cluster-bench.sh              a 1 GiB image
#   bench/run-cluster-bench.sh --size-mib N  another size (e.g. 256 for a quick run)
# Builds the bench (and, through bin/glint, the node), starts 4 Glint nodes on 127.0.0.1
# (HTTP 9692-9695, Raft 9792-9795, peer 9892-9895; data in bench/target/cluster-bench), runs
# ClusterBench against them, then stops them (a trap also does it on failure, Ctrl-C or SIGTERM)
# and deletes the chunk data, keeping the logs. Prints upload and download MB/s against the raw
# disk, the rebalancing time when a node joins, and the repair throughput after a node is killed.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${GLINT_CLUSTER_BENCH_DIR:-$ROOT/bench/target/cluster-bench}"
die() { echo "cluster-bench: $*" >&2; exit 2; }

SIZE_MIB=1024
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) [ $# -ge 2 ] || die "--size-mib needs a number"; SIZE_MIB="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument $1 (usage: bench/run-cluster-bench.sh [--size-mib N])" ;;
  esac
done
[[ "$SIZE_MIB" =~ ^[0-9]+$ ]] && [ "$SIZE_MIB" -ge 64 ] || die "--size-mib must be a number >= 64"

healthy() { curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://127.0.0.1:$1/healthcheck" | grep -q '^200$'; }
for i in 1 2 3 4; do
  for port in $((9691 + i)) $((9791 + i)) $((9891 + i)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && die "port $port is busy"
  done
done

rm -rf "$WORK"
mkdir -p "$WORK/raw"
# Disk at the peak: the dd file (one image size), three copies of the image and of the warm-up
# images, a fourth while node-4 takes its share and the old holders have not yet handed off, and
# the repaired copies beside the killed node's; plus logs and registries. Fail now rather than with
# ENOSPC minutes in, which would also skew every figure measured before it.
NEED_GIB=$(( (6 * SIZE_MIB + 1024 + 1023) / 1024 + 1 ))
FREE_GIB=$(( $(df -Pk "$WORK" | awk 'NR == 2 { print $4 }') / 1024 / 1024 ))
[ "$FREE_GIB" -ge "$NEED_GIB" ] \
  || die "the run needs about $NEED_GIB GiB free for $WORK; $(df -Pk "$WORK" | awk 'NR == 2 { print $6 }') has $FREE_GIB GiB"
echo "cluster-bench: building ..." >&2
rm -rf "$ROOT/bench/target/lib"
(cd "$ROOT" && mvn -B -q -Dmaven.test.skip=true -pl bench -am package dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$ROOT/bench/target/lib") >&2

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"/node-*/chunks "$WORK/raw"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

peers="node-1@127.0.0.1:9792, node-2@127.0.0.1:9793, node-3@127.0.0.1:9794, node-4@127.0.0.1:9795"
for i in 1 2 3 4; do
  cat > "$WORK/node-$i.yaml" <<YAML
# Written by bench/run-cluster-bench.sh: node $i of 4 (3 voters, 1 listener).
node:
  id: node-$i
  dataDir: $WORK/node-$i
http:
  host: 127.0.0.1
  port: $((9691 + i))
raft:
  host: 127.0.0.1
  port: $((9791 + i))
  peers: [$peers]
  voters: 3
  clusterName: glint-cluster-bench
peer:
  host: 127.0.0.1
  port: $((9891 + i))
  secret: cluster-bench-secret
replication:
  factor: 3
  writeAcks: 2
  heartbeatSeconds: 1
  downAfterSeconds: 5
  intervalSeconds: 2
  bytesPerSecond: 1GiB        # the repair runs unthrottled here: it measures the machine
YAML
  "$ROOT/bin/glint" node --config "$WORK/node-$i.yaml" >"$WORK/node-$i.log" 2>&1 &
  PIDS+=("$!")
done
for i in 1 2 3 4; do
  for _ in $(seq 1 600); do
    healthy $((9691 + i)) && break
    kill -0 "${PIDS[$((i - 1))]}" 2>/dev/null || { tail -30 "$WORK/node-$i.log" >&2; die "node-$i exited; log above"; }
    sleep 0.5
  done
  healthy $((9691 + i)) || die "node-$i did not answer within 5 min; see $WORK/node-$i.log"
done
echo "cluster-bench: 4 nodes up (pids ${PIDS[*]})" >&2

v=$(java -version 2>&1 | head -1 | sed -E 's/.*version "([0-9]+).*/\1/')
extra=""; [ "${v:-17}" -ge 22 ] && extra="--enable-native-access=ALL-UNNAMED"
# shellcheck disable=SC2086
java -Xmx256m $extra -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "$ROOT/bench/target/classes:$ROOT/bench/target/lib/*" io.glint.bench.ClusterBench \
    --nodes "http://127.0.0.1:9692,http://127.0.0.1:9693,http://127.0.0.1:9694,http://127.0.0.1:9695" \
    --chunk-dirs "$WORK/node-1/chunks/chunks,$WORK/node-2/chunks/chunks,$WORK/node-3/chunks/chunks,$WORK/node-4/chunks/chunks" \
    --pids "$(IFS=,; echo "${PIDS[*]}")" --raw-dir "$WORK/raw" --size-mib "$SIZE_MIB"
