#!/usr/bin/env bash
# Validation speed: Trident's decode + validate (in-process, single thread,
# best of RUNS) against wabt's wasm-validate (whole process, best of
# WABT_RUNS) on the modules bench/fetch-modules.sh downloads, both in CPU
# time (user + system) so other load on the machine matters less. Prints a
# markdown table; MB/s counts the bytes of function bodies (the code).
#   bench/validate.sh [MODULE.wasm...]      (RUNS=7 WABT_RUNS=3 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-7}
wabt_runs=${WABT_RUNS:-3}
mods=("$@")
if [ ${#mods[@]} -eq 0 ]; then
    bash bench/fetch-modules.sh >/dev/null
    mods=(bench/out/modules/*.wasm)
fi
cc=$(command -v clang-19 || echo cc)
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
mkdir -p bench/out
# Only the stages validation needs, so the benchmark builds on its own.
$cc -std=c11 -D_GNU_SOURCE -O2 -Isrc bench/validate_time.c src/base/*.c src/decode/*.c \
    src/validate/*.c -o bench/out/validate_time -lpthread

best_cpu() { # RUNS COMMAND... -> best user+sys CPU seconds, or "failed"
    local n=$1 best="" t
    shift
    for _ in $(seq "$n"); do
        /usr/bin/time -f "%U %S" -o "$tmp" "$@" >/dev/null 2>&1 || { echo failed; return; }
        t=$(awk '{ printf "%.3f", $1 + $2 }' "$tmp")
        if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$t
        fi
    done
    echo "$best"
}

echo "| Module | Size (MB) | Code (MB) | Trident (ms) | Trident MB/s | wasm-validate (ms) | wasm-validate MB/s | Ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for f in "${mods[@]}"; do
    read -r size code secs < <(bench/out/validate_time "$f" "$runs") || {
        echo "| $(basename "$f") | | | rejected | | | | |"
        continue
    }
    wabt=$(best_cpu "$wabt_runs" wasm-validate "$f")
    awk -v n="$(basename "$f" .wasm)" -v s="$size" -v c="$code" -v t="$secs" -v w="$wabt" 'BEGIN {
        line = sprintf("| %s | %.1f | %.1f | %.1f | %.0f |", n, s / 1e6, c / 1e6, t * 1e3, c / 1e6 / t)
        if (w == "failed") line = line " failed | | |"
        else line = line sprintf(" %.0f | %.1f | %.1fx |", w * 1e3, c / 1e6 / w, w / t)
        print line
    }'
done
