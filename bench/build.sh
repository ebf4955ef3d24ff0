#!/usr/bin/env bash
# Builds the benchmark programs: bash bench/build.sh OUT [PROGRAM...]
# (default: every bench/programs/*.c). TARGETS picks the forms, default
# "native wasm wasm2c":
#   native  OUT/native/P        gcc -O2 (the limit every runner is compared to)
#   wasm    OUT/wasm/P.wasm     clang-19 --target=wasm32-wasi -O2 (what runtimes run)
#   wasm2c  OUT/wasm2c/P        wasm2c of P.wasm, then gcc -O2 with bench/wasm2c/wasi.c
#   asan    OUT/asan/P          clang-19 -O1 with ASan+UBSan (tests/cli/bench_programs.sh)
# The wasm target also builds OUT/wasm/probe.wasm from bench/probe.c. Up-to-date
# outputs are kept. Our own sources must compile without warnings (-Werror).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: bench/build.sh OUT [PROGRAM...]" >&2; exit 2; }
out=$1
shift
progs=("$@")
if [ ${#progs[@]} -eq 0 ]; then
    for f in "$here"/programs/*.c; do progs+=("$(basename "$f" .c)"); done
fi
targets=${TARGETS:-native wasm wasm2c}
for t in $targets; do
    case $t in native | wasm | wasm2c | asan) mkdir -p "$out/$t" ;; *) echo "build.sh: unknown target $t" >&2; exit 2 ;; esac
done

# wabt ships the wasm2c runtime as source; Debian puts it in one of these.
rt_dir=
for d in /usr/share/wabt/wasm2c /usr/src/wasm2c; do
    [ -f "$d/wasm-rt-impl.c" ] && { rt_dir=$d; break; }
done
case " $targets " in *" wasm2c "*)
    [ -n "$rt_dir" ] || { echo "build.sh: wasm-rt-impl.c not found (is wabt installed?)" >&2; exit 1; } ;;
esac

WARN="-Wall -Wextra -Werror"
WASM_CC="clang-19 --target=wasm32-wasi --sysroot=/usr -O2"

# fresh OUTPUT INPUT...: true when OUTPUT exists and is newer than every input.
fresh() {
    local o=$1
    shift
    [ -e "$o" ] || return 1
    for i in "$@"; do [ "$i" -nt "$o" ] && return 1; done
    return 0
}

# Builds every requested form of one program; prints what failed.
build_one() {
    local p=$1 src="$here/programs/$1.c"
    local deps=("$src" "$here"/programs/*.h)
    [ -f "$src" ] || { echo "build.sh: no program $p" >&2; return 1; }
    for t in $targets; do
        case $t in
        native) fresh "$out/native/$p" "${deps[@]}" ||
            gcc -O2 $WARN "$src" -o "$out/native/$p" -lm ;;
        wasm) fresh "$out/wasm/$p.wasm" "${deps[@]}" ||
            $WASM_CC $WARN "$src" -o "$out/wasm/$p.wasm" -lm ;;
        asan) fresh "$out/asan/$p" "${deps[@]}" ||
            clang-19 -O1 -g $WARN -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                "$src" -o "$out/asan/$p" -lm ;;
        wasm2c) build_wasm2c "$p" "${deps[@]}" ;;
        esac || { echo "build.sh: $t build of $p failed" >&2; return 1; }
    done
}

# wasm2c needs the wasm form first; the generated C is not ours, so it is
# compiled without warnings, and the shim (which includes its header) with.
build_wasm2c() {
    local p=$1 dir="$out/wasm2c/$1.src"
    shift
    local wasm="$out/wasm/$p.wasm"
    fresh "$wasm" "$@" || $WASM_CC $WARN "$here/programs/$p.c" -o "$wasm" -lm || return 1
    fresh "$out/wasm2c/$p" "$wasm" "$here/wasm2c/wasi.c" && return 0
    mkdir -p "$dir"
    wasm2c -n prog "$wasm" -o "$dir/prog.c" &&
        gcc -O2 -w -I"$rt_dir" -c "$dir/prog.c" -o "$dir/prog.o" &&
        gcc -O2 -w -I"$rt_dir" -c "$rt_dir/wasm-rt-impl.c" -o "$dir/rt.o" &&
        gcc -O2 $WARN -I"$dir" -I"$rt_dir" -c "$here/wasm2c/wasi.c" -o "$dir/wasi.o" &&
        gcc -o "$out/wasm2c/$p" "$dir/prog.o" "$dir/rt.o" "$dir/wasi.o" -lm
}

export -f fresh build_one build_wasm2c
export here out targets rt_dir WARN WASM_CC

case " $targets " in *" wasm "*)
    fresh "$out/wasm/probe.wasm" "$here/probe.c" ||
        $WASM_CC $WARN "$here/probe.c" -o "$out/wasm/probe.wasm" ;;
esac
printf '%s\n' "${progs[@]}" | xargs -P "$(nproc)" -I{} bash -c 'build_one "$1"' _ {}
