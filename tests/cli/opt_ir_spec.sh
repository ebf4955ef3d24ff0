#!/usr/bin/env bash
# Builds the optimizing backend's IR for every function of every module in
# the core spec suite (SIMD scripts aside), in guard and bounds-check mode,
# with the IR verifier on between passes. One PASS/FAIL line.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
spec=$root/../shared/spec/core
build=${BUILD:-$root/build}
bin=$build/tests/opt_ir
[ -x "$bin" ] || { echo "FAIL opt_ir_spec: $bin not built"; exit 1; }
[ -d "$spec" ] || { echo "FAIL opt_ir_spec: no spec tests at $spec"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "$spec"/*.wast; do
    n=$(basename "$f" .wast)
    [[ $n == simd_* ]] && continue
    wast2json --enable-all "$f" -o "$tmp/$n.json" >/dev/null 2>&1 ||
        echo "FAIL opt_ir_spec/$n: wast2json failed"
done
shopt -s nullglob
mods=("$tmp"/*.wasm)
[ ${#mods[@]} -gt 1000 ] || { echo "FAIL opt_ir_spec: only ${#mods[@]} modules"; exit 1; }
"$bin" "${mods[@]}" | sed 's/^PASS opt_ir files/PASS opt_ir_spec: all modules/'
