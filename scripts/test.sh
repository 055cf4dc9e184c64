#!/usr/bin/env bash
# Every test, against real Cassandra: `make test`. Each suite runs where it proves something:
# - the dev node (Cassandra 5.0; started if it is not running, and stopped again in that case):
#   everything: unit, store, HTTP, operators, audit, CLI, search, imports, 10,000 fuzzed requests,
#   Playwright in Chromium, the release package, the container image, the node and an app server
#   killed, the node's stop/start;
# - a Cassandra 6 node with Accord: what runs as transactions there (the users store and the
#   suites that write through it, column constraints), and what the footer and health say;
# - the local three-node cluster (TLS, passwords, NetworkTopologyStrategy, LOCAL_QUORUM): claims
#   and paging at quorum, sessions and lockouts shared by app servers, the command line's own
#   connection, estimates summed over nodes, an import's lease and chunks, misconfiguration, a
#   node killed under load.
# The tests of a node share one keyspace and keep apart by their data (tests/api/helpers/).
# At the end it prints each phase with its seconds and writes them to target/test-times.tsv.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/test-phases.sh"
cd "$REPO_ROOT"

# The nodes of a run are its own, their data thrown away at its end: the tests never see (or
# damage) yours. A dev node of yours that runs is stopped meanwhile and started again after.
TEST_NODE_STATE_DIR="$REPO_ROOT/.cassandra-5-tests"
CASSANDRA6_VERSION=6.0-alpha2
CASSANDRA6_STATE_DIR="$REPO_ROOT/.cassandra-6-tests"
cassandra6() { CASSANDRA_HEAP=${CASSANDRA6_HEAP:-2G} CASSANDRA_VERSION=$CASSANDRA6_VERSION CASSANDRA_STATE_DIR=$CASSANDRA6_STATE_DIR scripts/cassandra.sh "$@"; }
# Authenticator apps' secrets are sealed with this key in every server the tests start.
export SECRETS_KEY_FILE
SECRETS_KEY_FILE=$(scripts/secrets-key.sh)
# The browser tests' server has a keyspace of its own, as a deployment would, and signs in
# through the test OpenID Provider that Playwright starts (end2end/openid-provider.mjs).
E2E_KEYSPACE="e2e_$(date +%s)_$$"
E2E_SINGLE_SIGN_ON=(OIDC_ISSUER=http://127.0.0.1:3011 PUBLIC_URL=http://127.0.0.1:3010
    OIDC_CLIENT_ID=cassandra-users OIDC_CLIENT_SECRET=test-client-secret-of-the-console
    "OIDC_PROVIDER_NAME=Test Provider" OIDC_ROLES=users-admin=admin,users-editor=editor)

dev_node_up() { scripts/cassandra.sh status >/dev/null 2>&1; }
stop_test_node() {
    CASSANDRA_STATE_DIR=$TEST_NODE_STATE_DIR scripts/cassandra.sh stop
    rm -rf "$TEST_NODE_STATE_DIR"
}

started_test_node=false
started_cassandra6=false
started_cluster=false
dev_node_was_running=false
# After a failure the nodes' logs are kept in target/node-logs/ (their data is thrown away).
keep_node_logs() {
    local logs="$REPO_ROOT/target/node-logs" node
    rm -rf "$logs" && mkdir -p "$logs"
    cp -r "$TEST_NODE_STATE_DIR/logs" "$logs/dev-node" 2>/dev/null || true
    cp -r "$CASSANDRA6_STATE_DIR/logs" "$logs/cassandra-6" 2>/dev/null || true
    for node in "$REPO_ROOT"/.cluster/node*/; do
        [ -d "$node/logs" ] && cp -r "$node/logs" "$logs/cluster-$(basename "$node")"
    done
    say "the nodes' logs are in ${logs#"$REPO_ROOT"/}"
}
finish() {
    local rc=$?
    [ "$rc" -eq 0 ] || keep_node_logs
    if $started_test_node; then stop_test_node; fi
    if $started_cassandra6; then cassandra6 stop; rm -rf "$CASSANDRA6_STATE_DIR"; fi
    if $started_cluster; then scripts/cluster.sh stop; fi
    if $dev_node_was_running && ! dev_node_up; then env -u CASSANDRA_STATE_DIR scripts/cassandra.sh start; fi
    print_phases "$([ "$rc" -eq 0 ] && echo passed || echo FAILED)"
    exit "$rc"
}
trap finish EXIT

