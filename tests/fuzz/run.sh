#!/usr/bin/env bash
# Builds the decode+validate fuzzer and runs it for SECONDS on one core.
# New inputs accumulate in build/fuzz/corpus; crashes are written to
# build/fuzz/crash-* (turn each into a regression in tests/fuzz/regressions).
#   tests/fuzz/run.sh SECONDS [extra libFuzzer options]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:?usage: tests/fuzz/run.sh SECONDS}
shift
make -s fuzz
mkdir -p build/fuzz/corpus
regressions=()
[ -d tests/fuzz/regressions ] && regressions=(tests/fuzz/regressions)
exec build/fuzz/fuzz_validate build/fuzz/corpus build/fuzz/seeds "${regressions[@]}" \
    -max_total_time="$secs" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix=build/fuzz/ -print_final_stats=1 "$@"
