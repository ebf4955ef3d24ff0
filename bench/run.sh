#!/usr/bin/env bash
# The benchmark report (`make bench`): builds the programs, compiles them ahead
# for Trident's aot runners, runs them on every runner, times the compilation
# of large real modules, prints the report and draws the charts into
# bench/out/, and updates docs/PERFORMANCE.md.
#   REPS=3           runs of each measurement (the report shows medians, min-max)
#   PROGRAMS="a b"   only these programs (default: all of bench/programs)
#   RUNNERS=a,b      only these runners; native always runs (it is the reference)
#   COMPILE=0        skip the compile-speed part
#   COMPILERS=a,b    only these compile-speed tools (see bench/compile_speed.py)
#   LLVM_COMPILE_CAP=900  CPU seconds after which an llvm compile of a large
#                    module is stopped (reported as "> 900 s")
#   LLVM_COMPILE_REPS=1   runs of each llvm compile of a large module
#   OVERLAP=1        time the large modules while the programs run (for a
#                    busy shared machine: the report's CPU times stay fair)
#   DOCS=0|1         update docs/PERFORMANCE.md (default: only for a full run)
#   TRIDENT=PATH     the trident binary to measure (default: build/trident)
#   OUT=DIR          where builds and results go (default: bench/out)
# Exit status 1 when any run failed, timed out or printed other output than
# the native build.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-bench/out}
export PYTHONDONTWRITEBYTECODE=1
read -r -a progs <<<"${PROGRAMS:-}"
full=0 # a full run (every program, runner and part) is the one the docs show
[ -z "${PROGRAMS:-}${RUNNERS:-}" ] && [ "${COMPILE:-1}" = 1 ] && full=1

# One run at a time: the checkout is shared, and two runs writing bench/out
# at once would mix their figures.
mkdir -p "$out"
exec 9>"$out/.lock"
if ! flock -n 9; then
    echo "run.sh: another benchmark run is using $out; waiting for it" >&2
    flock 9
fi

bash bench/build.sh "$out" "${progs[@]}" || exit 1
status=0
trident=${TRIDENT:-build/trident}
programs() {
    python3 bench/measure.py --out "$out" --trident "$trident" ${RUNNERS:+--runners "$RUNNERS"} \
        "${progs[@]}"
}
modules() {
    bash bench/fetch-modules.sh >&2 ||
        echo "run.sh: fetching modules failed; timing the modules already there" >&2
    python3 bench/compile_speed.py --out "$out" --trident "$trident" ${COMPILERS:+--tools "$COMPILERS"}
}

report=()
if [ "${COMPILE:-1}" != 1 ]; then
    rm -f "$out/compile.tsv" "$out/compile.dat" "$out/compile.png"
    programs || status=1
elif [ "${OVERLAP:-0}" = 1 ]; then
    # Both parts at once: half the wall time, and the report's figures are
    # CPU times, which the other part disturbs little (the report says so).
    modules &
    pid=$!
    programs || status=1
    wait $pid || status=1
    report=(--overlap)
else
    programs || status=1
    modules || status=1
fi

[ "${DOCS:-$full}" = 1 ] && report+=(--docs)
python3 bench/report.py --out "$out" --trident "$trident" "${report[@]}" || status=1
exit $status
