#!/usr/bin/env bash
# `trident validate` on text modules: a valid .wat passes silently, a text
# error is reported as FILE:LINE:COLUMN, and binary or text is decided by the
# content, not the file name.
set -u
trident=${TRIDENT:-build/trident}
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
status=0
result() { # name ok? detail
    if [ "$2" = 1 ]; then echo "PASS text_validate/$1"; else echo "FAIL text_validate/$1: $3"; status=1; fi
}
run() { # expected-status file -> sets rc and err
    "$trident" validate "$2" >"$d/out" 2>"$d/err"
    rc=$?
    err=$(cat "$d/out" "$d/err")
    [ "$rc" = "$1" ]
}

cat >"$d/ok.wat" <<'WAT'
(module
  (func $fac (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1))))))))
WAT
run 0 "$d/ok.wat" && [ -z "$err" ]
result valid $(( $? == 0 )) "status $rc: $err"

printf '(module\n  (func\n    i32.const 1\n    i32.bogus drop))\n' >"$d/bad.wat"
run 1 "$d/bad.wat" && grep -q "bad.wat:4:5: unknown operator" <<<"$err"
result text-error-position $(( $? == 0 )) "status $rc: $err"

printf '(module (func (result i32) (i64.const 0)))' >"$d/invalid.wat"
run 1 "$d/invalid.wat" && grep -q "invalid" <<<"$err"
result invalid-text-module $(( $? == 0 )) "status $rc: $err"

cp "$d/ok.wat" "$d/text.txt"
run 0 "$d/text.txt"
result text-by-content $(( $? == 0 )) "status $rc: $err"

# A .wasm file is binary whatever it holds: an empty or text one is malformed.
: >"$d/empty.wasm"
run 1 "$d/empty.wasm" && grep -q "magic header" <<<"$err"
result empty-wasm-malformed $(( $? == 0 )) "status $rc: $err"

printf '\0asm\1\0\0\0' >"$d/binary-named.wat"
run 0 "$d/binary-named.wat"
result binary-by-content $(( $? == 0 )) "status $rc: $err"

printf '\0asm\2\0\0\0' >"$d/badversion.wat"
run 1 "$d/badversion.wat" && grep -q "malformed" <<<"$err"
result binary-error $(( $? == 0 )) "status $rc: $err"

printf '(module (data "\\ff\\00") (memory 1) (func (unreachable)) (; open comment' >"$d/unclosed.wat"
run 1 "$d/unclosed.wat" && grep -q "unclosed.wat:1:.*unclosed comment" <<<"$err"
result unclosed-comment $(( $? == 0 )) "status $rc: $err"
exit $status
