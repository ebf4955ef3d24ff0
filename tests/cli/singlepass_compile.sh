#!/usr/bin/env bash
# `trident compile` on singlepass: a module's code written with --code
# disassembles into functions that start with the ABI prologue, at the
# extents printed; SIMD is refused with a clear message; bad usage exits 2.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
trident=${TRIDENT:-$root/build/trident}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL singlepass_compile: $*"; exit 1; }

cat >"$tmp/m.wat" <<'EOF'
(module
  (func $f (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "g") (param i32) (result i32) (call $f (local.get 0))))
EOF
"$trident" compile --backend=singlepass "$tmp/m.wat" --code="$tmp/code" >"$tmp/extents" ||
    fail "compile failed"
[ "$(wc -l <"$tmp/extents")" = 2 ] || fail "expected 2 extents, got: $(cat "$tmp/extents")"
command -v objdump >/dev/null || fail "objdump missing"
while read -r index offset size; do
    first=$(objdump -D -b binary -mi386:x86-64 --start-address="$offset" \
        --stop-address=$((offset + 4)) "$tmp/code" | grep -E '^ +[0-9a-f]+:' | awk -F'\t' '{print $3}' |
        tr -s ' ' | paste -sd';')
    [ "$first" = "push %rbp;mov %rsp,%rbp" ] || fail "function $index starts with '$first'"
    [ "$size" -gt 20 ] || fail "function $index is $size bytes"
done <"$tmp/extents"

echo '(module (func (result v128) (v128.const i64x2 1 2)))' >"$tmp/simd.wat"
out=$("$trident" compile --backend=singlepass "$tmp/simd.wat" 2>&1)
[ $? = 1 ] && grep -q "SIMD not supported by singlepass" <<<"$out" || fail "SIMD: $out"
"$trident" compile --backend=nosuch "$tmp/m.wat" 2>/dev/null
[ $? = 2 ] || fail "unknown backend is not a usage error"
echo "PASS singlepass_compile"
