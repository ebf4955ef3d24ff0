#!/usr/bin/env bash
# The llvm backend from the command line: `trident compile -v` reports the
# compile time at each optimisation level, TRIDENT_LLVM_STATS gives the
# per-phase line, TRIDENT_LLVM_DUMP writes objects objdump can read, and
# `trident run` runs what the backend made. Skipped (PASS with a note)
# when LLVM is not built in; spec_llvm.sh checks that case.
set -u
trident=${TRIDENT:-build/trident}
if "$trident" run --help 2>&1 | grep -q '^backends:.* llvm (not built)'; then
    echo "PASS llvm-cli: LLVM not built in, nothing to check"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/m.wat" <<'EOF'
(module
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2))))))))
EOF

pass() { echo "PASS llvm-cli/$1"; }
fail() { echo "FAIL llvm-cli/$1: $2"; }

for level in 0 1 2 3; do
    out=$("$trident" compile --backend=llvm -O$level -v "$tmp/m.wat" 2>&1)
    if [[ $out =~ llvm\ -O$level:\ 1\ functions,\ [0-9]+\ bytes\ of\ code\ in\ [0-9.]+\ ms ]]; then
        pass "compile-O$level"
    else
        fail "compile-O$level" "$out"
    fi
done

out=$(TRIDENT_LLVM_STATS=1 "$trident" compile --backend=llvm "$tmp/m.wat" 2>&1)
if [[ $out =~ ^llvm:\ 1\ functions\ in\ 1\ chunks\ on\ 1\ threads\ at\ O2:.*\(ir\ [0-9.]+,\ opt\ [0-9.]+,\ codegen\ [0-9.]+,\ read\ [0-9.]+\ ms ]]; then
    pass stats
else
    fail stats "$out"
fi

mkdir "$tmp/dump"
TRIDENT_LLVM_DUMP="$tmp/dump" "$trident" compile --backend=llvm "$tmp/m.wat" 2>/dev/null
if objdump -d "$tmp/dump/chunk0.o" 2>/dev/null | grep -q '<f0>:'; then
    pass dump
else
    fail dump "no object with f0 in $tmp/dump: $(ls "$tmp/dump")"
fi

out=$("$trident" run --no-cache --backend=llvm --invoke fib "$tmp/m.wat" 20 2>&1)
[ "$out" = 6765 ] && pass run || fail run "fib(20) printed: $out"

# A module above TRIDENT_LLVM_LEAN_ABOVE bytes of bodies gets the lean
# pipeline at O2 (and still runs right), but the full one at O3.
out=$(TRIDENT_LLVM_LEAN_ABOVE=10 TRIDENT_LLVM_STATS=1 "$trident" run --no-cache --backend=llvm \
      --invoke fib "$tmp/m.wat" 20 2>&1)
[[ $out =~ threads\ at\ lean:.*6765$ ]] && pass lean || fail lean "$out"
out=$(TRIDENT_LLVM_LEAN_ABOVE=10 TRIDENT_LLVM_STATS=1 "$trident" compile --backend=llvm -O3 \
      "$tmp/m.wat" 2>&1)
[[ $out =~ threads\ at\ O3: ]] && pass lean-O3 || fail lean-O3 "$out"

out=$("$trident" compile --backend=llvm -O7 "$tmp/m.wat" 2>&1)
[ $? -eq 2 ] && pass bad-level || fail bad-level "-O7 accepted: $out"
