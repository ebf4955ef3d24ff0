#!/usr/bin/env bash
# Precompiled modules and the cache from the command line. For every
# backend that compiles here (the others print SKIP): `trident compile` to a
# .twasm, then `trident run FILE.twasm` gives the same stdout, stderr and
# status as `trident run --no-cache --backend=B FILE.wasm` (WASI programs,
# --invoke, a trap). Then: damaged and foreign files refused (exit 1, a
# message), an output pipe written into, `run` fills the cache and reuses
# it, --no-cache and --cache-dir, `trident cache dir|clean`. One PASS/FAIL
# line per check.
set -u
cd "$(dirname "$0")/../.."
trident=${TRIDENT:-build/trident}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/xdg # never the user's cache

for p in hello args_env exit; do
    clang-19 --target=wasm32-wasi --sysroot=/usr -O2 "tests/wasi/$p.c" -o "$tmp/$p.wasm" 2>"$tmp/cc" ||
        { echo "FAIL cache-cli: cannot compile tests/wasi/$p.c: $(head -c 300 "$tmp/cc")"; exit 1; }
done
cat >"$tmp/calc.wat" <<'W'
(module
  (func $fib (export "fib") (param i64) (result i64)
    (if (result i64) (i64.lt_u (local.get 0) (i64.const 2))
      (then (local.get 0))
      (else (i64.add (call $fib (i64.sub (local.get 0) (i64.const 1)))
                     (call $fib (i64.sub (local.get 0) (i64.const 2)))))))
  (func $deep (export "deep") (param i32) (result i32)
    (i32.div_s (i32.const 7) (local.get 0))))
W
echo '(module (func (result i32) (i64.const 1)))' >"$tmp/bad.wat"

# same NAME BACKEND RUN-ARGS...: the .twasm run matches the direct run.
same() {
    local name=$1 b=$2
    shift 2
    "$trident" run --no-cache --backend="$b" "$@" >"$tmp/want" 2>"$tmp/want_err"
    local want=$?
    local args=("$@") i
    for i in "${!args[@]}"; do # the module argument, .wasm/.wat -> .twasm
        case ${args[$i]} in *.wasm | *.wat) args[$i]=$tmp/$b-$(basename "${args[$i]%.*}").twasm; break ;; esac
    done
    "$trident" run "${args[@]}" >"$tmp/got" 2>"$tmp/got_err"
    local got=$?
    sed -i "s|$tmp/$b-||; s|\.twasm|.wasm|" "$tmp/got_err"
    sed -i "s|$tmp/||; s|\.wat:|.wasm:|" "$tmp/want_err"
    if [ $got -ne $want ] || ! cmp -s "$tmp/want" "$tmp/got" || ! cmp -s "$tmp/want_err" "$tmp/got_err"; then
        echo "FAIL cache-$name-$b: .twasm: $got '$(head -c 200 "$tmp/got")' '$(head -c 200 "$tmp/got_err")'; direct: $want '$(head -c 200 "$tmp/want")' '$(head -c 200 "$tmp/want_err")'"
    else
        echo "PASS cache-$name-$b"
    fi
}

for b in singlepass optimizing llvm; do
    if ! "$trident" compile --backend=$b "$tmp/calc.wat" -o "$tmp/$b-calc.twasm" 2>"$tmp/err"; then
        echo "SKIP cache-roundtrip-$b: $(head -c 200 "$tmp/err")"
        continue
    fi
    for p in hello args_env exit; do
        "$trident" compile --backend=$b "$tmp/$p.wasm" -o "$tmp/$b-$p.twasm" 2>"$tmp/err" && continue
        # Only a backend that cannot compile the program itself is a skip.
        "$trident" run --no-cache --backend=$b "$tmp/$p.wasm" >/dev/null 2>"$tmp/err2"
        if cmp -s "$tmp/err" "$tmp/err2"; then
            echo "SKIP cache-$p-$b: $(head -c 200 "$tmp/err")"
        else
            echo "FAIL cache-compile-$p-$b: $(head -c 200 "$tmp/err")"
        fi
    done
    [ -f "$tmp/$b-hello.twasm" ] && same hello $b "$tmp/hello.wasm"
    [ -f "$tmp/$b-args_env.twasm" ] && same args $b --env GREETING=hi "$tmp/args_env.wasm" one 'two words'
    [ -f "$tmp/$b-exit.twasm" ] && same exit $b "$tmp/exit.wasm" 7
    [ -f "$tmp/$b-exit.twasm" ] && same trap $b "$tmp/exit.wasm" trap
    same invoke $b --invoke fib "$tmp/calc.wat" 20
    same invoke-trap $b --invoke deep "$tmp/calc.wat" 0
