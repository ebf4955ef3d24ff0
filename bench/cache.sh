#!/usr/bin/env bash
# The compiled-code cache benchmark, on large real modules (the ones
# bench/fetch-modules.sh downloads from npm into bench/out/modules/).
#   bench/cache.sh [MODULE.wasm...]
#   TRIDENT=PATH        the trident binary (default: build/trident); the
#                       in-process timer is built from the same tree
#   BACKENDS="a b"      default: singlepass optimizing llvm
#   REPS=N              warm runs, the best one counts (default 5)
#   TIMEOUT=SECONDS     per run (default 1800: llvm takes minutes on these)
#
# What is timed, in CPU seconds (user + system, every thread; wall beside):
#   trident run: the whole process, `trident run --no-cache --backend=B M`
#     (cold) against `trident run --backend=B M` with a warm cache. These
#     modules import functions of their JavaScript hosts, so a run stops at
#     linking ("unknown import", status 1) right after the module is made:
#     the timed work is reading the file, decoding it and compiling it, or
#     loading it from the cache. The cache starts empty and is filled by one
#     untimed run.
#   in-process (bench/cache_time.c): compile + cache write, a warm-cache
#     tri_module_new, tri_module_new on the .twasm bytes, and instantiation
#     of the cached module with every import stubbed.
# Prints a table and writes it to bench/out/cache.tsv. Exit status 1 when a
# backend that is built in failed on a module.
set -uo pipefail
cd "$(dirname "$0")/.."
trident=${TRIDENT:-build/trident}
build=$(dirname "$trident")
read -r -a backends <<<"${BACKENDS:-singlepass optimizing llvm}"
reps=${REPS:-5}
timeout=${TIMEOUT:-1800}
modules=("$@")
if [ ${#modules[@]} -eq 0 ]; then
    bash bench/fetch-modules.sh >/dev/null || echo "cache.sh: fetching modules failed" >&2
    modules=(bench/out/modules/*.wasm)
fi
[ -e "${modules[0]}" ] || { echo "cache.sh: no modules to measure" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/xdg # a cache of our own, emptied at the end

clang-19 -std=c11 -D_GNU_SOURCE -O2 -Iinclude -Isrc bench/cache_time.c -rdynamic \
    -Wl,--whole-archive "$build/libtrident.a" -Wl,--no-whole-archive -ldl -lm -lpthread \
    -o "$tmp/cache_time" || { echo "cache.sh: cannot build bench/cache_time.c" >&2; exit 1; }
[ -f "$build/libtrident-llvm.so" ] && export TRIDENT_LLVM_PLUGIN=$PWD/$build/libtrident-llvm.so

# timed COMMAND...: prints "CPU WALL STATUS" (bench/proc.py measures); the
# command's stderr goes to $tmp/err.
timed() {
    python3 - "$timeout" "$@" <<'PY'
import os, sys
sys.path.insert(0, "bench")
import proc
r = proc.run_timed(sys.argv[2:], float(sys.argv[1]))
with open(os.environ["ERRFILE"], "w") as f:
    f.write(r.stderr)
print("%.4f %.4f %s" % (r.cpu_seconds, r.seconds, r.status.replace(" ", "_")))
PY
}
export ERRFILE=$tmp/err

# A run that got as far as linking made its module: that is what we time.
made_module() { [ "$1" = ok ] || { [ "$1" = exit_1 ] && grep -q "unknown import" "$tmp/err"; }; }

tsv=$tmp/cache.tsv
printf 'module\tMB\tbackend\tcold_cpu\tcold_wall\twarm_cpu\twarm_wall\tspeedup\tinproc_compile\tinproc_cached\tinproc_twasm\tinproc_inst\ttwasm_MB\n' >"$tsv"
failed=0
for m in "${modules[@]}"; do
    name=$(basename "$m" .wasm)
    mb=$(awk -v b="$(stat -c %s "$m")" 'BEGIN { printf "%.1f", b / 1048576 }')
    for b in "${backends[@]}"; do
        read -r ccpu cwall cstatus < <(timed "$trident" run --no-cache --backend="$b" "$m")
        if ! made_module "$cstatus"; then
            why=$(grep -m1 . "$tmp/err" | cut -c1-160)
            echo "$name $b: no module ($cstatus): $why" >&2
            grep -q "not available\|not built in" "$tmp/err" || failed=1
            printf '%s\t%s\t%s\tfailed\t\t\t\t\t\t\t\t\t\n' "$name" "$mb" "$b" >>"$tsv"
            continue
        fi
        timed "$trident" run --backend="$b" "$m" >/dev/null # fills the cache
        best=
        for ((i = 0; i < reps; i++)); do
            read -r wcpu wwall wstatus < <(timed "$trident" run --backend="$b" "$m")
            made_module "$wstatus" || { echo "$name $b: warm run: $wstatus" >&2; failed=1; }
            if [ -z "$best" ] || awk -v a="$wcpu" -v b="$best" 'BEGIN { exit !(a < b) }'; then
                best=$wcpu bestwall=$wwall
            fi
        done
        speedup=$(awk -v c="$ccpu" -v w="$best" 'BEGIN { printf "%.1f", (w > 0 ? c / w : 0) }')
        read -r icomp icached itwasm iinst isize < <("$tmp/cache_time" "$m" "$b" "$tmp/inproc" "$reps" 2>"$tmp/err")
        twmb=$(awk -v b="${isize:-0}" 'BEGIN { printf "%.1f", b / 1048576 }')
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$mb" "$b" "$ccpu" \
            "$cwall" "$best" "$bestwall" "$speedup" "${icomp:-}" "${icached:-}" "${itwasm:-}" \
            "${iinst:-}" "$twmb" >>"$tsv"
    done
done

mkdir -p bench/out
cp "$tsv" bench/out/cache.tsv.tmp && mv bench/out/cache.tsv.tmp bench/out/cache.tsv
echo "trident run, CPU seconds (wall): cold = --no-cache, warm = from the cache; speedup = cold/warm"
echo "in-process, CPU seconds: compile (+ cache write), load from the warm cache, load a .twasm, instantiate"
column -t -s $'\t' "$tsv"
exit $failed
