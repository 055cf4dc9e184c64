#!/usr/bin/env bash
# Every test, against a real Cassandra node: `make test`.
# Starts the node if it is not running, and stops it again at the end in that case.
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
}
trap cleanup EXIT

say "Rust unit and integration tests (real Cassandra at 127.0.0.1:9042)"
cargo build --features ssr --examples
cargo test --features ssr --lib --tests

say "browser tests (Playwright in Chromium against the real server)"
CASSANDRA_KEYSPACE="$e2e_keyspace" USERS_PAGE_SIZE=5 LEPTOS_SITE_ADDR=127.0.0.1:3010 \
    cargo leptos end-to-end

say "faults: the dev node SIGKILLed under a create load loses no acknowledged write"
cargo test --features ssr --test faults -- --nocapture --test-threads=1

if [ "${CASSANDRA_RUNNER:-auto}" != docker ] && ! { command -v docker >/dev/null && timeout 5 docker info >/dev/null 2>&1; }; then
    say "Cassandra node lifecycle: stop leaves no process, start reuses the data"
    tests/cassandra_lifecycle.sh
fi
