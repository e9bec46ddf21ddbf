#!/usr/bin/env bash
# The node benchmark (issue 3): Glint beside the reference Glance and the raw disk, in one run.
#
#   bench/run-node-bench.sh            the full run: 100 MiB and 1 GiB images, lists at 10,000 images
#   bench/run-node-bench.sh --quick    a short development run: 10 MiB and 100 MiB, lists at 1,000 images
#   bench/run-node-bench.sh --data-only  only the image data phases (upload, download, raw disk) and memory
#
# Builds the bench (and, through bin/glint, the node), starts a fresh Glint node and a fresh
# reference Glance (Debian glance-api 25, /work/shared/tools/reference-glance-start.sh) on
# 127.0.0.1, runs NodeBench against both, stops both (also on Ctrl-C or failure) and prints the
# report on stdout (progress goes to stderr). Needs: JDK 17+, Maven, glance-api, curl, dd, sync.
#
# Knobs (environment):
#   GLINT_BENCH_PORT       Glint's HTTP port                      (default 9392)
#   GLINT_BENCH_RAFT_PORT  Glint's registry (Raft) port           (default 9495)
#   GLANCE_BENCH_PORT      Glance's port                          (default 9394)
#   GLANCE_BENCH_WORKERS   Glance API worker processes            (default 2)
#   GLINT_BENCH_DIR        Glint's data, logs and the dd files    (default bench/target/node-bench; wiped)
#   GLANCE_BENCH_STATE     Glance's state dir                     (default /tmp/refglance-bench; wiped)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
GLANCE_TOOLS=/work/shared/tools

die() { echo "node-bench: $*" >&2; exit 2; }

MODE=()
for arg in "$@"; do
  case "$arg" in
    --quick) MODE+=(--quick) ;;
    --data-only) MODE+=(--data-only) ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument $arg (usage: bench/run-node-bench.sh [--quick] [--data-only])" ;;
  esac
done

GLINT_PORT="${GLINT_BENCH_PORT:-9392}"
GLINT_RAFT_PORT="${GLINT_BENCH_RAFT_PORT:-9495}"
GLANCE_PORT="${GLANCE_BENCH_PORT:-9394}"
GLANCE_WORKERS="${GLANCE_BENCH_WORKERS:-2}"
WORK="${GLINT_BENCH_DIR:-$ROOT/bench/target/node-bench}"
GLANCE_STATE="${GLANCE_BENCH_STATE:-/tmp/refglance-bench}"

for cmd in java mvn glance-api glance-manage curl dd sync; do
  command -v "$cmd" >/dev/null || die "'$cmd' is needed (glance-api and glance-manage come with the Debian package glance-api)"
done
[ -f "$GLANCE_TOOLS/reference-glance-start.sh" ] || die "missing $GLANCE_TOOLS/reference-glance-start.sh"
case "$WORK" in /|"") die "refusing GLINT_BENCH_DIR '$WORK'" ;; esac
if [ -e "$WORK" ] && [ ! -f "$WORK/glint.yaml" ] && [ -n "$(ls -A "$WORK" 2>/dev/null)" ]; then
  die "$WORK is not empty and holds no glint.yaml, so it is not a node-bench dir; it is wiped at start, choose another GLINT_BENCH_DIR"
fi
if [ -f "$WORK/glint.pid" ] && kill -0 "$(cat "$WORK/glint.pid")" 2>/dev/null; then
  die "a Glint from an earlier node-bench run is still running (pid $(cat "$WORK/glint.pid")); stop it with: kill $(cat "$WORK/glint.pid")"
fi

# A port is busy when something accepts a connection on it.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$GLINT_PORT" "$GLINT_RAFT_PORT" "$GLANCE_PORT"; do
  if port_busy "$p"; then
    die "port $p on 127.0.0.1 is busy; free it or choose others with GLINT_BENCH_PORT, GLINT_BENCH_RAFT_PORT, GLANCE_BENCH_PORT"
  fi
done
[ "$GLINT_PORT" != "$GLANCE_PORT" ] && [ "$GLINT_PORT" != "$GLINT_RAFT_PORT" ] && [ "$GLANCE_PORT" != "$GLINT_RAFT_PORT" ] \
  || die "the three ports must differ"

