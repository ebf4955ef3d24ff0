#!/usr/bin/env bash
# Compile time of the singlepass or the optimizing backend (BACKEND).
#
# 1. Linearity: each pathological shape of bench/gen/pathological.py (deep
#    nesting, a huge br_table, a br_table to many distinct targets, nested
#    loops, thousands of locals, long straight-line code, many small
#    functions) at scale 1 and 10; the 10x/1x time ratio should stay near
#    the ratio of the code sizes (about 10).
# 2. Speed on the large real modules of bench/fetch-modules.sh (when
#    fetched): against validation alone, and singlepass against V8 Liftoff,
#    optimizing against singlepass.
#
# Both are timed in CPU time (all threads), best of several runs, each run
# a fresh process (as `trident compile` is: repeating in one process finds
# the previous compile's memory, which favours a small input, whose memory
# the allocator keeps, over a large one, whose memory it returns to the
# kernel): Trident by bench/gen/compile_time.c (decode + validate, and
# decode + validate + compile; RUNS), V8 by bench/gen/v8_compile_cpu.mjs
# around `new WebAssembly.Module` with eager single-threaded Liftoff
# (V8_RUNS).
# MB/s counts the bytes of the function bodies. Prints markdown tables.
#   bench/linearity.sh   (BACKEND=singlepass|optimizing RUNS=5 V8_RUNS=3;
#                         SPEED=0 skips part 2, SHAPES="a b" picks shapes)
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${BACKEND:-singlepass}
case $backend in
singlepass | optimizing) ;;
*) echo "linearity.sh: BACKEND must be singlepass or optimizing" >&2; exit 2 ;;
esac
runs=${RUNS:-5}
v8_runs=${V8_RUNS:-3}
shapes=${SHAPES:-nesting br_table br_targets loops locals straight functions}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc=$(command -v clang-19 || echo cc)
# Only the stages a compile needs (not the runtime), so it builds alone.
$cc -std=c11 -D_GNU_SOURCE -O2 -Iinclude -Isrc bench/gen/compile_time.c src/base/*.c \
    src/decode/*.c src/validate/*.c src/compiler/*.c src/x64/*.c \
    src/singlepass/*.c src/optimizing/*.c -o "$tmp/compile_time" -lm -lpthread

# FILE BACKEND -> "code validate_seconds compile_seconds out_bytes", the
# times the best of $runs processes.
measure() {
    for _ in $(seq "$runs"); do
        "$tmp/compile_time" "$1" 1 "$2" || return
    done | awk 'NR == 1 || $2 < v { v = $2 } NR == 1 || $3 < c { c = $3 }
                { code = $1; out = $4 } END { print code, v, c, out }'
}

ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }

echo "### Linearity ($backend, compile time at 1x and 10x)"
echo
echo "| Shape | Code 1x (KB) | 1x (ms) | Code 10x (KB) | 10x (ms) | Code ratio | Time ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for shape in $shapes; do
    row="| $shape"
    t=() c=()
    for scale in 1 10; do
        python3 bench/gen/pathological.py "$shape" "$scale" "$tmp/$shape$scale.wasm"
        read -r code _ comp _ < <(measure "$tmp/$shape$scale.wasm" "$backend")
        t+=("$comp") c+=("$code")
        row+=" | $((code / 1024)) | $(ms "$comp")"
    done
    echo "$row | $(awk -v a="${c[0]}" -v b="${c[1]}" 'BEGIN { printf "%.1f", b / a }')" \
        "| $(awk -v a="${t[0]}" -v b="${t[1]}" 'BEGIN { printf "%.1f", b / a }') |"
done

[ "${SPEED:-1}" = 0 ] && exit 0
mods=(bench/out/modules/*.wasm)
[ -e "${mods[0]}" ] || { echo; echo "(no real modules: run bench/fetch-modules.sh)"; exit 0; }

liftoff() { # FILE -> best seconds, or "-"
    command -v node >/dev/null || { echo -; return; }
    local best="" t
    for _ in $(seq "$v8_runs"); do
        t=$(node --no-warnings --liftoff --no-wasm-tier-up --no-wasm-dynamic-tiering \
            --no-wasm-lazy-compilation --single-threaded bench/gen/v8_compile_cpu.mjs "$1" \
            2>/dev/null) || { echo -; return; }
        if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$t
        fi
    done
    echo "$best"
}

echo
echo "### Compile speed ($backend)"
echo
if [ "$backend" = singlepass ]; then
    echo "| Module | Code (MB) | Validate (ms) | Singlepass (ms) | Singlepass MB/s | x validate" \
        "| V8 Liftoff (ms) | Liftoff / singlepass |"
else
    echo "| Module | Code (MB) | Validate (ms) | Optimizing (ms) | Optimizing MB/s | x validate" \
        "| Singlepass (ms) | optimizing / singlepass |"
fi
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for m in "${mods[@]}"; do
    read -r code val comp _ < <(measure "$m" "$backend")
    if [ "$backend" = singlepass ]; then
        other=$(liftoff "$m")
    else
        read -r _ _ other _ < <(measure "$m" singlepass)
    fi
    # ratio: Liftoff over singlepass (higher is better for singlepass), or
    # optimizing over singlepass (lower is better for optimizing).
    awk -v n="$(basename "$m" .wasm)" -v code="$code" -v val="$val" -v comp="$comp" \
        -v other="$other" -v b="$backend" \
        'BEGIN {
            ms = other == "-" ? "-" : sprintf("%.0f", other * 1000)
            r = other == "-" ? "-" : sprintf("%.1f", b == "singlepass" ? other / comp : comp / other)
            printf "| %s | %.1f | %.0f | %.0f | %.1f | %.1f | %s | %s |\n", n, code / 1e6,
                   val * 1000, comp * 1000, code / 1e6 / comp, comp / val, ms, r
        }'
done
