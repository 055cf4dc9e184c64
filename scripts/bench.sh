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
# - search with 10^3 and with 10^6 users, for a prefix most users have and for one only one
#   user has; the search page against the list page; the search index's size on disk and how
#   long the 10^6 load took;
# - 500 selected users deleted in one request, against 500 single deletes one after the other;
# - what the search terms cost a row write;
# - the export of 10^6 users against the driver paging the table, with the server's RSS; an
#   import of 10^5 rows against the same per-row calls from the driver (examples/bench_transfer.rs);
# - the server's memory (RSS) at rest and under the create load;
# - then what each correctness guarantee costs (examples/bench.rs).
#
# HTTP load comes from wrk (scripts/bench-wrk.lua). BENCH_SECONDS sets each run's length.
# Figures that are compared are measured BENCH_ROUNDS times, alternating which side goes first,
# after a warm-up of both sides (the node's JIT and caches, the server's allocator); the report
# shows the median round and every round's figure. On two cores shared by the node, the server and
# the load generator, one run of a side moves by ±15%.
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
WARM_UP_SECONDS=$(( (SECONDS_PER_RUN + 1) / 2 ))
SMALL=bench_users_1k
LARGE=bench_users_1m
# Creates go to a keyspace of their own, so the two above keep the sizes they are named after.
CREATES=bench_creates
ADDRESS=127.0.0.1:3199
URL="http://$ADDRESS"
# The 10^6 keyspace gets a server of its own, so the two sizes are measured in alternate rounds.
LARGE_URL="http://127.0.0.1:3198"
PASSWORD="bench password, long enough"
SERVER=target/release/cassandra-users
DATA=target/release/examples/bench_data
TRANSFER=target/release/examples/bench_transfer
IMPORT_ROWS=${BENCH_IMPORT_ROWS:-100000}
RESULTS=$(mktemp -d)

scripts/toolchain.sh bench
scripts/cassandra.sh start

say "building the release (cargo leptos build --release --precompress)"
cargo leptos build --release --precompress
cargo build --release --features ssr --example bench_data --example bench_transfer --example bench

# SERVER_PID is the server started last: the one whose memory is reported.
SERVER_PID=""
SERVER_PIDS=()
start_server() { # keyspace [url]
    local url=${2:-$URL}
    CASSANDRA_KEYSPACE=$1 LEPTOS_SITE_ADDR=${url#http://} LEPTOS_SITE_ROOT=target/site RUST_LOG=warn \
        "$SERVER" >"$RESULTS/server-$1.log" 2>&1 &
    SERVER_PID=$!
    SERVER_PIDS+=("$SERVER_PID")
    for _ in $(seq 1 150); do
        curl -fs "$url/healthz" >/dev/null && return
        sleep 0.2
    done
    cat "$RESULTS/server-$1.log" >&2
    die "the release server did not answer on $url"
}
stop_servers() {
    for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${SERVER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    SERVER_PIDS=()
    SERVER_PID=""
}
trap 'stop_servers; rm -rf "$RESULTS"' EXIT
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$SERVER_PID/status"; }

# An editor and their API token in `keyspace`; prints the token.
editor_token() { # keyspace
    local cli=(env CASSANDRA_KEYSPACE="$1" "$SERVER")
    printf '%s\n' "$PASSWORD" | "${cli[@]}" operator add bench --role editor 2>/dev/null ||
        printf '%s\n' "$PASSWORD" | "${cli[@]}" operator reset-password bench 2>/dev/null
    "${cli[@]}" token create bench --label bench 2>/dev/null
}

# wrk against BASE_URL (default URL) for RUN_SECONDS (default SECONDS_PER_RUN); prints one JSON
# line of figures (see scripts/bench-wrk.lua).
load() { # concurrency mode path [token] [body]
    BENCH_MODE=$2 BENCH_TOKEN=${4:-} BENCH_BODY=${5:-} wrk --threads "$(( $1 < 2 ? 1 : 2 ))" --connections "$1" \
        --duration "${RUN_SECONDS:-$SECONDS_PER_RUN}s" --timeout 10s --script scripts/bench-wrk.lua \
        "${BASE_URL:-$URL}$3" |
        grep '^{'
}
warm_up() { # concurrency mode path token
    RUN_SECONDS=$WARM_UP_SECONDS load "$@" >/dev/null
}
# Runs two measurements ROUNDS times, swapping which goes first every round.
alternate() { # "first command" "second command"
    for round in $(seq 1 "$ROUNDS"); do
        if (( round % 2 )); then $1; $2; else $2; $1; fi
    done
}

"$DATA" load "$SMALL" 1000 >"$RESULTS/load-1k.json"
"$DATA" load "$LARGE" 1000000 >"$RESULTS/load-1m.json"

# Right after a load, before the node has compacted it: the list and search once each side (a
# reused dataset was compacted long ago, so this is skipped then).
COMMON="q=ma"
RARE="q=u777."
if [ "$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["seconds"] > 0))' "$RESULTS/load-1m.json")" = 1 ]; then
    say "fresh from the load: the list and search with 10^3 and with 10^6 users, 8 connections, one round"
    start_server "$LARGE" "$LARGE_URL"
    FRESH_LARGE_TOKEN=$(editor_token "$LARGE")
    start_server "$SMALL"
    FRESH_TOKEN=$(editor_token "$SMALL")
    for what in list common rare; do
        case $what in
            list) mode=get path=/ body="" ;;
            common) mode=post path=/api/users/search body=$COMMON ;;
            rare) mode=post path=/api/users/search body=$RARE ;;
        esac
        RUN_SECONDS=$WARM_UP_SECONDS load 8 "$mode" "$path" "$FRESH_TOKEN" "$body" >/dev/null
        BASE_URL=$LARGE_URL RUN_SECONDS=$WARM_UP_SECONDS load 8 "$mode" "$path" "$FRESH_LARGE_TOKEN" "$body" >/dev/null
        load 8 "$mode" "$path" "$FRESH_TOKEN" "$body" >>"$RESULTS/fresh-1k-$what.jsonl"
        BASE_URL=$LARGE_URL load 8 "$mode" "$path" "$FRESH_LARGE_TOKEN" "$body" >>"$RESULTS/fresh-1m-$what.jsonl"
    done
    stop_servers
