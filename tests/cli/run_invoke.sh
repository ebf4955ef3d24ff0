#!/usr/bin/env bash
# trident run: option and argument errors (exit 2), module errors (exit 1),
# and, once a backend is built in, --invoke printing results the way
# wasmtime does and reporting a trap with its backtrace (exit 1, never a
# signal). One PASS/FAIL line per check.
set -u
cd "$(dirname "$0")/../.."
trident=${TRIDENT:-build/trident}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

source tests/wasi/lib.sh

cat >"$tmp/nocode.wat" <<'W'
(module (global (export "g") i32 (i32.const 1)) (memory (export "m") 1))
W
cat >"$tmp/imports.wat" <<'W'
(module (import "env" "f" (func)))
W
cat >"$tmp/code.wat" <<'W'
(module
  (memory 1)
  (func $add (export "add") (param i32 i64) (result i64)
    (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1)))
  (func (export "floats") (param f32 f64) (result f32 f64)
    (local.get 0) (local.get 1))
  (func (export "neg") (result i32) (i32.const -7))
  (func $load (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func $deep (export "deep") (param i32) (result i32) (call $deep (local.get 0))))
W

check run-usage 2 "" "no file given" "$trident" run
check run-unknown-option 2 "" "unknown option" "$trident" run --frobnicate "$tmp/nocode.wat"
check run-unknown-backend 2 "" "unknown backend" "$trident" run --backend=quantum "$tmp/nocode.wat"
check run-missing-file 1 "" "" "$trident" run "$tmp/absent.wasm"
printf '\0asm\2\0\0\0' >"$tmp/bad.wasm"
check run-malformed 1 "" "malformed\|version" "$trident" run "$tmp/bad.wasm"
check run-unlinkable 1 "" 'unknown import "env" "f"' "$trident" run "$tmp/imports.wat"
check run-no-export 1 "" "no exported function 'nope'" "$trident" run --invoke nope "$tmp/nocode.wat"
check run-not-a-function 1 "" "no exported function 'g'" "$trident" run --invoke g "$tmp/nocode.wat"
check run-no-start 0 "" "" "$trident" run "$tmp/nocode.wat"

# Execution needs a backend; without one the module is refused cleanly.
"$trident" run --invoke neg "$tmp/code.wat" >"$tmp/out" 2>"$tmp/err"
if grep -q "is not available" "$tmp/err"; then
    check run-no-backend 1 "" "backend 'singlepass' is not available" \
        "$trident" run --invoke neg "$tmp/code.wat"
    exit 0
fi
check run-invoke-neg 0 "-7" "" "$trident" run --invoke neg "$tmp/code.wat"
check run-invoke-args 0 "-4294967291" "" "$trident" run --invoke add "$tmp/code.wat" 5 -4294967296
check run-invoke-hex 0 "4294967295" "" "$trident" run --invoke add "$tmp/code.wat" 0 0xffffffff
check run-invoke-floats 0 "$(printf '0.1\n1e+300')" "" "$trident" run --invoke floats "$tmp/code.wat" 0.1 1e300
check run-bad-arg 2 "" "not a valid i32" "$trident" run --invoke add "$tmp/code.wat" x 1
check run-arg-count 2 "" "takes 2 arguments" "$trident" run --invoke add "$tmp/code.wat" 1
check run-trap-oob 1 "" "out of bounds memory access" "$trident" run --invoke load "$tmp/code.wat" 65535
check run-trap-frame 1 "" '0: func 3 "load"' "$trident" run --invoke load "$tmp/code.wat" 65535
check run-trap-stack 1 "" "call stack exhausted" "$trident" run --invoke deep "$tmp/code.wat" 1
