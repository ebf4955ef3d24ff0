#!/usr/bin/env bash
# Installs the Debian packages Trident's build, tests and benchmarks need.
# Does nothing when everything is present; otherwise needs root (or sudo).
set -euo pipefail

packages=(
    clang-19 lld-19 llvm-19 llvm-19-dev     # compiler for us, wasm32 tests, LLVM backend
    libclang-rt-19-dev                      # ASan/UBSan/libFuzzer runtimes for clang-19
    libclang-rt-19-dev-wasm32 wasi-libc     # C programs compiled to wasm32-wasi
    wabt binaryen                           # wast2json/wat2wasm cross-checks, fuzzing
    make binutils python3 nodejs            # build, objdump, test scripts, peer runtime
    gcc gnuplot-nox time                    # bench: native baseline, wasm2c, charts, peak RSS
    rustc cargo libstd-rust-dev-wasm32 librust-pulldown-cmark-dev librust-getopts-dev librust-hexyl-dev # Rust programs of tests/cli/wasi_real.sh
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
