#!/usr/bin/env bash
# WASI end to end: the C programs of tests/wasi, compiled for wasm32-wasi,
# run by `trident run --backend=B` on every backend that is built in (the
# others print SKIP lines, which count as neither pass nor fail). Checks
# output, exit status, the file system effects and the sandbox from the
# host side, with both path resolvers; compares with node:wasi where node
# behaves the same. One PASS/FAIL line per check.
set -u
cd "$(dirname "$0")/../.."
trident=${TRIDENT:-build/trident}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
programs="hello args_env exit stdin files times random escape abi"

for p in $programs; do
    if ! clang-19 --target=wasm32-wasi --sysroot=/usr -O2 "tests/wasi/$p.c" -o "$tmp/$p.wasm" 2>"$tmp/cc"; then
        echo "FAIL wasi-programs: cannot compile tests/wasi/$p.c: $(head -c 300 "$tmp/cc")"
        exit 1
    fi
done
clang-19 --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor tests/wasi/reactor.c \
    -o "$tmp/reactor.wasm" || { echo "FAIL wasi-programs: cannot compile reactor.c"; exit 1; }
echo "PASS wasi-programs-compile"

have_node=false
node --version 2>/dev/null | grep -q '^v2[0-9]' && have_node=true

source tests/wasi/lib.sh

# same_as_node NAME [OPTIONS] FILE ARGS...: node:wasi gives the same stdout
# and status as the last trident run.
same_as_node() {
    local name=$1
    shift
    $have_node || { echo "SKIP $name-node: node 20 not found"; return; }
    cp "$tmp/out" "$tmp/ours"
    local ours=$status
    node --no-warnings tests/wasi/node_run.mjs "$@" >"$tmp/theirs" 2>"$tmp/nerr" <"${STDIN:-/dev/null}"
    local theirs=$?
    if [ "$ours" -ne "$theirs" ] || ! cmp -s "$tmp/ours" "$tmp/theirs"; then
        echo "FAIL $name-node: trident $ours '$(head -c 300 "$tmp/ours")', node $theirs '$(head -c 300 "$tmp/theirs")'"
    else
        echo "PASS $name-node"
    fi
}

# The sandbox layout escape.c attacks, fresh in $tmp/esc.
escape_layout() {
    rm -rf "$tmp/esc"
    mkdir -p "$tmp/esc/sandbox/sub" "$tmp/esc/outside"
    echo "top secret" >"$tmp/esc/outside/secret"
    echo "in" >"$tmp/esc/sandbox/inside"
    ln -s ../outside "$tmp/esc/sandbox/up"
    ln -s "$tmp/esc/outside/secret" "$tmp/esc/sandbox/abs"
    ln -s ../outside/created "$tmp/esc/sandbox/dangle"
    ln -s . "$tmp/esc/sandbox/in"
    touch -d '2001-01-01' "$tmp/esc/outside/secret" "$tmp/esc/outside" "$tmp/esc/sandbox" "$tmp/esc"
}

snapshot() { # every path, type, size, link target and mtime under $1
    find "$1" -printf '%p %y %s %l %T@\n' | sort
}

files_out="create/read/write/seek/pread/pwrite: hello WORLD
append/truncate/stat: size 10
readdir: b.txt file00 file01 file02 file03 file04 file05 file06 file07 file08 file09 file10 file11 sub/
after unlink: b.txt
symlink/readlink/link/unlink/rmdir: done
1 MiB written and read back
0 failures"

