#!/usr/bin/env bash
# Every test, against real Cassandra: `make test`.
# First against the dev node (started if it is not running, and stopped again in that case), then
# the store, HTTP, operator and audit suites again against the local three-node cluster (TLS,
# passwords, NetworkTopologyStrategy, LOCAL_QUORUM), and the faults of each.
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

scripts/toolchain.sh

started_cassandra=false
if ! scripts/cassandra.sh status >/dev/null 2>&1; then
    scripts/cassandra.sh start
    started_cassandra=true
fi
# A fresh keyspace per run, so tests never see (or damage) anyone's data.
e2e_keyspace="e2e_$(date +%s)_$$"
cleanup() {
    # The browser tests also start servers over keyspaces of their own (setup.spec.ts).
    for keyspace in "$e2e_keyspace" "${e2e_keyspace}_setup" "${e2e_keyspace}_setup_nojs"; do
        scripts/cassandra.sh cql-hex "DROP KEYSPACE IF EXISTS $keyspace" >/dev/null 2>&1 || true
    done
    if $started_cassandra; then scripts/cassandra.sh stop; fi
    if $started_cluster; then scripts/cluster.sh stop; fi
}
started_cluster=false
trap cleanup EXIT

say "Rust unit and integration tests (real Cassandra at 127.0.0.1:9042)"
cargo build --features ssr --examples
cargo test --features ssr --lib --tests
say "hostile input: 10,000 random and mutated requests"
cargo test --features ssr --test fuzz -- --nocapture

say "browser tests (Playwright in Chromium against the real server)"
CASSANDRA_KEYSPACE="$e2e_keyspace" USERS_PAGE_SIZE=5 LEPTOS_SITE_ADDR=127.0.0.1:3010 \
    cargo leptos end-to-end

say "faults: the dev node SIGKILLed under a create load loses no acknowledged write"
cargo test --features ssr --test faults -- --nocapture --test-threads=1

if [ "${CASSANDRA_RUNNER:-auto}" != docker ] && ! { command -v docker >/dev/null && timeout 5 docker info >/dev/null 2>&1; }; then
    say "Cassandra node lifecycle: stop leaves no process, start reuses the data"
    tests/cassandra_lifecycle.sh
fi

# Two cores: the cluster runs alone.
if $started_cassandra; then scripts/cassandra.sh stop; started_cassandra=false; fi
say "the same suites against the local cluster: 3 nodes, dc1, TLS, passwords, LOCAL_QUORUM"
if ! scripts/cluster.sh status >/dev/null 2>&1; then
    started_cluster=true
    scripts/cluster.sh start
fi
(
    set -a; source .cluster/tests.env; set +a
    cargo test --features ssr --test store --test http --test auth --test audit --test cli
    say "misconfiguration: wrong password, untrusted CA, unreachable contact points, no rights"
    cargo test --features ssr --test cluster_config
    say "faults: one node of three SIGKILLed under a create and edit load"
    cargo test --features ssr --test cluster_faults -- --nocapture --test-threads=1
)
