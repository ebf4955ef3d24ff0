#!/usr/bin/env bash
# Fills DIR with the fuzzer's seed corpus: every binary module wast2json
# writes for the core spec tests (../shared/spec/core next to the repo), and
# each function body of those modules on its own, prefixed with a type byte
# (the fuzzer's body mode).
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
python3 - "$dir" <<'PY'
import glob, hashlib, os, sys

def leb(b, i):
    v = shift = 0
    while True:
        c = b[i]; i += 1
        v |= (c & 0x7F) << shift; shift += 7
        if c < 0x80:
            return v, i

def bodies(b):
    i = 8
    while i < len(b):
        sid = b[i]; size, i = leb(b, i + 1)
        if sid == 10:
            n, j = leb(b, i)
            for _ in range(n):
                sz, j = leb(b, j)
                yield b[j:j + sz]; j += sz
        i += size

out = sys.argv[1]
for f in glob.glob(out + "/*.wasm"):
    try:
        for k, body in enumerate(bodies(open(f, "rb").read())):
            if 2 < len(body) < 4096:
                seed = bytes([k % 4]) + body
                name = "body-" + hashlib.sha1(seed).hexdigest()[:16]
                open(os.path.join(out, name), "wb").write(seed)
    except (IndexError, ValueError):
        pass  # malformed on purpose
PY
echo "seed: $(ls "$dir" | wc -l) inputs in $dir"
