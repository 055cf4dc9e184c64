#!/usr/bin/env bash
# `make bench`: the release build against the local node, measured side by side in one run, as a
# table on standard output and in BENCHMARKS.md. Figures, not assertions.
#
# - the bundle's sizes (raw, gzip, br) and the bytes headless Chromium receives for a first and a
#   repeat visit of `/` with 50 users;
# - `/` (the page) against `POST /api/users/list` (the same 50 rows as JSON);
# - creates over HTTP against the same creates through the store with no HTTP in between, at
#   concurrency 1, 8 and 32;
# - the list page with 10^3 and with 10^6 users (each in a bench keyspace of its own, loaded once
#   and reused by later runs);
# - the server's memory (RSS) at rest and under the create load;
# - then what each correctness guarantee costs (examples/bench.rs).
#
# HTTP load comes from wrk (scripts/bench-wrk.lua). BENCH_SECONDS sets each run's length.
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
SMALL=bench_users_1k
LARGE=bench_users_1m
# Creates go to a keyspace of their own, so the two above keep the sizes they are named after.
CREATES=bench_creates
ADDRESS=127.0.0.1:3199
URL="http://$ADDRESS"
PASSWORD="bench password, long enough"
SERVER=target/release/cassandra-users
DATA=target/release/examples/bench_data
RESULTS=$(mktemp -d)

scripts/toolchain.sh bench
scripts/cassandra.sh start

say "building the release (cargo leptos build --release --precompress)"
cargo leptos build --release --precompress
cargo build --release --features ssr --example bench_data --example bench

SERVER_PID=""
start_server() { # keyspace
    CASSANDRA_KEYSPACE=$1 LEPTOS_SITE_ADDR=$ADDRESS LEPTOS_SITE_ROOT=target/site RUST_LOG=warn \
        "$SERVER" >"$RESULTS/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 150); do
        curl -fs "$URL/healthz" >/dev/null && return
        sleep 0.2
    done
    cat "$RESULTS/server.log" >&2
    die "the release server did not answer on $URL"
}
stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}
trap 'stop_server; rm -rf "$RESULTS"' EXIT
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$SERVER_PID/status"; }

# An editor and their API token in `keyspace`; prints the token.
editor_token() { # keyspace
    local cli=(env CASSANDRA_KEYSPACE="$1" "$SERVER")
    printf '%s\n' "$PASSWORD" | "${cli[@]}" operator add bench --role editor 2>/dev/null ||
        printf '%s\n' "$PASSWORD" | "${cli[@]}" operator reset-password bench 2>/dev/null
    "${cli[@]}" token create bench --label bench 2>/dev/null
}

# wrk for SECONDS_PER_RUN; prints one JSON line of figures (see scripts/bench-wrk.lua).
load() { # concurrency mode path [token]
    BENCH_MODE=$2 BENCH_TOKEN=${4:-} wrk --threads "$(( $1 < 2 ? 1 : 2 ))" --connections "$1" \
        --duration "${SECONDS_PER_RUN}s" --timeout 10s --script scripts/bench-wrk.lua "$URL$3" |
        grep '^{'
}

"$DATA" load "$SMALL" 1000
"$DATA" load "$LARGE" 1000000

say "bundle sizes and the bytes of a first and a repeat visit (headless Chromium)"
start_server "$SMALL"
TOKEN=$(editor_token "$SMALL")
node end2end/bench/visit-bytes.mjs "$URL" bench "$PASSWORD" / >"$RESULTS/visits.json"
ls -l target/site/pkg >"$RESULTS/pkg.txt"

say "the page against the JSON list, 10^3 users, 32 connections"
load 32 get / "$TOKEN" >"$RESULTS/page.json"
load 32 list /api/users/list "$TOKEN" >"$RESULTS/list.json"
load 8 get / "$TOKEN" >"$RESULTS/page-1k.json"
RSS_REST=$(rss_kb)
stop_server

say "creates over HTTP, and through the store without HTTP"
start_server "$CREATES"
TOKEN=$(editor_token "$CREATES")
RSS_PEAK=$(rss_kb)
for concurrency in 1 8 32; do
    load "$concurrency" create /api/users/create "$TOKEN" >"$RESULTS/http-create-$concurrency.json" &
    LOAD_PID=$!
    while kill -0 "$LOAD_PID" 2>/dev/null; do
        rss=$(rss_kb); [ "$rss" -gt "$RSS_PEAK" ] && RSS_PEAK=$rss
        sleep 0.5
    done
    wait "$LOAD_PID"
    "$DATA" creates "$CREATES" "$concurrency" "$SECONDS_PER_RUN" >"$RESULTS/store-create-$concurrency.json"
done
stop_server

say "the list page with 10^6 users"
start_server "$LARGE"
TOKEN=$(editor_token "$LARGE")
load 8 get / "$TOKEN" >"$RESULTS/page-1m.json"
stop_server

say "writing BENCHMARKS.md"
{
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
    echo "cores=$(nproc)"
    echo "memory=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel=$(uname -sr)"
    echo "rustc=$(rustc --version)"
    echo "cargo_leptos=$(cargo leptos --version)"
    echo "cassandra=$(scripts/cassandra.sh status 2>&1 | grep -o 'Cassandra [0-9][^ ]*' | head -n1)"
    echo "chromium=$(chromium --version 2>/dev/null)"
    echo "wrk=$(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2)"
    echo "seconds=$SECONDS_PER_RUN"
    echo "rss_rest_kb=$RSS_REST"
    echo "rss_peak_kb=$RSS_PEAK"
} >"$RESULTS/facts.txt"
python3 scripts/bench-report.py "$RESULTS" >BENCHMARKS.md.new
mv BENCHMARKS.md.new BENCHMARKS.md
cat BENCHMARKS.md

say "what each correctness guarantee costs"
"target/release/examples/bench"
