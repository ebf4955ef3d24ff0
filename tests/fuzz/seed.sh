#!/usr/bin/env bash
# Fills DIR with the fuzzer's seed corpus: every binary module wast2json
# writes for the core spec tests (../shared/spec/core next to the repo).
#   tests/fuzz/seed.sh DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$dir"
for w in "$root"/../shared/spec/core/*.wast; do
    n=$(basename "$w" .wast)
    mkdir -p "$tmp/$n"
    wast2json "$w" -o "$tmp/$n/$n.json" >/dev/null 2>&1 || continue
done
find "$tmp" -name '*.wasm' -size -64k -exec cp {} "$dir" \;
echo "seed: $(ls "$dir" | wc -l) modules in $dir"
