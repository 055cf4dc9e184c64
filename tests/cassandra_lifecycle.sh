#!/usr/bin/env bash
# The local node's lifecycle, and the app's recovery across it:
# - `make cassandra-stop` leaves no Cassandra process;
# - the next `make cassandra-start` finds the data it had (same node identity, a keyspace made
#   before the restart), and a second start is a no-op;
# - a running server answers 503 while the node is down and works again, without a restart,
#   once it is back.
# Needs the server binary that `cargo leptos build` (or end-to-end) leaves in target/debug.
# The server is called as a script calls it: with an API token made by its command line.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "FAIL: $*" >&2; echo "lifecycle: 0 passed, 1 failed"; exit 1; }
cql() { scripts/cassandra.sh cql-hex "$1"; }

app_addr=127.0.0.1:3011
app_keyspace="lifecycle_app_$$"
[ -x target/debug/cassandra-users ] || fail "build the server first (cargo leptos build)"
make --no-print-directory cassandra-start

CASSANDRA_KEYSPACE=$app_keyspace LEPTOS_SITE_ADDR=$app_addr LEPTOS_SITE_ROOT=target/site RUST_LOG=warn \
    target/debug/cassandra-users >target/lifecycle-server.log 2>&1 &
app_pid=$!
cleanup() {
    kill "$app_pid" 2>/dev/null || true
    cql "DROP KEYSPACE IF EXISTS $app_keyspace" >/dev/null 2>&1 || true
    cql "DROP KEYSPACE IF EXISTS lifecycle_probe" >/dev/null 2>&1 || true
}
trap cleanup EXIT

status_of() { curl -s -o /dev/null -w '%{http_code}' "$@" || true; }
health() { status_of "http://$app_addr/healthz"; }
cli() { CASSANDRA_KEYSPACE=$app_keyspace RUST_LOG=warn target/debug/cassandra-users "$@"; }
token=""
create() {
    status_of -H 'Accept: application/json' -H "Authorization: Bearer $token" \
        --data-urlencode "name=Lifecycle" --data-urlencode "email=$1@example.com" \
        "http://$app_addr/api/users/create"
}
wait_for_health() {
    for _ in $(seq 1 120); do [ "$(health)" = "$1" ] && return 0; sleep 0.5; done
    fail "/healthz did not become $1 within 60s (server log: target/lifecycle-server.log)"
}

wait_for_health 200
[ "$(create anonymous)" = 401 ] || fail "a create without a token should be 401"
echo "lifecycle editor password" | cli operator add lifecycle --role editor 2>/dev/null \
    || fail "operator add from the command line"
token=$(cli token create lifecycle 2>/dev/null) || fail "token create from the command line"
[ "$(create before)" = 200 ] || fail "create before the restart"
cql "CREATE KEYSPACE IF NOT EXISTS lifecycle_probe WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}" >/dev/null
host_id=$(cql "SELECT host_id FROM system.local")
[ -n "$host_id" ] || fail "no host_id before the restart"

make --no-print-directory cassandra-stop
pgrep -f org.apache.cassandra.service.CassandraDaemon >/dev/null && fail "a Cassandra process is still running after cassandra-stop"
make --no-print-directory cassandra-status >/dev/null 2>&1 && fail "cassandra-status still reports a node"
[ "$(health)" = 503 ] || fail "/healthz should be 503 while Cassandra is down, was $(health)"
[ "$(create during)" = 503 ] || fail "a create while Cassandra is down should be 503"

make --no-print-directory cassandra-start
make --no-print-directory cassandra-start 2>&1 | grep -q "already answers" || fail "a second start was not a no-op"
[ "$(cql "SELECT host_id FROM system.local")" = "$host_id" ] \
    || fail "the node came back with another identity: its data was not reused"
[ -n "$(cql "SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = 'lifecycle_probe'")" ] \
    || fail "the keyspace created before the restart is gone"

wait_for_health 200
[ "$(create after)" = 200 ] || fail "the server did not recover after Cassandra came back"
[ "$(create before)" = 409 ] || fail "the user created before the restart is gone"

echo "lifecycle: 1 passed, 0 failed"
