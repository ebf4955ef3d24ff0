#!/usr/bin/env bash
# `trident validate -v` and `trident compile -v`: the line each prints for a
# good module (function count, code size, times), which bench/compile_speed.py
# reads its in-process figures from; nothing of it for a bad module.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
trident=${TRIDENT:-$root/build/trident}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL cli_verbose/$1: $2"; failed=1; }

cat >"$tmp/m.wat" <<'EOF'
(module
  (import "env" "h" (func $h))
  (func $f (param i32) (result i32) (call $h) (i32.add (local.get 0) (i32.const 1)))
  (func (export "g") (param i32) (result i32) (call $f (local.get 0))))
EOF
# The bench's own pattern: what it cannot parse it reports as a bad run.
times() {
    PYTHONPATH="$root/bench" python3 -c '
import sys, compile_speed
m = compile_speed.TRIDENT_TIMES.search(sys.stdin.read())
print("%s %s" % (m.group(1), m.group(2)) if m else "none")'
}

out=$("$trident" validate -v "$tmp/m.wat" 2>&1)
[[ $out == "$tmp/m.wat: valid: 2 functions in "* ]] || fail validate "$out"
[ "$(times <<<"$out")" != none ] || fail validate-times "$out"

for b in singlepass optimizing; do
    out=$("$trident" compile -v --backend=$b "$tmp/m.wat" --code="$tmp/code" 2>&1 >/dev/null)
    size=$(stat -c %s "$tmp/code")
    [[ $out == "$tmp/m.wat: $b -O2: 2 functions, $size bytes of code in "* ]] || fail "$b" "$out"
    read -r wall cpu < <(times <<<"$out")
    awk -v w="$wall" -v c="$cpu" 'BEGIN { exit !(w >= 0 && c >= 0 && w < 60000) }' ||
        fail "$b-times" "$out"
done

printf '\0asm\1\0\0\0\1' >"$tmp/bad.wasm"
out=$("$trident" validate -v "$tmp/bad.wasm" 2>&1)
[ $? = 1 ] && ! grep -q " ms CPU" <<<"$out" || fail invalid "$out"
"$trident" validate -v 2>/dev/null
[ $? = 2 ] || fail no-file "validate -v without a file is not a usage error"
[ $failed = 0 ] && echo "PASS cli_verbose"
