#!/usr/bin/env bash
# The core spec suite on one backend: `trident wast --backend=$1` on every
# script, one PASS/FAIL line per script. A script passes when no command
# fails and none is skipped; the SIMD scripts (no backend supports SIMD yet)
# must skip cleanly. Scripts that use linear memory run a second time with
# --bounds-checks (explicit checks instead of guard pages). A backend that
# is not built in must say so, and that is checked instead.
# Called by the thin tests/cli/spec_<backend>.sh scripts.
set -u
backend=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
spec=$(cd "$root/../shared/spec/core" 2>/dev/null && pwd) || {
    echo "FAIL spec-$backend: no spec tests at $root/../shared/spec/core"
    exit 1
}
trident=${TRIDENT:-$root/build/trident}

if "$trident" run --help 2>&1 | grep -q "^backends:.* $backend (not built)"; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    echo '(module (func))' >"$tmp/m.wat"
    out=$("$trident" compile --backend="$backend" "$tmp/m.wat" 2>&1)
    if [ $? -ne 0 ] && grep -q 'not built in' <<<"$out"; then
        echo "PASS spec-$backend: backend not built in and reported so"
    else
        echo "FAIL spec-$backend: backend not built in, but compile said: $out"
    fi
    exit 0
fi

# One script, one line: name, 1 when the script is SIMD, an extra option
# (or nothing), the script.
check() {
    local name=$1 simd=$2 opt=$3 file=$4 out last
    out=$("$trident" wast --backend="$backend" ${opt:+"$opt"} "$file" 2>&1)
    last=$(tail -n 1 <<<"$out")
    if [[ $last =~ ^[0-9]+\ passed,\ 0\ failed,\ ([0-9]+)\ skipped$ ]] &&
        { [ "$simd" = 1 ] || [ "${BASH_REMATCH[1]}" = 0 ]; }; then
        echo "PASS $name"
    else
        echo "FAIL $name: $(grep -v '^[0-9]* passed' <<<"$out" | head -n 3 | tr '\n' ' ')$last"
    fi
}
export -f check
export trident backend

# Two scripts at a time: llvm's compiles dominate its run.
for f in "$spec"/*.wast; do
    n=$(basename "$f" .wast)
    simd=0
    [[ $n == simd_* ]] && simd=1
    printf '%s\0%s\0\0%s\0' "spec-$backend/$n" "$simd" "$f"
    if [ $simd = 0 ] && grep -q '(memory' "$f"; then
        printf '%s\0%s\0%s\0%s\0' "spec-$backend-bounds/$n" 0 --bounds-checks "$f"
    fi
done | xargs -0 -n 4 -P 2 bash -c 'check "$@"' _
