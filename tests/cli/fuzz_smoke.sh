#!/usr/bin/env bash
# Builds the decode+validate fuzzer (make fuzz) and runs it for 60 seconds
# from the spec seed corpus; a crash, leak, timeout or broken property is a
# FAIL. Runs for the release tree only (it builds its own sanitized copy).
set -u
cd "$(dirname "$0")/../.."
if [ "${BUILD:-build}" != build ]; then
    echo "PASS fuzz-smoke (runs with the release tree only)"
    exit 0
fi
if ! make -s fuzz >/dev/null 2>&1; then
    echo "FAIL fuzz-smoke: make fuzz failed"
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
regressions=()
[ -d tests/fuzz/regressions ] && regressions=(tests/fuzz/regressions)
build/fuzz/fuzz_validate "$work/corpus" build/fuzz/seeds "${regressions[@]}" \
    -max_total_time=60 -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/" -print_final_stats=1 >"$work/log" 2>&1
rc=$?
if [ $rc -ne 0 ]; then
    for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
        [ -f "$a" ] && cp "$a" build/fuzz/
    done
    echo "FAIL fuzz-smoke: fuzzer exit status $rc; inputs copied to build/fuzz/: $(grep -m1 -E 'ERROR|SUMMARY|deadly' "$work/log")"
    exit 1
fi
echo "PASS fuzz-smoke ($(grep -m1 -o 'stat::number_of_executed_units: [0-9]*' "$work/log" | cut -d' ' -f2) runs)"
