#!/usr/bin/env bash
# bench/report.py on made-up results (no program runs): the summary's ratios
# and verdicts, the jit/aot note, the ahead-of-time compile table, an llvm
# compile stopped at its CPU cap shown as a bound (not a failure), and a
# failed run making the exit status 1; without results, a clear error.
set -u
cd "$(dirname "$0")/../.."
export PYTHONDONTWRITEBYTECODE=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL bench_report: $1"; fails=$((fails + 1)); }

tab() { tr ' ' '\t'; } # the fixtures below are written with single spaces
tab >"$tmp/runners.tsv" <<'T'
native native_(gcc_-O2) ok
v8-liftoff V8_Liftoff ok
trident-singlepass-jit Trident_singlepass_(jit) ok
trident-optimizing-aot Trident_optimizing_(aot) ok
trident-llvm-aot Trident_llvm_(aot) ok
T
sed -i 's/_/ /g' "$tmp/runners.tsv"
{
    echo "program runner size rep seconds cpu_seconds maxrss_kb status output"
    for rep in 1 2 3; do
        echo "p1 native default $rep 1 1.0 1 ok x"
        echo "p1 v8-liftoff default $rep 2 2.0 1 ok x"
        echo "p1 trident-singlepass-jit default $rep 1.5 1.5 1 ok x"
        echo "p1 trident-optimizing-aot default $rep 1.26 1.26 1 ok x"
        echo "p1 trident-llvm-aot default $rep 1.05 1.05 1 ok x"
        echo "p2 native default $rep 2 2.0 1 ok x"
        echo "p2 v8-liftoff default $rep 4 4.0 1 ok x"
        echo "p2 trident-singlepass-jit default $rep 3 3.0 1 ok x"
        echo "p2 trident-optimizing-aot default $rep 2.52 2.52 1 ok x"
        echo "p2 trident-llvm-aot default $rep 2.1 2.1 1 ok x"
    done
} | tab >"$tmp/runtime.tsv"
tab >"$tmp/aot.tsv" <<'T'
program runner seconds cpu_seconds maxrss_kb status bytes
p1 trident-optimizing-aot 0.02 0.012 1 ok 100
p2 trident-optimizing-aot 0.02 0.013 1 ok 100
p1 trident-llvm-aot 0.4 0.5 1 ok 100
p2 trident-llvm-aot 0.4 0.6 1 ok 100
T
sed 's/_/ /' >"$tmp/compilers.tsv" <<'T'
trident-validate	Trident_validate	ok
trident-singlepass	Trident_singlepass	ok
trident-optimizing	Trident_optimizing	ok
trident-llvm	Trident_llvm	ok
v8-liftoff	V8_Liftoff	ok
T
tab >"$tmp/compile.tsv" <<'T'
module bytes code_bytes tool rep seconds cpu_seconds process_seconds process_cpu_seconds maxrss_kb status
m1.wasm 12000000 10000000 trident-validate 1 0.05 0.05 0.06 0.07 1000 ok
m1.wasm 12000000 10000000 trident-singlepass 1 0.1 0.1 0.11 0.12 2048 ok
m1.wasm 12000000 10000000 trident-optimizing 1 1.0 1.0 1.1 1.2 1000 ok
m1.wasm 12000000 10000000 trident-llvm 1 500 900 500 900 1000 over_cap_900_s
m1.wasm 12000000 10000000 v8-liftoff 1 0.3 0.3 0.4 0.5 1000 ok
T
sed -i 's/over_cap_900_s/over cap 900 s/' "$tmp/compile.tsv"

python3 bench/report.py --out "$tmp" >"$tmp/report" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] || fail "exit $rc on clean results: $(tail -n 3 "$tmp/err")"
expect() { # LABEL REGEX: the report must have a line matching REGEX
    grep -Eq "$2" "$tmp/report" || fail "$1: no line matching '$2'"
}
expect "singlepass vs Liftoff" '^\| singlepass / V8 Liftoff \| \*\*0\.75 \(2\)\*\* \| - \| <= 1\.00 \(jit\) \| met \|'
expect "optimizing vs llvm" '^\| optimizing / llvm \| - \| \*\*1\.20 \(2\)\*\* \| <= 1\.30 \(aot\) \| met \|'
expect "llvm vs native" '^\| llvm / native \| - \| \*\*1\.05 \(2\)\*\* \| <= 1\.10 \(aot\) \| met \|'
expect "missing runner" '^\| llvm / V8 TurboFan \| - \| - \| <= 1\.00 \(aot\) \| not measured \|'
expect "singlepass MB/s" '^\| singlepass MB/s \| \*\*100\.0\*\* \| >= 60 \| met \|'
expect "singlepass vs validation" '^\| singlepass time / validation time \| \*\*2\.0\*\* \| <= 3 \| met \|'
expect "capped llvm, a lower bound that decides" '^\| llvm time / optimizing time \| \*\*>900\.0\*\* \| >= 10 \| met \|'
expect "optimizing vs singlepass" '^\| optimizing time / singlepass time \| \*\*10\.0\*\* \| <= 5 \| \*\*not met\*\* \|'
expect "cost cell" '^\| m1\.wasm \| 0\.050 / 0\.050 / 0\.070 / 1 \| 0\.100 / 0\.100 / 0\.120 / 2 \|'
expect "capped cell" '^\| m1\.wasm \|.*\| > 900 s CPU \|'
expect "capped throughput" '^\| m1\.wasm \| 12\.0 \| 10\.0 \| 200\.0 \| 100\.0 \| 10\.0 \| <0\.0 \| 33\.3 \|'
expect "jit note" 'Compilation included\*\* in every timed run: V8 Liftoff, Trident singlepass \(jit\)'
expect "aot note" 'Compiled ahead\*\*, compilation not in the run time: native \(gcc -O2\), Trident optimizing \(aot\), Trident llvm \(aot\)'
expect "aot table" '^\| p2 \| 13 \| 600 \|$'
expect "aot totals" '^\| \*\*all, CPU s\*\* \| \*\*0\.03\*\* \| \*\*1\.10\*\* \|$'

# One failed run: shown, and the exit status says so.
sed -i '0,/\tok\tx$/s//\ttimeout\tx/' "$tmp/runtime.tsv"
python3 bench/report.py --out "$tmp" >"$tmp/report" 2>"$tmp/err"
rc=$?
[ $rc = 1 ] || fail "exit $rc with a failed run, want 1"
expect "failed run listed" '^- p1 on native, run 1: timeout'

# No results at all: a clear error, not a traceback.
mkdir "$tmp/empty"
python3 bench/report.py --out "$tmp/empty" >"$tmp/report" 2>"$tmp/err"
rc=$?
[ $rc = 2 ] || fail "exit $rc without runtime.tsv, want 2"
grep -q 'runtime.tsv is missing' "$tmp/err" || fail "no clear message without runtime.tsv: $(head -c 200 "$tmp/err")"
grep -q Traceback "$tmp/err" && fail "traceback without runtime.tsv"

[ $fails = 0 ] && echo "PASS bench_report"
