#!/usr/bin/env bash
# `make cassandra-stop` leaves no Cassandra process, and the next `make cassandra-start` finds
# the data it had: the same node identity and a keyspace created before the restart.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "FAIL: $*" >&2; exit 1; }

make --no-print-directory cassandra-start
scripts/cassandra.sh cql-hex "CREATE KEYSPACE IF NOT EXISTS lifecycle_probe WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}" >/dev/null
host_id=$(scripts/cassandra.sh cql-hex "SELECT host_id FROM system.local")
[ -n "$host_id" ] || fail "no host_id before the restart"

make --no-print-directory cassandra-stop
if pgrep -f org.apache.cassandra.service.CassandraDaemon >/dev/null; then
    fail "a Cassandra process is still running after cassandra-stop"
fi
make --no-print-directory cassandra-status >/dev/null 2>&1 && fail "cassandra-status still reports a node"

make --no-print-directory cassandra-start
make --no-print-directory cassandra-start 2>&1 | grep -q "already answers" || fail "a second start was not a no-op"
[ "$(scripts/cassandra.sh cql-hex "SELECT host_id FROM system.local")" = "$host_id" ] \
    || fail "the node came back with another identity: its data was not reused"
[ -n "$(scripts/cassandra.sh cql-hex "SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = 'lifecycle_probe'")" ] \
    || fail "the keyspace created before the restart is gone"
scripts/cassandra.sh cql-hex "DROP KEYSPACE lifecycle_probe" >/dev/null

echo "cassandra lifecycle: 1 passed, 0 failed"
