#!/usr/bin/env bash
# Installs what building and testing the app needs, skipping whatever is already there:
# the wasm32 target, cargo-leptos, wasm-bindgen-cli (same version as Cargo.lock), wasm-opt,
# Java 17 + Maven (for the local Cassandra node), Chromium and the Playwright packages.
#
#   scripts/toolchain.sh            everything
#   scripts/toolchain.sh build      only what `cargo leptos build` needs
#   scripts/toolchain.sh bench      everything, plus wrk (the HTTP load generator of `make bench`)
source "$(dirname "$0")/lib.sh"

CARGO_LEPTOS_VERSION=0.3.11
BINARYEN_VERSION=132.0.0   # Debian's binaryen (108) emits release modules that fail to hydrate

# `cargo install --locked` of some tools pins crates that need a newer rustc than ours, or that the
# registry no longer serves. We install those from a copy of their source with the pins adjusted.
# Developer tools need not be fast, only built quickly: their crates' release profiles ask for
# fat LTO and one codegen unit (15 of a fresh machine's minutes went to cargo-leptos alone; 932 s
# at opt-level 1, 383 s unoptimised, and it runs no slower that anyone notices: it waits on cargo).
# Cargo lets the environment override a package's profile.
cheap_release_profile() {
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_DEBUG=false "$@"
}

install_crate_with_pins() {
    local crate=$1 version=$2 features=$3; shift 3
    local src
    cheap_release_profile cargo install "$crate" --version "$version" --locked $features --quiet 2>/dev/null && return 0
    say "$crate $version: adjusting lock-file pins ($*) and building from source"
    src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"$crate-$version" 2>/dev/null | head -n1)
    [ -n "$src" ] || die "cargo did not unpack $crate $version"
    local work="$TOOLS_CACHE/src/$crate-$version"
    rm -rf "$work" && mkdir -p "$(dirname "$work")" && cp -r "$src" "$work"
    (cd "$work" && for pin in "$@"; do cargo update --quiet $pin; done)
    cheap_release_profile cargo install --path "$work" --locked $features --quiet
}

ensure_wasm_target() {
    rustup target list --installed | grep -qx wasm32-unknown-unknown && return
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
}

ensure_cargo_leptos() {
    cargo leptos --version 2>/dev/null | grep -q " $CARGO_LEPTOS_VERSION" && return
    say "building cargo-leptos $CARGO_LEPTOS_VERSION (several minutes, once per machine)"
    install_crate_with_pins cargo-leptos "$CARGO_LEPTOS_VERSION" "--features no_downloads" \
        "-p cargo-util-schemas --precise 0.14.1"
}

# cargo-leptos uses whatever wasm-bindgen is on PATH; it must match the library version exactly.
ensure_wasm_bindgen() {
    local want
    want=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/[^0-9.]/, ""); print; exit}' "$REPO_ROOT/Cargo.lock")
    [ -n "$want" ] || die "wasm-bindgen not found in Cargo.lock"
    wasm-bindgen --version 2>/dev/null | grep -q " $want\$" && return
    say "building wasm-bindgen-cli $want (a minute or two, once per machine)"
    install_crate_with_pins wasm-bindgen-cli "$want" "" \
        "-p webpki-roots@1.0.11 --precise 1.0.10"
}

# Release builds always run wasm-opt. We install binaryen from npm into the shared cache and link
# it into cargo's bin folder, because cargo puts that folder first on PATH when it runs cargo-leptos.
ensure_wasm_opt() {
    local dir="$TOOLS_CACHE/binaryen-$BINARYEN_VERSION"
    if [ ! -x "$dir/node_modules/.bin/wasm-opt" ]; then
        say "installing wasm-opt (binaryen $BINARYEN_VERSION from npm)"
        mkdir -p "$dir"
        npm install --silent --no-fund --no-audit --prefix "$dir" "binaryen@$BINARYEN_VERSION" >/dev/null
    fi
    ln -sf "$dir/node_modules/.bin/wasm-opt" "$CARGO_BIN/wasm-opt"
}

# The scylla driver links OpenSSL for TLS to managed clusters.
ensure_openssl_headers() {
    pkg-config --exists openssl 2>/dev/null && return
    say "installing OpenSSL headers and pkg-config"
    apt_install libssl-dev pkg-config
}

ensure_java_and_maven() {
    [ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ] && command -v mvn >/dev/null && return
    say "installing OpenJDK 17 and Maven"
    apt_install openjdk-17-jre-headless maven
}

ensure_chromium() {
    command -v chromium >/dev/null && command -v curl >/dev/null && return
    say "installing Chromium and curl for the browser and lifecycle tests"
    apt_install chromium curl
}

# cqlsh (from PyPI) sets up and checks the local cluster, which speaks only TLS with passwords.
CQLSH_VERSION=6.2.2
ensure_cqlsh() {
    local venv="$TOOLS_CACHE/cqlsh"
    "$venv/bin/cqlsh" --version 2>/dev/null | grep -q "$CQLSH_VERSION" && return
    say "installing cqlsh $CQLSH_VERSION from PyPI (for the local cluster)"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "cqlsh==$CQLSH_VERSION"
}

# wrk drives the HTTP load in `make bench`; its Lua hook gives every create its own email.
ensure_wrk() {
    command -v wrk >/dev/null && return
    say "installing wrk (HTTP load generator) for make bench"
    apt_install wrk
}

ensure_end2end_packages() {
    local e2e="$REPO_ROOT/end2end" stamp want
    # npm ci wipes node_modules; skip it while node_modules was installed from this lock file.
    stamp="$e2e/node_modules/.installed-from-lock"
    want=$(sha256sum "$e2e/package-lock.json" | cut -d' ' -f1)
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return
    say "installing the Playwright packages (npm ci)"
    (cd "$e2e" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --silent --no-fund --no-audit)
    echo "$want" >"$stamp"
}

mode=${1:-all}
# Debian's packages first, one apt at a time; then the downloads from npm and PyPI go on while
# cargo builds the two tools (which keep both cores busy).
ensure_openssl_headers
ensure_java_and_maven
[ "$mode" = build ] || ensure_chromium
[ "$mode" = bench ] && ensure_wrk
downloads=""
if [ "$mode" != build ]; then
    ( ensure_end2end_packages; ensure_cqlsh ) &
    downloads=$!
fi
ensure_wasm_opt
ensure_wasm_target
ensure_cargo_leptos
ensure_wasm_bindgen
[ -z "$downloads" ] || wait "$downloads"
exit 0
