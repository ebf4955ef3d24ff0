# Shared by tests/cli/wasi_*.sh and run_invoke.sh (sourced, needs $tmp): run a command and
# judge its status, stdout and stderr, printing one PASS or FAIL line.

# run COMMAND...: status in $status, stdout in $tmp/out, stderr in $tmp/err;
# stdin from $STDIN (default /dev/null).
run() {
    "$@" >"$tmp/out" 2>"$tmp/err" <"${STDIN:-/dev/null}"
    status=$?
}

# expect NAME STATUS STDOUT [STDERR-PATTERN]: judges the last run.
expect() {
    local name=$1 want=$2 out=$3 errpat=${4:-}
    if [ "$status" -ne "$want" ]; then
        echo "FAIL $name: status $status, wanted $want: $(head -c 400 "$tmp/err")"
    elif [ "$(cat "$tmp/out")" != "$out" ]; then
        echo "FAIL $name: printed '$(head -c 600 "$tmp/out")', wanted '$out'"
    elif [ -n "$errpat" ] && ! grep -q -- "$errpat" "$tmp/err"; then
        echo "FAIL $name: stderr lacks '$errpat': $(head -c 400 "$tmp/err")"
    else
        echo "PASS $name"
    fi
}

# check NAME STATUS STDOUT STDERR-PATTERN COMMAND...: run, then expect.
check() {
    local name=$1 want=$2 out=$3 errpat=$4
    shift 4
    run "$@"
    expect "$name" "$want" "$out" "$errpat"
}