abi_out=$(
    for f in args_sizes_get args_get environ_sizes_get environ_get; do echo "$f 0"; done
    echo "clock_res_get 28"
    echo "clock_time_get 0"
    for f in fd_advise fd_allocate fd_close fd_datasync fd_fdstat_get fd_fdstat_set_flags \
        fd_fdstat_set_rights fd_filestat_get fd_filestat_set_size fd_filestat_set_times fd_pread \
        fd_prestat_get fd_prestat_dir_name fd_pwrite fd_read fd_readdir fd_renumber fd_seek \
        fd_sync fd_tell fd_write path_create_directory path_filestat_get \
        path_filestat_set_times path_link path_open path_readlink path_remove_directory \
        path_rename path_symlink path_unlink_file; do echo "$f 8"; done
    echo "poll_oneoff 28"
    echo "proc_raise 28"
    echo "sched_yield 0"
    echo "random_get 0"
    for f in sock_accept sock_recv sock_send sock_shutdown; do echo "$f 8"; done
    echo "sock_recv stdin 57"
    echo "sock_shutdown stdin 57"
)

# All the checks for one backend.
on_backend() {
    local b=$1 t="wasi-$1"
    local tr=("$trident" run "--backend=$b")

    run "${tr[@]}" "$tmp/hello.wasm"
    expect "$t-hello" 0 "hello, world"
    same_as_node "$t-hello" "$tmp/hello.wasm"

    export FROMHOST=from-host GREETING=leaked
    run "${tr[@]}" --env GREETING=hi --env FROMHOST --env NOTSET "$tmp/args_env.wasm" a "b c" ""
    expect "$t-args-env" 0 "argc 4
argv[1] 'a'
argv[2] 'b c'
argv[3] ''
environ 2
  FROMHOST=from-host
  GREETING=hi
GREETING hi"
    same_as_node "$t-args-env" --env GREETING=hi --env FROMHOST=from-host "$tmp/args_env.wasm" a "b c" ""
    run "${tr[@]}" "$tmp/args_env.wasm"
    expect "$t-env-empty" 0 "argc 1
environ 0
GREETING (unset)"
    unset FROMHOST GREETING

    for s in 0 7 255; do
        run "${tr[@]}" "$tmp/exit.wasm" $s
        expect "$t-exit-$s" $s "leaving with $s"
    done
    same_as_node "$t-exit-255" "$tmp/exit.wasm" 255
    run "${tr[@]}" "$tmp/exit.wasm" return 3
    expect "$t-return-3" 3 ""
    run "${tr[@]}" "$tmp/exit.wasm" trap
    expect "$t-trap" 1 "about to trap" "unreachable"
    grep -q '^  0: func [0-9]* .*at offset 0x' "$tmp/err" && echo "PASS $t-trap-backtrace" ||
        echo "FAIL $t-trap-backtrace: no innermost frame: $(head -c 400 "$tmp/err")"

    printf 'abc\ndef\n' >"$tmp/in-small"
    STDIN=$tmp/in-small run "${tr[@]}" "$tmp/stdin.wasm"
    expect "$t-stdin" 0 "bytes 8 lines 2 sum 1176525965
first ABC"
    seq 1 100000 >"$tmp/in-big"
    STDIN=$tmp/in-big run "${tr[@]}" "$tmp/stdin.wasm"
    cp "$tmp/out" "$tmp/from-file"
    STDIN=$tmp/in-big same_as_node "$t-stdin-big" "$tmp/stdin.wasm"
    cat "$tmp/in-big" | "${tr[@]}" "$tmp/stdin.wasm" >"$tmp/out" 2>"$tmp/err"
    status=$?
    expect "$t-stdin-pipe" 0 "$(cat "$tmp/from-file")"
    grep -q "^bytes 588895 lines 100000 " "$tmp/out" || echo "FAIL $t-stdin-count: $(cat "$tmp/out")"
    run "${tr[@]}" "$tmp/stdin.wasm"
    expect "$t-stdin-empty" 0 "bytes 0 lines 0 sum 0
first "

    for mode in openat2 walk; do
        rm -rf "$tmp/fs" && mkdir "$tmp/fs"
        TRIDENT_WASI_RESOLVE=$mode run "${tr[@]}" --dir "$tmp/fs::/sandbox" "$tmp/files.wasm" /sandbox
        expect "$t-files-$mode" 0 "$files_out"
        [ -z "$(ls -A "$tmp/fs")" ] && echo "PASS $t-files-clean-$mode" ||
            echo "FAIL $t-files-clean-$mode: left $(ls -A "$tmp/fs")"
    done
    rm -rf "$tmp/fs" && mkdir "$tmp/fs"
    same_as_node "$t-files" --dir "$tmp/fs::/sandbox" "$tmp/files.wasm" /sandbox
    rm -rf "$tmp/fs" && mkdir "$tmp/fs"
    run "${tr[@]}" --dir "$tmp/fs" "$tmp/files.wasm" "$tmp/fs"
    expect "$t-files-hostname" 0 "$files_out"

    rm -rf "$tmp/fs" && mkdir "$tmp/fs"
    run "${tr[@]}" --dir "$tmp/fs::/d" "$tmp/times.wasm" /d
    expect "$t-times" 0 "file times: exact, kept, now
clocks: realtime, monotonic, sleep, cpu
0 failures"
    run "${tr[@]}" "$tmp/random.wasm"
    expect "$t-random" 0 "random: ok"

    for mode in openat2 walk; do
        escape_layout
        snapshot "$tmp/esc" >"$tmp/before"
        TRIDENT_WASI_RESOLVE=$mode run "${tr[@]}" --dir "$tmp/esc/sandbox::/sandbox" "$tmp/escape.wasm"
        [ "$status" -eq 0 ] && ! grep -q ESCAPED "$tmp/out" && echo "PASS $t-escape-$mode" ||
            echo "FAIL $t-escape-$mode: status $status: $(grep ESCAPED "$tmp/out" | head -c 400)"
        tail -n 1 "$tmp/out" | grep -qx "0 escapes" && grep -qx "inside via ..: ok" "$tmp/out" &&
            grep -qx "inside via link: ok" "$tmp/out" && echo "PASS $t-escape-report-$mode" ||
            echo "FAIL $t-escape-report-$mode: $(grep -v refused "$tmp/out" | head -c 400)"
        snapshot "$tmp/esc" >"$tmp/after"
        cmp -s "$tmp/before" "$tmp/after" && echo "PASS $t-escape-host-$mode" ||
            echo "FAIL $t-escape-host-$mode: the host tree changed: $(diff "$tmp/before" "$tmp/after" | head -c 400)"
    done
    run "${tr[@]}" --dir "$tmp/esc/sandbox::/sandbox" "$tmp/escape.wasm"
    grep -q "open /etc/passwd: refused (Capabilities insufficient)" "$tmp/out" &&
        echo "PASS $t-escape-no-preopen" || echo "FAIL $t-escape-no-preopen: $(grep passwd "$tmp/out")"

    run "${tr[@]}" "$tmp/abi.wasm" 5
    expect "$t-abi" 5 "$abi_out"

    run "${tr[@]}" --invoke answer "$tmp/reactor.wasm" 1
    expect "$t-reactor" 0 "answer(1)
43"
}

# A backend counts as available when it is built in and compiles a
# one-function module; the others are skipped, not passed.
cat >"$tmp/probe.wat" <<'W'
(module (func (export "f") (result i32) (i32.const 7)))
W
help=$("$trident" run --help)
for b in singlepass optimizing llvm; do
    if ! grep -q "^backends:.* $b\b" <<<"$help"; then
        echo "FAIL wasi-programs: run --help does not list backend $b"
    elif grep -q "$b (not built)" <<<"$help"; then
        echo "SKIP wasi-$b: backend not built"
    elif [ "$("$trident" run "--backend=$b" --invoke f "$tmp/probe.wat" 2>"$tmp/err")" != 7 ]; then
        echo "SKIP wasi-$b: backend cannot run a one-function module yet: $(head -c 200 "$tmp/err")"
    else
        on_backend "$b"
    fi
done