fi

# A fresh load leaves dozens of SSTables that the node compacts for minutes: measured meanwhile,
# every read there waits behind the compactions (p50 2-7× the settled figure in one run).
settle() {
    say "waiting until the node has no compaction left to do (the load leaves many SSTables)"
    for _ in $(seq 1 360); do
        stats=$(scripts/cassandra.sh nodetool compactionstats 2>/dev/null)
        pending=$(awk '/^pending tasks/ { print $3 }' <<<"$stats")
        [ "${pending:-1}" = 0 ] && ! grep -q 'compaction type' <<<"$stats" && return
        sleep 5
    done
    say "compactions still running after 30 minutes; measuring anyway"
}

say "the search and name-order entries on disk against the users, 10^6 users (flushed, compacted)"
scripts/cassandra.sh nodetool flush "$LARGE" users ordered_terms ordered_names
settle
du -cb .cassandra/data/data/"$LARGE"/ordered_terms-*/*Data.db | tail -n1 | cut -f1 >"$RESULTS/search-index-bytes"
du -cb .cassandra/data/data/"$LARGE"/ordered_names-*/*Data.db | tail -n1 | cut -f1 >"$RESULTS/name-order-bytes"
du -cb .cassandra/data/data/"$LARGE"/users-*/*Data.db | tail -n1 | cut -f1 >"$RESULTS/table-data-bytes"
# The largest partition of each table of entries: its bytes and cells (two per entry).
for table in ordered_terms ordered_names; do
    scripts/cassandra.sh nodetool tablehistograms "$LARGE" "$table" |
        awk '$1 == "Max" { print $(NF-1), $NF }' >"$RESULTS/largest-$table"
done

say "bundle sizes and the bytes of a first and a repeat visit (headless Chromium)"
start_server "$LARGE" "$LARGE_URL"
LARGE_PID=$SERVER_PID
LARGE_TOKEN=$(editor_token "$LARGE")
start_server "$SMALL"
TOKEN=$(editor_token "$SMALL")
node end2end/bench/visit-bytes.mjs "$URL" bench "$PASSWORD" / >"$RESULTS/visits.json"
ls -l target/site/pkg >"$RESULTS/pkg.txt"

say "the page against the JSON list, 10^3 users, 32 connections, $ROUNDS rounds"
page_run() { load 32 get / "$TOKEN" >>"$RESULTS/page.jsonl"; }
list_run() { load 32 list /api/users/list "$TOKEN" >>"$RESULTS/list.jsonl"; }
warm_up 32 get / "$TOKEN"
warm_up 32 list /api/users/list "$TOKEN"
alternate page_run list_run

say "the list page with 10^3 and with 10^6 users, 8 connections, $ROUNDS rounds"
small_page() { load 8 get / "$TOKEN" >>"$RESULTS/page-1k.jsonl"; }
large_page() { BASE_URL=$LARGE_URL load 8 get / "$LARGE_TOKEN" >>"$RESULTS/page-1m.jsonl"; }
warm_up 8 get / "$TOKEN"
BASE_URL=$LARGE_URL warm_up 8 get / "$LARGE_TOKEN"
alternate small_page large_page

# COMMON starts a word most users' names have, RARE the start of one user's email.
say "search with 10^3 and with 10^6 users, $COMMON and $RARE, 8 connections, $ROUNDS rounds"
for query in "$COMMON" "$RARE"; do
    kind=$([ "$query" = "$COMMON" ] && echo common || echo rare)
    small_search() { load 8 post /api/users/search "$TOKEN" "$query" >>"$RESULTS/search-1k-$kind.jsonl"; }
    large_search() { BASE_URL=$LARGE_URL load 8 post /api/users/search "$LARGE_TOKEN" "$query" >>"$RESULTS/search-1m-$kind.jsonl"; }
    warm_up 8 post /api/users/search "$TOKEN" "$query"
    BASE_URL=$LARGE_URL warm_up 8 post /api/users/search "$LARGE_TOKEN" "$query"
    alternate small_search large_search
done

say "the search page against the list page, 10^3 users, 32 connections, $ROUNDS rounds"
search_page_run() { load 32 get "/?$COMMON" "$TOKEN" >>"$RESULTS/search-page.jsonl"; }
list_page_run() { load 32 get / "$TOKEN" >>"$RESULTS/list-page.jsonl"; }
warm_up 32 get "/?$COMMON" "$TOKEN"
alternate search_page_run list_page_run
RSS_REST=$(rss_kb)

say "the export of 10^6 users over HTTP, against the driver paging the table, $ROUNDS rounds"
for _ in $(seq 1 "$ROUNDS"); do
    "$TRANSFER" export "$LARGE" "$LARGE_URL" "$LARGE_TOKEN" "$LARGE_PID" >>"$RESULTS/export.jsonl"
done
stop_servers

say "creates over HTTP, and through the store without HTTP, $ROUNDS rounds"
start_server "$CREATES"
TOKEN=$(editor_token "$CREATES")
RSS_START=$(rss_kb)
RSS_PEAK=0
# HTTP creates, sampling the server's RSS every 0.5 s while they run.
http_creates() { # concurrency
    load "$1" create /api/users/create "$TOKEN" >>"$RESULTS/http-create-$1.jsonl" &
    local load_pid=$!
    while kill -0 "$load_pid" 2>/dev/null; do
        rss=$(rss_kb); [ "$rss" -gt "$RSS_PEAK" ] && RSS_PEAK=$rss
        sleep 0.5
    done
    wait "$load_pid"
}
store_creates() { # concurrency
    "$DATA" creates "$CREATES" "$1" "$SECONDS_PER_RUN" >>"$RESULTS/store-create-$1.jsonl"
}
warm_up 32 create /api/users/create "$TOKEN"
"$DATA" creates "$CREATES" 32 "$WARM_UP_SECONDS" >/dev/null
for concurrency in 1 8 32; do
    alternate "http_creates $concurrency" "store_creates $concurrency"
done
say "creates with the driver doing only the seed's work (claim, row), 32 at once, $ROUNDS rounds"
for _ in $(seq 1 "$ROUNDS"); do "$DATA" raw-creates "$CREATES" 32 "$SECONDS_PER_RUN" >>"$RESULTS/raw-create-32.jsonl"; done

say "500 selected users deleted in one request, against 500 single deletes, $ROUNDS rounds"
for _ in $(seq 1 "$ROUNDS"); do "$DATA" bulk-deletes "$CREATES" "$URL" "$TOKEN" >>"$RESULTS/bulk-deletes.jsonl"; done

say "an import of $IMPORT_ROWS rows (upload, preview, start), against the same per-row calls from the driver"
"$TRANSFER" import "$CREATES" "$URL" "$TOKEN" "$IMPORT_ROWS" >"$RESULTS/import.json"
stop_servers

say "row writes with their search terms and without, 32 at once, $ROUNDS rounds"
for _ in $(seq 1 "$ROUNDS"); do "$DATA" row-writes "$CREATES" "$SECONDS_PER_RUN" >>"$RESULTS/row-writes.jsonl"; done

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
    echo "rounds=$ROUNDS"
    echo "warm_up_seconds=$WARM_UP_SECONDS"
    echo "rss_start_kb=$RSS_START"
    echo "rss_rest_kb=$RSS_REST"
    echo "rss_peak_kb=$RSS_PEAK"
} >"$RESULTS/facts.txt"
python3 scripts/bench-report.py "$RESULTS" >BENCHMARKS.md.new
mv BENCHMARKS.md.new BENCHMARKS.md
cat BENCHMARKS.md

say "what each correctness guarantee costs"
"target/release/examples/bench"
