#!/usr/bin/env bash
# The core spec suite run on the optimizing backend by `trident wast`, one
# PASS/FAIL line per script. A script passes when no command fails and none
# is skipped; the SIMD scripts, which the optimizing backend does not support, must
# skip cleanly (no failure). The scripts that use linear memory run a
# second time with --bounds-checks (explicit checks instead of guard pages).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
spec=$(cd "$root/../shared/spec/core" 2>/dev/null && pwd) || {
    echo "FAIL spec-optimizing: no spec tests at $root/../shared/spec/core"
    exit 1
}
trident=${TRIDENT:-$root/build/trident}

# Runs one script; $1 = test name, the rest = trident wast arguments.
check() {
    local name=$1 simd=$2
    shift 2
    local out last
    out=$("$trident" wast --backend=optimizing "$@" 2>&1)
    last=$(tail -n 1 <<<"$out")
    if [[ $last =~ ^[0-9]+\ passed,\ 0\ failed,\ ([0-9]+)\ skipped$ ]] &&
        { [ "$simd" = 1 ] || [ "${BASH_REMATCH[1]}" = 0 ]; }; then
        echo "PASS $name"
    else
        echo "FAIL $name: $(grep -v '^[0-9]* passed' <<<"$out" | head -n 3 | tr '\n' ' ')$last"
    fi
}

for f in "$spec"/*.wast; do
    n=$(basename "$f" .wast)
    simd=0
    [[ $n == simd_* ]] && simd=1
    check "spec-optimizing/$n" "$simd" "$f"
    if [ $simd = 0 ] && grep -q '(memory' "$f"; then
        check "spec-optimizing-bounds/$n" 0 --bounds-checks "$f"
    fi
done
