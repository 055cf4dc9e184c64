#!/usr/bin/env bash
# A local three-node Apache Cassandra cluster, as production looks: datacenter dc1, nodes on
# 127.0.1.1-3 (beside the dev node on 127.0.0.1), passwords, client TLS, keyspace `quickstart`
# replicated 3 times, and an application role that may use only that keyspace. No Docker.
#
#   scripts/cluster.sh start         TLS material and passwords at first start; all three answer CQL
#   scripts/cluster.sh stop          SIGTERM every node, wait until they are gone
#   scripts/cluster.sh status        which nodes answer CQL over TLS with a password
#   scripts/cluster.sh kill N        SIGKILL node N (fault tests), its schema flushed first
#   scripts/cluster.sh start-node N  start node N again and wait for it
#   scripts/cluster.sh cql QUERY     run CQL as the superuser
#   scripts/cluster.sh refresh-estimates KEYSPACE TABLE   every node flushes it and estimates sizes
#
# CASSANDRA_TEST_FLAGS: JVM flags for the nodes (`make test` passes
# -Dcassandra.test.flush_local_schema_changes=false: a schema change then costs the three nodes
# less than half the time; not for a cluster whose data you keep).
# State lives in .cluster/ (git-ignored): per node data and logs, tls/ (a CA and the nodes'
# certificate with IP SANs), and two environment files to `source`:
#   .cluster/app.env    the app's settings: contact points, dc1, LOCAL_QUORUM, CA file, app role
#   .cluster/tests.env  the same with the tests' role, which may create keyspaces of its own
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cassandra-lib.sh"

STATE=${CASSANDRA_CLUSTER_DIR:-$REPO_ROOT/.cluster}
HEAP=${CASSANDRA_CLUSTER_HEAP:-512M}
NODES=(1 2 3)
TOKENS=(-9223372036854775808 -3074457345618258603 3074457345618258602)
APP_KEYSPACE=quickstart
APP_ROLE=cassandra_users_app
TESTS_ROLE=cassandra_users_tests
SUPERUSER_PASSWORD=cassandra   # the default superuser; the cluster only listens on loopback