GLINT_PID=""
GLANCE_STARTED=0
DRIVER_PID=""
cleanup() {
  local rc=$?
  set +e
  if [ -n "$DRIVER_PID" ] && kill -0 "$DRIVER_PID" 2>/dev/null; then
    kill -TERM "$DRIVER_PID"
    wait "$DRIVER_PID" 2>/dev/null
  fi
  if [ -n "$GLINT_PID" ] && kill -0 "$GLINT_PID" 2>/dev/null; then
    kill -TERM "$GLINT_PID"
    for _ in $(seq 1 60); do kill -0 "$GLINT_PID" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$GLINT_PID" 2>/dev/null && kill -KILL "$GLINT_PID"
    wait "$GLINT_PID" 2>/dev/null
    echo "node-bench: Glint stopped (pid $GLINT_PID)" >&2
  fi
  rm -f "$WORK/glint.pid"
  if [ "$GLANCE_STARTED" = 1 ] && [ -f "$GLANCE_STATE/glance-api.pid" ]; then
    bash "$GLANCE_TOOLS/reference-glance-stop.sh" "$GLANCE_STATE" >&2
  fi
  # Keep the logs, drop the bulk (image data, dd files).
  rm -rf "$WORK/glint-data" "$WORK/raw"
  [ "$GLANCE_STARTED" = 1 ] && rm -rf "$GLANCE_STATE/stores" "$GLANCE_STATE/staging"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "node-bench: building the bench ..." >&2
rm -rf "$ROOT/bench/target/lib"
(cd "$ROOT" && mvn -B -q -Dmaven.test.skip=true -pl bench -am package dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$ROOT/bench/target/lib") >&2

rm -rf "$WORK"
mkdir -p "$WORK/glint-data" "$WORK/raw"
# Both servers keep every measured image until the end, beside the dd files: a full or data-only run
# peaked at 13.2 GiB on one file system here. Fail now rather than with ENOSPC ten minutes in.
NEED_GIB=15
for m in "${MODE[@]}"; do [ "$m" = --quick ] && NEED_GIB=3; done
FREE_GIB=$(( $(df -Pk "$WORK" | awk 'NR == 2 { print $4 }') / 1024 / 1024 ))
[ "$FREE_GIB" -ge "$NEED_GIB" ] \
  || die "the run needs about $NEED_GIB GiB free for $WORK and $GLANCE_STATE; $(df -Pk "$WORK" | awk 'NR == 2 { print $6 }') has $FREE_GIB GiB"
cat > "$WORK/glint.yaml" <<EOF
# Written by bench/run-node-bench.sh: one node alone, like cluster-configs/single-node.yaml, on the bench's ports.
node:
  id: bench-1
  dataDir: $WORK/glint-data
http:
  host: 127.0.0.1
  port: $GLINT_PORT
raft:
  host: 127.0.0.1
  port: $GLINT_RAFT_PORT
  peers: [bench-1@127.0.0.1:$GLINT_RAFT_PORT]
  voters: 3
  clusterName: glint-node-bench
auth:
  mode: noauth
  defaultProject: admin-project
EOF

healthy() { curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://127.0.0.1:$1/healthcheck" | grep -q '^200$'; }

echo "node-bench: starting Glint on 127.0.0.1:$GLINT_PORT (bin/glint node builds it first if needed) ..." >&2
# bin/glint execs java, so this pid is the node's JVM.
"$ROOT/bin/glint" node --config "$WORK/glint.yaml" >"$WORK/glint.log" 2>&1 &
GLINT_PID=$!
echo "$GLINT_PID" > "$WORK/glint.pid"
for _ in $(seq 1 1200); do
  healthy "$GLINT_PORT" && break
  kill -0 "$GLINT_PID" 2>/dev/null || { tail -30 "$WORK/glint.log" >&2; die "Glint exited during start-up; log above ($WORK/glint.log)"; }
  sleep 0.5
done
healthy "$GLINT_PORT" || die "Glint did not answer within 10 min; see $WORK/glint.log"
echo "node-bench: Glint is up (pid $GLINT_PID, log $WORK/glint.log)" >&2

echo "node-bench: starting the reference Glance on 127.0.0.1:$GLANCE_PORT with $GLANCE_WORKERS workers ..." >&2
if [ -f "$GLANCE_STATE/glance-api.pid" ] && kill -0 "$(cat "$GLANCE_STATE/glance-api.pid")" 2>/dev/null; then
  die "a Glance runs from $GLANCE_STATE (pid $(cat "$GLANCE_STATE/glance-api.pid")); choose another GLANCE_BENCH_STATE"
fi
# From here on a pid file in GLANCE_STATE is this run's Glance, which cleanup stops.
GLANCE_STARTED=1
GLANCE_PORT="$GLANCE_PORT" GLANCE_WORKERS="$GLANCE_WORKERS" \
  bash "$GLANCE_TOOLS/reference-glance-start.sh" "$GLANCE_STATE" >&2
GLANCE_PID="$(cat "$GLANCE_STATE/glance-api.pid")"

v=$(java -version 2>&1 | head -1 | sed -E 's/.*version "([0-9]+).*/\1/')
extra=""; [ "${v:-17}" -ge 22 ] && extra="--enable-native-access=ALL-UNNAMED"
# jdk.httpclient.bufsize: the JDK client's 16 KiB default read buffers cap its downloads well below
# what either server sends over loopback; 1 MiB roughly doubles that ceiling (curl cross-checks it).
# shellcheck disable=SC2086
java -Xmx512m -XX:+UseParallelGC $extra -Djdk.httpclient.bufsize=1048576 -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "$ROOT/bench/target/classes:$ROOT/bench/target/lib/*" io.glint.bench.NodeBench \
    --glint-url "http://127.0.0.1:$GLINT_PORT" --glint-pid "$GLINT_PID" \
    --glance-url "http://127.0.0.1:$GLANCE_PORT" --glance-pid "$GLANCE_PID" \
    --raw-dir "$WORK/raw" "${MODE[@]}" &
# In the background and waited for, so that INT/TERM reach the trap at once (it stops the driver too).
DRIVER_PID=$!
wait "$DRIVER_PID"
