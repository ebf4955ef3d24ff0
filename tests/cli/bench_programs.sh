#!/usr/bin/env bash
# The benchmark programs (bench/programs/*.c), built small and run at size 1:
# in the release tree, the wasm32-wasi build must print what the native gcc
# -O2 build prints under node (TurboFan) and under each Trident backend that
# can already run WASI programs, both compiling in the run and from the
# .twasm `trident compile -o` made ahead; in a sanitizer tree, the native build under
# ASan+UBSan must print the same as gcc's (no undefined behaviour that the
# two compilers could resolve differently). One PASS/FAIL line per program.
set -u
cd "$(dirname "$0")/../.."
export PYTHONDONTWRITEBYTECODE=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
build=${BUILD:-build}
trident=${TRIDENT:-$build/trident}

if [ "$build" = build ]; then
    targets="native wasm"
    runners=native,v8-turbofan
    for b in singlepass optimizing llvm; do runners+=,trident-$b-jit,trident-$b-aot; done
else
    targets="native asan"
    runners=native,native-asan
fi
if ! TARGETS=$targets bash bench/build.sh "$tmp" >"$tmp/build.log" 2>&1; then
    echo "FAIL bench_programs: build failed"
    sed 's/^/    /' "$tmp/build.log" | tail -n 20
    exit 1
fi
# Backends that cannot run WASI yet are reported on stderr and left out.
python3 bench/measure.py --check --scale 1 --out "$tmp" --trident "$trident" --runners "$runners"
