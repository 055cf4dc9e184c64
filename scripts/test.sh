#!/usr/bin/env bash
# Every test, against real Cassandra: `make test`.
# First against the dev node (Cassandra 5.0; started if it is not running, and stopped again in
# that case), then the store and correctness suites again on a Cassandra 6 node with Accord
# (changes as transactions), then the store, HTTP, operator and audit suites against the local
# three-node cluster (TLS, passwords, NetworkTopologyStrategy, LOCAL_QUORUM), and the faults of
# each.
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

scripts/toolchain.sh

say "the layout of src/: no import cycle, mod.rs files only list modules, no file over 450 lines"
python3 scripts/check-layout.py

CASSANDRA6_VERSION=6.0-alpha2
# The Cassandra 6 node of the tests keeps its data apart from any 6.0 node of your own.
CASSANDRA6_STATE_DIR="$REPO_ROOT/.cassandra-6-tests"
# 6.0-alpha2 keeps something per schema change on its heap (Accord's topology of each epoch, as
# far as we can tell): after the ~900 schema changes of these suites a 1 GB heap ran out and the
# node died (OutOfMemoryError) under the last tests, and with the import suites 3 GB filled too.
# The dev node is stopped meanwhile, so the memory is there.
cassandra6() { CASSANDRA_HEAP=${CASSANDRA6_HEAP:-4G} CASSANDRA_VERSION=$CASSANDRA6_VERSION CASSANDRA_STATE_DIR=$CASSANDRA6_STATE_DIR scripts/cassandra.sh "$@"; }

started_cassandra=false
dev_node_was_running=false
if scripts/cassandra.sh status >/dev/null 2>&1; then
    dev_node_was_running=true
else
    scripts/cassandra.sh start
    started_cassandra=true
fi
# A fresh keyspace per run, so tests never see (or damage) anyone's data.
e2e_keyspace="e2e_$(date +%s)_$$"
drop_e2e_keyspaces() {
    # The browser tests also start servers over keyspaces of their own (setup.spec.ts).
    for keyspace in "$e2e_keyspace" "${e2e_keyspace}_setup" "${e2e_keyspace}_setup_nojs"; do
        scripts/cassandra.sh cql-hex "DROP KEYSPACE IF EXISTS $keyspace" >/dev/null 2>&1 || true
    done
}
cleanup() {
    drop_e2e_keyspaces
    if $started_cassandra; then scripts/cassandra.sh stop; fi
    if $started_cassandra6; then cassandra6 stop; rm -rf "$CASSANDRA6_STATE_DIR"; fi
    if $started_cluster; then scripts/cluster.sh stop; fi
    if $dev_node_was_running && ! scripts/cassandra.sh status >/dev/null 2>&1; then
        scripts/cassandra.sh start
    fi
}
started_cluster=false
started_cassandra6=false
trap cleanup EXIT

# The integration tests are one crate (tests/api) whose suites are chosen by module name; the
# tests that kill nodes or misconfigure the app are another (tests/outages), run step by step.
api_tests() { cargo test --features ssr --test api -- "$@"; }
outage_tests() { cargo test --features ssr --test outages -- "$@"; }

say "Rust unit and integration tests (real Cassandra at 127.0.0.1:9042)"
cargo build --features ssr --example quickstart
cargo test --features ssr --lib --test api -- --skip fuzz::
say "hostile input: 10,000 random and mutated requests"
api_tests --nocapture fuzz::

say "browser tests (Playwright in Chromium against the real server)"
CASSANDRA_KEYSPACE="$e2e_keyspace" USERS_PAGE_SIZE=5 LEPTOS_SITE_ADDR=127.0.0.1:3010 \
    cargo leptos end-to-end

say "the release package: unpacked elsewhere, it serves a page, its assets and the CLI"
tests/dist.sh

say "faults: the dev node SIGKILLed under a create load loses no acknowledged write"
outage_tests --nocapture --test-threads=1 dev_node_killed::
say "faults: the app server SIGKILLed in the middle of an import; a second server finishes it"
outage_tests --nocapture --test-threads=1 import_server_killed::

if [ "${CASSANDRA_RUNNER:-auto}" != docker ] && ! { command -v docker >/dev/null && timeout 5 docker info >/dev/null 2>&1; }; then
    say "Cassandra node lifecycle: stop leaves no process, start reuses the data"
    tests/cassandra_lifecycle.sh
fi

# Cassandra 6 answers on the dev node's address, so the dev node stops first (and starts again at
# the end if it was running before). Two cores: each node runs alone.
drop_e2e_keyspaces
scripts/cassandra.sh stop; started_cassandra=false
say "Cassandra $CASSANDRA6_VERSION with Accord: the store and correctness suites through the transaction path"
rm -rf "$CASSANDRA6_STATE_DIR"
started_cassandra6=true
cassandra6 start
CASSANDRA_VERSION=$CASSANDRA6_VERSION api_tests store:: adoption:: concurrency:: http:: audit:: search:: bulk:: count:: imports:: constraints::
cassandra6 stop; rm -rf "$CASSANDRA6_STATE_DIR"; started_cassandra6=false

say "the same suites against the local cluster: 3 nodes, dc1, TLS, passwords, LOCAL_QUORUM"
if ! scripts/cluster.sh status >/dev/null 2>&1; then
    started_cluster=true
    scripts/cluster.sh start
fi
(
    set -a; source .cluster/tests.env; set +a
    api_tests store:: http:: auth:: audit:: cli:: search:: bulk:: count:: imports::
    say "misconfiguration: wrong password, untrusted CA, unreachable contact points, no rights"
    outage_tests cluster_misconfigured::
    say "faults: one node of three SIGKILLed under a create and edit load"
    outage_tests --nocapture --test-threads=1 cluster_node_killed::
)
