#!/usr/bin/env bash
# The release package as someone installs it: packed (from the debug build that is there, so the
# tests compile nothing twice), unpacked into an empty folder and started from another one. It
# serves a page and the bundle's files from its own site/, turns healthy, and its command line
# works. Needs the build that `cargo leptos build` (or end-to-end) leaves in target/.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "FAIL: $*" >&2; echo "dist: 0 passed, 1 failed"; exit 1; }
cql() { scripts/cassandra.sh cql-hex "$1"; }

archive=$(scripts/dist.sh --debug | tail -1)
unpacked=$(mktemp -d)
keyspace="dist_test_$$"
addr=127.0.0.1:3012
tar -xzf "$archive" -C "$unpacked"
dir="$unpacked/$(basename "$archive" -x86_64-linux.tar.gz)"
[ -x "$dir/cassandra-users" ] || fail "no server binary in $archive"
for file in hash.txt site/favicon.svg cassandra-users.service cassandra-users.env INSTALL.md; do
    [ -e "$dir/$file" ] || fail "$file is not in $archive"
done

# As a service manager starts it: from / and without any of the build's settings.
# `exec`, so that $app_pid is the server itself and the cleanup stops it.
as_installed() { cd / && exec env -u LEPTOS_SITE_ROOT -u LEPTOS_OUTPUT_NAME -u LEPTOS_HASH_FILES \
    CASSANDRA_KEYSPACE="$keyspace" LEPTOS_SITE_ADDR="$addr" RUST_LOG=warn "$dir/cassandra-users" "$@"; }
app() { (as_installed "$@"); }
as_installed >"$unpacked/server.log" 2>&1 &
app_pid=$!
cleanup() {
    kill "$app_pid" 2>/dev/null || true
    cql "DROP KEYSPACE IF EXISTS $keyspace" >/dev/null 2>&1 || true
    rm -rf "$unpacked"
}
trap cleanup EXIT

status_of() { curl -s -o /dev/null -w '%{http_code}' "$@" || true; }
for _ in $(seq 1 120); do
    [ "$(status_of "http://$addr/healthz")" = 200 ] && break
    kill -0 "$app_pid" 2>/dev/null || fail "the unpacked server exited: $(cat "$unpacked/server.log")"
    sleep 0.5
done
[ "$(status_of "http://$addr/healthz")" = 200 ] || fail "the unpacked server did not turn healthy"

printf 'a good long password\n' | app operator add packaged --role admin >/dev/null \
    || fail "the command line could not add an operator"
app operator list | grep -q "^packaged	admin	active" || fail "operator list does not show the operator"
token=$(app token create packaged) || fail "the command line could not make a token"

page=$(curl -sf -H "Authorization: Bearer $token" "http://$addr/") \
    || fail "the users page did not answer: $(tail -5 "$unpacked/server.log")"
stylesheet=$(grep -o '/pkg/cassandra-users\.[A-Za-z0-9_-]*\.css' <<<"$page" | head -1)
[ -n "$stylesheet" ] || fail "the page names no hashed stylesheet"
css_hash=$(sed -n 's/^css: //p' "$dir/hash.txt")
[ "$stylesheet" = "/pkg/cassandra-users.$css_hash.css" ] || fail "the page's stylesheet $stylesheet is not the package's ($css_hash)"
[ "$(status_of "http://$addr$stylesheet")" = 200 ] || fail "$stylesheet is not served from the package's site/"
wasm_hash=$(sed -n 's/^wasm: //p' "$dir/hash.txt")
[ "$(status_of "http://$addr/pkg/cassandra-users.$wasm_hash.wasm")" = 200 ] || fail "the bundle's wasm is not served"
[ "$(status_of "http://$addr/favicon.svg")" = 200 ] || fail "the public files are not served"
echo "dist: unpacked $(basename "$archive") ($(du -h "$archive" | cut -f1)) served a page, its assets and the CLI"
echo "dist: 1 passed"
