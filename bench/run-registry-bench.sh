#!/usr/bin/env bash
# The registry benchmark (issue 2): builds, then runs RegistryBench in one JVM.
#   bench/run-registry-bench.sh [IMAGES]     (default 100000)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
rm -rf "$ROOT/bench/target/lib"
mvn -B -q -Dmaven.test.skip=true -pl bench -am package dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$ROOT/bench/target/lib" >&2
v=$(java -version 2>&1 | head -1 | sed -E 's/.*version "([0-9]+).*/\1/')
extra=""; [ "${v:-17}" -ge 22 ] && extra="--enable-native-access=ALL-UNNAMED"
# shellcheck disable=SC2086
exec java -Xmx4g -XX:+UseParallelGC $extra -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "$ROOT/bench/target/classes:$ROOT/bench/target/lib/*" io.glint.bench.RegistryBench "$@"
