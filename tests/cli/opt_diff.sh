#!/usr/bin/env bash
# Differential test of the optimizing backend against singlepass on random
# valid modules: binaryen's translate-to-fuzz turns fixed pseudo-random
# bytes into modules, and tests/unit/opt_diff runs every export on both
# backends and compares results, traps and logged values.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
bin=$build/tests/opt_diff
count=${OPT_DIFF_COUNT:-40}
[ -x "$bin" ] || { echo "FAIL opt_diff_fuzz: $bin not built"; exit 1; }
command -v wasm-opt >/dev/null || { echo "FAIL opt_diff_fuzz: wasm-opt (binaryen) missing"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp" "$count" <<'PY'
import random, sys
out, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    r = random.Random(1000 + i)
    with open(f"{out}/{i}.dat", "wb") as f:
        f.write(bytes(r.getrandbits(8) for _ in range(r.choice([1000, 4000, 16000]))))
PY
for ((i = 0; i < count; i++)); do
    wasm-opt "$tmp/$i.dat" -ttf -o "$tmp/$i.wasm" --mvp-features --enable-bulk-memory \
        --enable-sign-ext --enable-nontrapping-float-to-int --enable-mutable-globals \
        --enable-multivalue 2>/dev/null || echo "FAIL opt_diff_fuzz: wasm-opt failed on seed $i"
done
"$bin" "$tmp"/*.wasm
