#!/usr/bin/env bash
# `trident wast`: counts, failure lines FILE:LINE: command: why, exit status.
set -u
trident=${TRIDENT:-build/trident}
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
status=0
result() { # name ok? detail
    if [ "$2" = 1 ]; then echo "PASS text_wast/$1"; else echo "FAIL text_wast/$1: $3"; status=1; fi
}

cat >"$d/good.wast" <<'WAST'
(module $m (func (export "id") (param i32) (result i32) (local.get 0)))
(assert_return (invoke "id" (i32.const 3)) (i32.const 3))
(assert_malformed (module quote "(func i32.bogus)") "unknown operator")
(assert_malformed (module binary "\00asm" "\02\00\00\00") "unknown binary version")
(assert_invalid (module (func (result i32) (i64.const 0))) "type mismatch")
WAST
out=$("$trident" wast "$d/good.wast" 2>&1)
rc=$?
[ $rc = 0 ] && grep -qx "5 passed, 0 failed, 0 skipped" <<<"$out"
result counts $(( $? == 0 )) "status $rc: $out"

cat >"$d/bad.wast" <<'WAST'
(module (func (export "id") (param i32) (result i32) (local.get 0)))

(assert_malformed (module quote "(func nop)") "oops")
(assert_invalid (module (func)) "oops")
(assert_return (invoke "id" (i32.const 3)) (i32.const 4))
(assert_trap (invoke "id" (i32.const 3)) "unreachable")
(module (func (result i32)))
WAST
out=$("$trident" wast "$d/bad.wast" 2>&1)
rc=$?
[ $rc = 1 ] && grep -q "bad.wast:3: assert_malformed: " <<<"$out" &&
    grep -q "bad.wast:4: assert_invalid: " <<<"$out" &&
    grep -q "bad.wast:5: assert_return: result 0 is i32:3, expected i32:4" <<<"$out" &&
    grep -q "bad.wast:6: assert_trap: " <<<"$out" && grep -q "bad.wast:7: module: " <<<"$out" &&
    grep -qx "1 passed, 5 failed, 0 skipped" <<<"$out"
result failures $(( $? == 0 )) "status $rc: $out"

printf '(module)\n(assert_return (invoke "f") (i32.const 1)\n' >"$d/broken.wast"
out=$("$trident" wast "$d/broken.wast" 2>&1)
rc=$?
[ $rc = 1 ] && grep -q "broken.wast:3:1: unexpected end" <<<"$out"
result script-error $(( $? == 0 )) "status $rc: $out"

"$trident" wast --bogus "$d/good.wast" >/dev/null 2>&1
rc=$?
[ $rc = 2 ]
result usage $(( $? == 0 )) "status $rc"

"$trident" wast "$d/missing.wast" >/dev/null 2>&1
rc=$?
[ $rc = 1 ]
result missing-file $(( $? == 0 )) "status $rc"
exit $status
