#!/usr/bin/env bash
# Runs every test against each build tree given (default: build) and prints
# "N passed, N failed" last. A test is a unit binary in BUILD/tests/ or a
# script tests/cli/*.sh (run with TRIDENT and BUILD set). Each prints lines
# "PASS name" or "FAIL name: why"; a test that exits non-zero without a FAIL
# line counts as one failure. A test that cannot run here (a download
# that is unreachable) prints "SKIP name: why": counted apart, never as a
# pass. Tests run in parallel, one per core.
set -u
cd "$(dirname "$0")/.."
builds=("$@")
[ ${#builds[@]} -eq 0 ] && builds=(build)
jobs=${JOBS:-$(nproc)}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export XDG_CACHE_HOME=$out/cache # the compiled-code cache: never the user's
mkdir -p "$out/logs"

run_one() { # out-file label command...
    local file=$1 label=$2
    shift 2
    local log=${file%/*}/logs/${file##*/}
    "$@" >"$log" 2>&1
    local rc=$?
    grep -E '^(PASS|FAIL|SKIP) ' "$log" | sed "s|^\(PASS\|FAIL\|SKIP\) |\1 [$label] |" >"$file"
    if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$file"; then
        echo "FAIL [$label] $*: exit status $rc" >>"$file"
        tail -n 20 "$log" | sed 's/^/    /' >>"$file"
    fi
    grep -q . "$file" || echo "FAIL [$label] $*: printed no result" >>"$file"
}
export -f run_one

list=$out/list
n=0
for b in "${builds[@]}"; do
    label=$(basename "$b")
    [ "$b" = build ] && label=release
    for t in "$b"/tests/*; do
        [ -x "$t" ] && [ -f "$t" ] || continue
        n=$((n + 1))
        printf '%s\0%s\0%s\0' "$out/r$n" "$label" "$t" >>"$list"
    done
    for s in tests/cli/*.sh; do
        [ -f "$s" ] || continue
        n=$((n + 1))
        printf '%s\0%s\0%s\0' "$out/r$n" "$label" "env TRIDENT=$b/trident BUILD=$b bash $s" >>"$list"
    done
done

if [ -s "$list" ]; then
    xargs -0 -n 3 -P "$jobs" bash -c 'run_one "$0" "$1" ${2}' <"$list"
fi

cat "$out"/r* 2>/dev/null | grep -v '^PASS ' || true
pass=$(cat "$out"/r* 2>/dev/null | grep -c '^PASS ')
fail=$(cat "$out"/r* 2>/dev/null | grep -c '^FAIL ')
skip=$(cat "$out"/r* 2>/dev/null | grep -c '^SKIP ')
[ "$skip" -eq 0 ] || echo "$skip skipped (not counted)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