address() { echo "127.0.1.$1"; }
node_dir() { echo "$STATE/node$1"; }
pid_of() {
    local file; file="$(node_dir "$1")/cassandra.pid"
    [ -f "$file" ] || return 1
    local pid; pid=$(cat "$file")
    kill -0 "$pid" 2>/dev/null && grep -q CassandraDaemon "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

# cqlsh from PyPI (scripts/toolchain.sh installs it), over TLS, checking the nodes' certificate.
cqlsh_as() {
    local user=$1 password=$2 node=$3; shift 3
    # cqlsh warns about a password on its command line: the cluster only listens on loopback.
    SSL_CERTFILE="$STATE/tls/ca.pem" SSL_VALIDATE=true \
        timeout 20 "$CQLSH" "$(address "$node")" 9042 --ssl -u "$user" -p "$password" "$@" \
        2> >(grep -v -e 'Using a password' -e 'Recommendation: use the credentials' -e '^$' >&2)
}
answers() { cqlsh_as cassandra "$SUPERUSER_PASSWORD" "$1" -e "SELECT release_version FROM system.local" >/dev/null 2>&1; }

make_tls() {
    [ -s "$STATE/tls/node.p12" ] && return
    say "making a CA and the nodes' certificate (IP SANs 127.0.1.1-3)"
    local tls="$STATE/tls"; mkdir -p "$tls"
    (
        cd "$tls"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 \
            -subj "/CN=cassandra-users local CA" 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -keyout node.key -out node.csr -subj "/CN=cassandra-users cluster" 2>/dev/null
        printf '%s\n' "subjectAltName=IP:127.0.1.1,IP:127.0.1.2,IP:127.0.1.3" "basicConstraints=CA:FALSE" \
            "keyUsage=digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >node.ext
        openssl x509 -req -in node.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out node.pem -days 3650 \
            -extfile node.ext 2>/dev/null
        openssl rand -hex 16 >keystore.password
        openssl pkcs12 -export -in node.pem -inkey node.key -certfile ca.pem -name node -out node.p12 \
            -passout "pass:$(cat keystore.password)"
        chmod 600 ca.key node.key keystore.password node.p12
    )
}

write_env_files() {
    [ -s "$STATE/app.env" ] && return
    local common
    common="CASSANDRA_CONTACT_POINTS=127.0.1.1:9042,127.0.1.2:9042,127.0.1.3:9042
CASSANDRA_LOCAL_DC=dc1
CASSANDRA_CONSISTENCY=LOCAL_QUORUM
CASSANDRA_REPLICATION=NetworkTopologyStrategy:dc1=3
CASSANDRA_TLS_CA_FILE=$STATE/tls/ca.pem"
    umask 077
    printf '%s\nCASSANDRA_KEYSPACE=%s\nCASSANDRA_USERNAME=%s\nCASSANDRA_PASSWORD=%s\n' \
        "$common" "$APP_KEYSPACE" "$APP_ROLE" "$(openssl rand -hex 12)" >"$STATE/app.env"
    printf '%s\nCASSANDRA_USERNAME=%s\nCASSANDRA_PASSWORD=%s\n' \
        "$common" "$TESTS_ROLE" "$(openssl rand -hex 12)" >"$STATE/tests.env"
}
env_value() { sed -n "s/^$2=//p" "$STATE/$1"; }

start_node() {
    local n=$1 dir; dir=$(node_dir "$n")
    [ -n "$(pid_of "$n")" ] && return
    mkdir -p "$dir/data" "$dir/logs"
    sed -e "s|@TOKEN@|${TOKENS[$((n - 1))]}|" -e "s|@ADDRESS@|$(address "$n")|" -e "s|@TLS@|$STATE/tls|" \
        -e "s|@KEYSTORE_PASSWORD@|$(cat "$STATE/tls/keystore.password")|" \
        "$REPO_ROOT/cassandra/cluster.yaml" >"$dir/cassandra.yaml"
    launch_cassandra "$dir" "$dir/cassandra.yaml" $((7200 + n)) "$dir/logs/stdout.log" \
        -Dcassandra-rackdc.properties="file://$REPO_ROOT/cassandra/cluster-rackdc.properties" \
        -Dcassandra.ring_delay_ms=1000 -Dcassandra.superuser_setup_delay_ms=0 ${CASSANDRA_TEST_FLAGS:-}
    echo $! >"$dir/cassandra.pid"
}

wait_for() {
    local started=$1; shift
    local waiting=("$@")
    while [ ${#waiting[@]} -gt 0 ]; do
        local still=()
        for n in "${waiting[@]}"; do
            if answers "$n"; then
                say "node $n ($(address "$n")) answers CQL with TLS and a password ($(( $(date +%s) - started ))s)"
            else
                [ -n "$(pid_of "$n")" ] || { tail -n 20 "$(node_dir "$n")/logs/stdout.log" >&2; die "node $n exited; see $(node_dir "$n")/logs"; }
                still+=("$n")
            fi
        done
        waiting=("${still[@]}")
        [ ${#waiting[@]} -eq 0 ] && break
        [ $(( $(date +%s) - started )) -ge 240 ] && die "nodes ${waiting[*]} did not answer within 240s"
        sleep 2
    done
}

# Roles and the app's keyspace; every statement is idempotent.
# Raising system_auth to RF 3 leaves the default superuser's row on one node only, so for a moment
# a quorum read may miss it and refuse the superuser; each read that finds it repairs the others.
# Hence: raise it first, then retry the rest until the superuser is recognised everywhere.
set_up_roles() {
    local app_password tests_password attempt
    app_password=$(env_value app.env CASSANDRA_PASSWORD)
    tests_password=$(env_value tests.env CASSANDRA_PASSWORD)
    # A schema change on three nodes that have just started on two cores can take longer than
    # cqlsh waits (seen on a fresh machine: "Connection defunct by heartbeat"); it is idempotent,
    # so it is asked again.
    for attempt in $(seq 1 10); do
        cqlsh_as cassandra "$SUPERUSER_PASSWORD" 1 --request-timeout=18 -e "
            ALTER KEYSPACE system_auth WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3};" >/dev/null && break
        [ "$attempt" = 10 ] && die "could not raise system_auth's replication; see the nodes' logs in ${STATE#$REPO_ROOT/}"
        sleep 3
    done
    for attempt in $(seq 1 15); do
        if cqlsh_as cassandra "$SUPERUSER_PASSWORD" 1 -e "
            CONSISTENCY ALL;
            SELECT role FROM system_auth.roles WHERE role = 'cassandra';
            CONSISTENCY QUORUM;
            CREATE KEYSPACE IF NOT EXISTS $APP_KEYSPACE WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3};
            CREATE ROLE IF NOT EXISTS $APP_ROLE WITH PASSWORD = '$app_password' AND LOGIN = true;
            GRANT ALL PERMISSIONS ON KEYSPACE $APP_KEYSPACE TO $APP_ROLE;
            CREATE ROLE IF NOT EXISTS $TESTS_ROLE WITH PASSWORD = '$tests_password' AND LOGIN = true;
            GRANT CREATE ON ALL KEYSPACES TO $TESTS_ROLE;" >/dev/null 2>&1; then
            say "roles ready: $APP_ROLE (all on keyspace $APP_KEYSPACE, nothing else), $TESTS_ROLE (creates its own keyspaces)"
            return
        fi
        sleep 3
    done
    die "could not set up the roles; see the nodes' logs in ${STATE#$REPO_ROOT/}"
}

start() {
    fetch_jars
    [ -x "$CQLSH" ] || die "cqlsh is missing: run scripts/toolchain.sh"
    make_tls
    write_env_files
    local started; started=$(date +%s)
    say "starting nodes 127.0.1.1-3 (heap $HEAP each, data in ${STATE#$REPO_ROOT/})"
    for n in "${NODES[@]}"; do start_node "$n"; done
    wait_for "$started" "${NODES[@]}"
    set_up_roles
    say "cluster ready in $(( $(date +%s) - started ))s; settings: source ${STATE#$REPO_ROOT/}/app.env"
}

stop_nodes() {
    local pids=()
    for n in "$@"; do
        local pid; pid=$(pid_of "$n") && { kill -TERM "$pid"; pids+=("$pid"); }
    done
    local waited=0
    for pid in "${pids[@]}"; do
        while kill -0 "$pid" 2>/dev/null; do
            [ "$waited" -ge 60 ] && kill -KILL "$pid"
            sleep 1; waited=$((waited + 1))
        done
    done
    for n in "$@"; do rm -f "$(node_dir "$n")/cassandra.pid"; done
}

CQLSH="$TOOLS_CACHE/cqlsh/bin/cqlsh"
case "${1:-}" in
    start) start ;;
    stop) say "stopping the cluster"; stop_nodes "${NODES[@]}"; say "cluster stopped" ;;
    status)
        up=0
        for n in "${NODES[@]}"; do
            if answers "$n"; then echo "node $n ($(address "$n")): answers CQL"; up=$((up + 1))
            elif pid_of "$n" >/dev/null; then echo "node $n ($(address "$n")): starting"
            else echo "node $n ($(address "$n")): down"; fi
        done
        [ "$up" -eq ${#NODES[@]} ] ;;
    kill)
        # Its schema tables are flushed first: `make test` starts the nodes without flushing them
        # at each schema change (CASSANDRA_TEST_FLAGS), and a node killed before they reach disk
        # would come back without the tables made since. Its data stays in the commitlog only.
        pid=$(pid_of "${2:?usage: $0 kill N}") && run_nodetool $((7200 + $2)) flush system_schema \
            && kill -KILL "$pid" && rm -f "$(node_dir "$2")/cassandra.pid" ;;
    start-node) start_node "${2:?usage: $0 start-node N}"; wait_for "$(date +%s)" "$2" ;;
    cql) cqlsh_as cassandra "$SUPERUSER_PASSWORD" 1 -e "${2:?usage: $0 cql QUERY}" ;;
    refresh-estimates)
        # Every node flushes the table and makes its size estimates now.
        for n in "${NODES[@]}"; do
            run_nodetool $((7200 + n)) flush "${2:?usage: $0 refresh-estimates KEYSPACE TABLE}" "${3:?}"
            refresh_size_estimates $((7200 + n))
        done ;;
    *) die "usage: $0 start|stop|status|kill N|start-node N|cql QUERY|refresh-estimates KEYSPACE TABLE" ;;
esac
