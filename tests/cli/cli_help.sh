#!/usr/bin/env bash
# Every command of `trident --help` answers -h and --help: its usage on
# stdout, nothing on stderr, status 0. Commands that take a backend list
# the built ones with the default marked.
set -u
cd "$(dirname "$0")/../.."
trident=${TRIDENT:-build/trident}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmds=$("$trident" --help | awk '/^commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }')
[ -n "$cmds" ] || { echo "FAIL cli_help: trident --help lists no commands"; exit 0; }
fail=0
for c in $cmds; do
    for flag in -h --help; do
        "$trident" "$c" "$flag" >"$tmp/out" 2>"$tmp/err"
        st=$?
        if [ $st != 0 ] || [ -s "$tmp/err" ] || ! head -1 "$tmp/out" | grep -q "^usage: trident $c"; then
            echo "FAIL cli_help: trident $c $flag: status $st, stdout '$(head -1 "$tmp/out")'," \
                "stderr '$(head -1 "$tmp/err")'"
            fail=1
        fi
    done
    if grep -q -- "--backend=B" "$tmp/out" &&
        ! grep -q "^backends: .*singlepass.*optimizing (default)" "$tmp/out"; then
        echo "FAIL cli_help: trident $c --help does not list the backends"
        fail=1
    fi
done
[ $fail = 0 ] && echo "PASS cli_help: $(echo $cmds | wc -w) commands"
