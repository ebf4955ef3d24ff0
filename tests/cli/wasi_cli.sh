#!/usr/bin/env bash
# trident run's WASI side without compiled code: a module that exports its
# WASI imports, called with --invoke (so it works before any backend does).
# Checks option errors, stdout, exit status, EFAULT, preopens and the
# sandbox with both resolvers. One PASS/FAIL line per check.
set -u
cd "$(dirname "$0")/../.."
trident=${TRIDENT:-build/trident}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

source tests/wasi/lib.sh

# Memory: an iovec at 0 -> "hello\n" at 16; paths at 32 and 48.
cat >"$tmp/m.wat" <<'W'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "path_create_directory" (func $mkdir (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\10\00\00\00\06\00\00\00")
  (data (i32.const 16) "hello\n")
  (data (i32.const 32) "newdir")
  (data (i32.const 48) "../escaped")
  (data (i32.const 64) "up/escaped")
  (export "write" (func $write))
  (export "exit" (func $exit))
  (export "mkdir" (func $mkdir))
  (export "prestat" (func $prestat)))
W
m=$tmp/m.wat
mkdir -p "$tmp/box" "$tmp/outside"
ln -s ../outside "$tmp/box/up"

check wasi-cli-args-after-file 0 "" "" "$trident" run "$m" --dir
check wasi-cli-usage-dir-value 2 "" "needs a value" "$trident" run --dir
check wasi-cli-usage-dir-empty 2 "" "HOST\[::GUEST\]" "$trident" run --dir ::guest --invoke exit "$m" 0
check wasi-cli-usage-env 2 "" "KEY=VALUE" "$trident" run --env =x --invoke exit "$m" 0
check wasi-cli-usage-unknown 2 "" "unknown option '--mapdir'" "$trident" run --mapdir x "$m"
check wasi-cli-missing-dir 1 "" "cannot open directory '$tmp/absent'" "$trident" run --dir "$tmp/absent" --invoke exit "$m" 0
check wasi-cli-help 0 "$("$trident" run --help)" "" "$trident" run --help
"$trident" run --help | grep -q "^backends: singlepass" && echo "PASS wasi-cli-help-backends" ||
    echo "FAIL wasi-cli-help-backends: run --help lists no backends"
check wasi-cli-missing-wasm 1 "" "" "$trident" run "$tmp/absent.wasm"
cat >"$tmp/unknown.wat" <<'W'
(module (import "wasi_snapshot_preview1" "fd_frobnicate" (func (param i32) (result i32))))
W
check wasi-cli-unknown-import 1 "" 'unknown import "wasi_snapshot_preview1" "fd_frobnicate"' \
    "$trident" run "$tmp/unknown.wat"
cat >"$tmp/badtype.wat" <<'W'
(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32))))
W
check wasi-cli-wrong-type 1 "" 'incompatible import type for "wasi_snapshot_preview1" "fd_write"' \
    "$trident" run "$tmp/badtype.wat"

check wasi-cli-write 0 "$(printf 'hello\n0')" "" "$trident" run --invoke write "$m" 1 0 1 100
check wasi-cli-write-efault 0 "21" "" "$trident" run --invoke write "$m" 1 65535 1 100
check wasi-cli-write-ebadf 0 "8" "" "$trident" run --invoke write "$m" 9 0 1 100
check wasi-cli-exit-status 0 "" "" "$trident" run --invoke exit "$m" 0
check wasi-cli-exit-42 42 "" "" "$trident" run --invoke exit "$m" 42
check wasi-cli-prestat 0 "0" "" "$trident" run --dir "$tmp/box::/sb" --invoke prestat "$m" 3 200
check wasi-cli-no-preopen 0 "8" "" "$trident" run --invoke prestat "$m" 3 200

for mode in openat2 walk; do
    export TRIDENT_WASI_RESOLVE=$mode
    rm -rf "$tmp/box/newdir"
    check "wasi-cli-mkdir-$mode" 0 "0" "" "$trident" run --dir "$tmp/box" --invoke mkdir "$m" 3 32 6
    [ -d "$tmp/box/newdir" ] && echo "PASS wasi-cli-made-$mode" ||
        echo "FAIL wasi-cli-made-$mode: $tmp/box/newdir missing"
    check "wasi-cli-dotdot-$mode" 0 "76" "" "$trident" run --dir "$tmp/box" --invoke mkdir "$m" 3 48 10
    check "wasi-cli-symlink-$mode" 0 "76" "" "$trident" run --dir "$tmp/box" --invoke mkdir "$m" 3 64 10
    [ -z "$(ls "$tmp/outside")" ] && [ ! -e "$tmp/escaped" ] && echo "PASS wasi-cli-outside-$mode" ||
        echo "FAIL wasi-cli-outside-$mode: something was made outside the preopen"
done
