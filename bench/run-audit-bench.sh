#!/usr/bin/env bash
# Issue 5's benchmark, one command:
#   bench/run-audit-bench.sh                  4 images of 256 MiB, 10 download rounds per measurement
#   bench/run-audit-bench.sh --size-mib N --images N --rounds N
# Starts one Glint node on 127.0.0.1 (HTTP 9692, Raft 9792, peer 9892; data in
# bench/target/audit-bench), loads the images, then measures:
#   1. foreground downloads with the background auditor off;
#   2. a deep consistency audit at full speed: GB/s of chunk data re-hashed per node;
#   3. the node restarted with the auditor on at its default rate, deep-passing without pause
#      (audit.deepIntervalSeconds: 1), and the same downloads: the ratio to (1), target >= 0.90.
# Steps 1 and 3 run twice, in the order off, on, on, off, and the ratio compares the sums, so that
# neither the order nor a burst of other load on the machine favours one side.
# A trap stops the node and deletes the chunk data, keeping the logs.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${GLINT_AUDIT_BENCH_DIR:-$ROOT/bench/target/audit-bench}"
die() { echo "audit-bench: $*" >&2; exit 2; }

SIZE_MIB=256; IMAGES=4; ROUNDS=10
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) [ $# -ge 2 ] || die "--size-mib needs a number"; SIZE_MIB="$2"; shift 2 ;;
    --images) [ $# -ge 2 ] || die "--images needs a number"; IMAGES="$2"; shift 2 ;;
    --rounds) [ $# -ge 2 ] || die "--rounds needs a number"; ROUNDS="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done
for n in "$SIZE_MIB" "$IMAGES" "$ROUNDS"; do [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] || die "sizes and counts are numbers >= 1"; done
for port in 9692 9792 9892; do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && die "port $port is busy"; done

echo "audit-bench: building ..." >&2
rm -rf "$ROOT/bench/target/lib"
(cd "$ROOT" && mvn -B -q -Dmaven.test.skip=true -pl bench -am package dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$ROOT/bench/target/lib") >&2

rm -rf "$WORK"; mkdir -p "$WORK"
PID=""
stop() { [ -n "$PID" ] && { kill -9 "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }; PID=""; }
cleanup() { stop; rm -rf "$WORK/node-1/chunks"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

start() { # $1: the audit section of the config
  cat > "$WORK/node-1.yaml" <<YAML
# Written by bench/run-audit-bench.sh.
node:
  id: node-1
  dataDir: $WORK/node-1
http: {host: 127.0.0.1, port: 9692}
raft: {host: 127.0.0.1, port: 9792, peers: [node-1@127.0.0.1:9792], voters: 1, clusterName: glint-audit-bench}
peer: {host: 127.0.0.1, port: 9892, secret: audit-bench-secret}
$1
YAML
  "$ROOT/bin/glint" node --config "$WORK/node-1.yaml" >>"$WORK/node-1.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 600); do
    curl -s -o /dev/null --max-time 2 -w '%{http_code}' http://127.0.0.1:9692/healthcheck | grep -q '^200$' && return 0
    kill -0 "$PID" 2>/dev/null || { tail -30 "$WORK/node-1.log" >&2; die "the node exited; log above"; }
    sleep 0.5
  done
  die "the node did not answer within 5 min"
}

v=$(java -version 2>&1 | head -1 | sed -E 's/.*version "([0-9]+).*/\1/')
bench() {
  java -Xmx256m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$ROOT/bench/target/classes:$ROOT/bench/target/lib/*" \
      io.glint.bench.AuditBench "$@" --url http://127.0.0.1:9692 --ids "$WORK/images.txt" --size-mib "$SIZE_MIB" \
      --images "$IMAGES"
}

OFF="audit: {enabled: false, scanBytesPerSecond: 100GiB, scanFilesPerSecond: 1000000}"
ON="audit: {enabled: true, deepIntervalSeconds: 1, lightIntervalSeconds: 1}"
start "$OFF"
bench load
bench audit
sum_off=0; sum_on=0
measure() { # $1: off|on, $2: pass
  stop
  if [ "$1" = off ]; then start "$OFF"; else start "$ON"; sleep 2; fi # a deep pass starts with the node
  bench download --rounds 1 --label "(warm-up)" >/dev/null
  local mbps
  mbps=$(bench download --rounds "$ROUNDS" --label "auditor $1 (pass $2)" | tee /dev/stderr | sed -n 's/^MBPS=//p')
  if [ "$1" = off ]; then sum_off=$(awk -v a="$sum_off" -v b="$mbps" 'BEGIN { print a + b }')
  else sum_on=$(awk -v a="$sum_on" -v b="$mbps" 'BEGIN { print a + b }'); fi
}
# off, on, on, off: each side runs once first and once second after a restart.
measure off 1; measure on 1; measure on 2; measure off 2
awk -v on="$sum_on" -v off="$sum_off" 'BEGIN {
  r = on / off
  printf "foreground download with the auditor running at its default rate: %.3f x without it (loses %.1f%%; target <= 10%%): %s\n",
      r, (1 - r) * 100, (r >= 0.90 ? "MET" : "MISSED") }'