# The integration tests are one crate (tests/api) whose suites are chosen by module name; the
# tests that kill nodes or misconfigure the app are another (tests/outages), run step by step.
# The integration tests mostly wait on Cassandra, so four run at once on the dev node and on
# Cassandra 6; three on the cluster, whose three nodes share the two cores (two: 119 s, three: 107 s).
api_tests() { cargo test --features ssr --test api -- --test-threads=4 "$@"; }
outage_tests() { cargo test --features ssr --test outages -- --nocapture --test-threads=1 "$@"; }
# A fresh clone (CI) compiles everything once: incremental compilation only writes caches that no
# later build reads (the crate and its tests: 89 s without, 112 s with). Kept on elsewhere, where
# the next run reuses them.
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi
# One compile of the server: the tests' build makes the binary that the browser tests, the package
# and the image use too (cargo-leptos builds only the WebAssembly bundle and the site).
compile_server_and_tests() {
    cargo test --features ssr --no-run --lib --test api --test outages
    cargo build --features ssr --example quickstart
}

phase "toolchain (installs what is missing)" scripts/toolchain.sh
phase "layout of src/: no import cycle, mod.rs only lists modules, no file over 450 lines" \
    python3 scripts/check-layout.py

# The test node (Cassandra 5.0, as the dev node) starts while the code compiles.
if dev_node_up; then
    dev_node_was_running=true
    scripts/cassandra.sh stop
fi
rm -rf "$TEST_NODE_STATE_DIR"
export CASSANDRA_STATE_DIR=$TEST_NODE_STATE_DIR
started_test_node=true
scripts/cassandra.sh start >/dev/null 2>&1 &
phase "compile: the server, its tests and the quickstart example" compile_server_and_tests
phase "compile: the browser bundle (WebAssembly) and the site" cargo leptos build --frontend-only
phase "dev node (Cassandra 5.0) answering" scripts/cassandra.sh start

phase "dev node: unit tests and every integration suite" \
    cargo test --features ssr --lib --test api -- --test-threads=4 --skip fuzz::
phase "dev node: 10,000 hostile requests" api_tests --nocapture fuzz::
phase "dev node: browser tests (Playwright in Chromium against the real server)" \
    env CASSANDRA_KEYSPACE="$E2E_KEYSPACE" USERS_PAGE_SIZE=5 LEPTOS_SITE_ADDR=127.0.0.1:3010 \
    "${E2E_SINGLE_SIGN_ON[@]}" cargo leptos end-to-end --frontend-only
phase "the release package: unpacked elsewhere, it serves a page, its assets and the CLI" tests/dist.sh
phase "the container image: built with podman, healthy, serving, its CLI" tests/image.sh
phase "faults: the dev node SIGKILLed under a create load loses no acknowledged write" \
    outage_tests dev_node_killed::
phase "faults: an app server SIGKILLed in the middle of an import; a second one finishes it" \
    outage_tests import_server_killed::
if [ "${CASSANDRA_RUNNER:-auto}" != docker ] && ! { command -v docker >/dev/null && timeout 5 docker info >/dev/null 2>&1; }; then
    phase "dev node lifecycle: stop leaves no process, start reuses the data" tests/cassandra_lifecycle.sh
fi

# Cassandra 6 answers on the dev node's address: one node at a time (two cores).
stop_test_node
started_test_node=false
unset CASSANDRA_STATE_DIR
rm -rf "$CASSANDRA6_STATE_DIR"
started_cassandra6=true
phase "Cassandra $CASSANDRA6_VERSION with Accord answering" cassandra6 start
phase "Cassandra $CASSANDRA6_VERSION: the users store and what writes through it, as transactions" \
    env CASSANDRA_VERSION=$CASSANDRA6_VERSION cargo test --features ssr --test api -- --test-threads=4 \
    store:: adoption:: concurrency:: bulk:: search:: constraints:: name_order::ranges \
    imports::skip_leaves imports::a_user_created http::every_endpoint http::healthz
cassandra6 stop
rm -rf "$CASSANDRA6_STATE_DIR"
started_cassandra6=false

# Not started earlier, beside the browser tests: its idle nodes took half a core, and Playwright
# took 248 s instead of 133 s.
if ! scripts/cluster.sh status >/dev/null 2>&1; then
    started_cluster=true
    # A schema change is agreed by three nodes, each flushing its schema tables to disk: without
    # the flush (the node-kill test flushes them before it kills) it costs less than half.
    phase "cluster: three nodes with TLS and passwords answering" \
        env CASSANDRA_TEST_FLAGS=-Dcassandra.test.flush_local_schema_changes=false scripts/cluster.sh start
fi
cluster() { (set -a; source .cluster/tests.env; set +a; "$@"); }
phase "cluster: claims and paging at quorum, shared sessions, the CLI, estimates, an import" \
    cluster cargo test --features ssr --test api -- --test-threads=3 \
    store:: auth::a_session_survives auth::five_failures cli::mistakes count::the_count_is \
    imports::skip_leaves
phase "cluster: wrong password, untrusted CA, unreachable contact points, no rights" \
    cluster outage_tests cluster_misconfigured::
phase "faults: one node of three SIGKILLed under a create and edit load" \
    cluster outage_tests cluster_node_killed::
