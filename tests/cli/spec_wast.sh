#!/usr/bin/env bash
# Runs `trident wast` on every spec core script: one PASS/FAIL line per file
# (FAIL when its run reports a failure). Commands that need the runtime are
# skipped by `trident wast` until it is wired in.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
spec=$root/../shared/spec/core
trident=${TRIDENT:-$root/build/trident}
[ -d "$spec" ] || { echo "FAIL spec_wast: no spec directory at $spec"; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
for f in "$spec"/*.wast; do
    name=$(basename "$f" .wast)
    if "$trident" wast "$f" >"$out/stdout" 2>"$out/stderr"; then
        echo "PASS spec_wast/$name: $(tail -n 1 "$out/stdout")"
    else
        echo "FAIL spec_wast/$name: $(tail -n 1 "$out/stdout"); $(head -n 1 "$out/stderr")"
        status=1
    fi
done
exit $status