done

# check NAME WANT-STATUS STDERR-PATTERN COMMAND...
check() {
    local name=$1 want=$2 pat=$3
    shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ $got -ne "$want" ] || { [ -n "$pat" ] && ! grep -q -- "$pat" "$tmp/err" "$tmp/out"; }; then
        echo "FAIL cache-$name: status $got (wanted $want), '$(head -c 300 "$tmp/err")'"
    else
        echo "PASS cache-$name"
    fi
}

tw=$tmp/singlepass-hello.twasm
size=$(stat -c %s "$tw")
head -c $((size - 1)) "$tw" >"$tmp/short.twasm"
check truncated 1 "truncated or damaged .twasm file" "$trident" run "$tmp/short.twasm"
cp "$tw" "$tmp/flip.twasm"
printf '\x55' | dd of="$tmp/flip.twasm" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
check flipped 1 "damaged .twasm file: checksum mismatch" "$trident" run "$tmp/flip.twasm"
check compile-usage 2 "no file given" "$trident" compile
check compile-missing 1 "cannot open" "$trident" compile "$tmp/none.wasm" -o "$tmp/x.twasm"
check compile-invalid 1 "type mismatch" "$trident" compile "$tmp/bad.wat" -o "$tmp/bad.twasm"
[ ! -e "$tmp/bad.twasm" ] && echo "PASS cache-invalid-writes-nothing" || echo "FAIL cache-invalid-writes-nothing"

# An output that is not a regular file (a pipe here, /dev/null for users) is
# written into, not renamed over: it stays a pipe, the reader gets the file.
mkfifo "$tmp/pipe"
timeout 20 cat "$tmp/pipe" >"$tmp/piped" & # never opened for writing: no hang
timeout 20 "$trident" compile --backend=singlepass "$tmp/hello.wasm" -o "$tmp/pipe" 2>"$tmp/err"
got=$?
wait
if [ $got -ne 0 ] || [ ! -p "$tmp/pipe" ] || ! cmp -s "$tmp/piped" "$tw"; then
    echo "FAIL cache-output-pipe: status $got, pipe kept: $([ -p "$tmp/pipe" ] && echo yes || echo no), '$(head -c 200 "$tmp/err")'"
else
    echo "PASS cache-output-pipe"
fi

# The cache: run fills it, a second run reuses it, --no-cache leaves it be.
dir=$XDG_CACHE_HOME/trident
check dir 0 "$dir" "$trident" cache dir
check dir-option 0 "$tmp/mine" "$trident" cache dir --cache-dir="$tmp/mine"
"$trident" run --no-cache "$tmp/hello.wasm" >/dev/null
[ ! -e "$dir" ] && echo "PASS cache-no-cache" || echo "FAIL cache-no-cache: $(ls "$dir")"
"$trident" run "$tmp/hello.wasm" >/dev/null
entry=$(ls "$dir"/*.twasm 2>/dev/null)
[ "$(echo "$entry" | grep -c .)" = 1 ] && echo "PASS cache-filled" || echo "FAIL cache-filled: '$entry'"
touch -d '2001-01-01' "$entry"
ino=$(stat -c %i "$entry")
check warm 0 "hello, world" "$trident" run "$tmp/hello.wasm"
if [ "$(stat -c %i "$entry")" = "$ino" ] && [ "$(stat -c %Y "$entry")" -gt 978307200 ]; then
    echo "PASS cache-hit-reused-and-touched"
else
    echo "FAIL cache-hit-reused-and-touched: inode $ino -> $(stat -c %i "$entry"), mtime $(stat -c %Y "$entry")"
fi
printf '\x55' | dd of="$entry" bs=1 seek=300 conv=notrunc 2>/dev/null
check damaged-entry 0 "hello, world" "$trident" run "$tmp/hello.wasm"
[ "$(stat -c %i "$entry")" != "$ino" ] && echo "PASS cache-damaged-entry-replaced" ||
    echo "FAIL cache-damaged-entry-replaced"
"$trident" run --cache-dir="$tmp/mine" "$tmp/hello.wasm" >/dev/null
[ "$(ls "$tmp/mine" | grep -c '\.twasm$')" = 1 ] && echo "PASS cache-dir-used" || echo "FAIL cache-dir-used"
check clean 0 "removed 1 files" "$trident" cache clean
[ -z "$(ls "$dir")" ] && echo "PASS cache-cleaned" || echo "FAIL cache-cleaned: $(ls "$dir")"
check clean-usage 2 "say dir or clean" "$trident" cache
