#!/usr/bin/env bash
# The pathological shapes of bench/gen/pathological.py (what bench/linearity.sh
# times) at scale 1: each must validate, and run to the same result on
# singlepass and optimizing for a few arguments (ones the shape ends for:
# functions recurses without end for anything but 0).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
trident=${TRIDENT:-$root/build/trident}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
shapes=$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import pathological as p; print(" ".join(p.SHAPES))' \
    "$root/bench/gen") || { echo "FAIL gen_shapes: cannot list the shapes"; exit 1; }
fail=0
for shape in $shapes; do
    f=$tmp/$shape.wasm
    python3 "$root/bench/gen/pathological.py" "$shape" 1 "$f" || { echo "FAIL gen_shapes: $shape: generator failed"; fail=1; continue; }
    "$trident" validate "$f" || { echo "FAIL gen_shapes: $shape: invalid"; fail=1; continue; }
    case $shape in functions) args=0 ;; loops | straight) args="0 3" ;; *) args="0 7 6001" ;; esac
    for a in $args; do
        sp=$("$trident" run --no-cache --backend=singlepass --invoke run "$f" "$a" 2>&1)
        op=$("$trident" run --no-cache --backend=optimizing --invoke run "$f" "$a" 2>&1)
        if [ -z "$sp" ] || [ "$sp" != "$op" ]; then
            echo "FAIL gen_shapes: $shape $a: singlepass '$sp', optimizing '$op'"
            fail=1
        fi
    done
done
[ $fail = 0 ] && echo "PASS gen_shapes: $(echo $shapes | wc -w) shapes agree on singlepass and optimizing"
