#!/usr/bin/env bash
# A local Apache Cassandra node for development and tests, without Docker.
#
#   scripts/cassandra.sh start    fetch Cassandra (once), start it, wait until CQL answers; no-op if up
#   scripts/cassandra.sh stop     SIGTERM, wait until the process is gone
#   scripts/cassandra.sh status   say whether a node answers CQL on 127.0.0.1:9042, and its version
#   scripts/cassandra.sh nodetool ARGS                     nodetool against the node
#   scripts/cassandra.sh refresh-estimates KEYSPACE TABLE  flush the table, estimate sizes now
#
# The jars come from Maven Central (cassandra/pom.xml) into Maven's own cache (~/.m2), so every clone
# on the machine shares one download. Data, logs and the pid file live in .cassandra/ (git-ignored).
# Where a Docker engine answers, `start`/`stop` use docker-compose.yml instead; set
# CASSANDRA_RUNNER=local or CASSANDRA_RUNNER=docker to choose.
#
# CASSANDRA_VERSION=6.0-alpha2 starts Cassandra 6 instead, with Accord transactions enabled
# (cassandra/accord.yaml), its data in .cassandra-6.0-alpha2/. One node at a time: both use 9042.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cassandra-lib.sh"

HOST=127.0.0.1
PORT=9042
if [ "$CASSANDRA_VERSION" = "$DEFAULT_CASSANDRA_VERSION" ]; then
    STATE_DIR=${CASSANDRA_STATE_DIR:-$REPO_ROOT/.cassandra}
else
    STATE_DIR=${CASSANDRA_STATE_DIR:-$REPO_ROOT/.cassandra-$CASSANDRA_VERSION}
fi
START_TIMEOUT=${CASSANDRA_START_TIMEOUT:-180}
PID_FILE="$STATE_DIR/cassandra.pid"
LOG_FILE="$STATE_DIR/logs/stdout.log"

# Runs one CQL query over the native protocol (v4) with nothing but bash, and prints the first
# column of the first row as hex (nothing when there are no rows). Fails when no node answers.
# Enough for readiness and for our own checks; simple column types only.
cql_hex() {
    timeout 5 bash -c '
        export LC_ALL=C                                                    # ${#q} counts bytes
        hex() { od -An -v -tx1 | tr -d " \n"; }
        int32() { printf "\\\\x%02x" $(( $1 >> 24 & 255 )) $(( $1 >> 16 & 255 )) $(( $1 >> 8 & 255 )) $(( $1 & 255 )); }
        exec 3<>"/dev/tcp/$1/$2" || exit 1
        printf "\x04\x00\x00\x01\x01\x00\x00\x00\x16\x00\x01\x00\x0bCQL_VERSION\x00\x053.0.0" >&3
        [ "$(head -c 9 <&3 | hex)" = 840000010200000000 ] || exit 1      # READY
        q=$3
        printf "\x04\x00\x00\x02\x07$(int32 $(( ${#q} + 7 )))" >&3            # QUERY header, body length
        printf "$(int32 ${#q})%s\x00\x01\x00" "$q" >&3                          # query, consistency ONE, no flags
        header=$(head -c 9 <&3 | hex)
        body=$(head -c $((16#${header:10:8})) <&3 | hex)
        [ "${header:8:2}" = 08 ] || exit 1                                 # RESULT, not ERROR
        [ "${body:0:8}" = 00000002 ] || exit 0                             # not a Rows result
        at=8
        take() { local n=$(( $1 * 2 )); chunk=${body:$at:$n}; at=$(( at + n )); }
        skip_string() { take 2; take $((16#$chunk)); }
        take 4; flags=$((16#$chunk)); take 4; columns=$((16#$chunk))
        (( flags & 1 )) && { skip_string; skip_string; }
        (( flags & 2 )) && { take 4; take $((16#$chunk)); }
        if (( !(flags & 4) )); then
            for ((c = 0; c < columns; c++)); do
                (( flags & 1 )) || { skip_string; skip_string; }
                skip_string; take 2                                          # name, type id
            done
        fi
        take 4; (( 16#$chunk > 0 )) || exit 0                              # row count
        take 4; [ "$chunk" = ffffffff ] && exit 0                          # null
        take $((16#$chunk)); printf "%s" "$chunk"
    ' _ "$HOST" "$PORT" "$1" 2>/dev/null
}

hex_to_text() { printf "%b" "$(sed 's/../\\x&/g')"; }

release_version() {
    local hex
    hex=$(cql_hex "SELECT release_version FROM system.local") && [ -n "$hex" ] && hex_to_text <<<"$hex"
}

runner() {
    case "${CASSANDRA_RUNNER:-auto}" in
        local|docker) echo "$CASSANDRA_RUNNER" ;;
        auto) if command -v docker >/dev/null && timeout 5 docker info >/dev/null 2>&1; then echo docker; else echo local; fi ;;
        *) die "CASSANDRA_RUNNER must be auto, local or docker (got '$CASSANDRA_RUNNER')" ;;
    esac
}

local_pid() {
    pid_in "$PID_FILE"
}

pid_in() {
    [ -f "$1" ] || return 1
    local pid; pid=$(cat "$1")
    kill -0 "$pid" 2>/dev/null && grep -q CassandraDaemon "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

# The node's configuration: ours, plus Accord for Cassandra 6.
node_yaml() {
    case "$CASSANDRA_VERSION" in
        5.*) echo "$REPO_ROOT/cassandra/cassandra.yaml" ;;
        *) cat "$REPO_ROOT/cassandra/cassandra.yaml" "$REPO_ROOT/cassandra/accord.yaml" >"$STATE_DIR/cassandra.yaml"
           echo "$STATE_DIR/cassandra.yaml" ;;
    esac
}

start_local() {
    fetch_jars
    if [ -z "$(local_pid)" ]; then
        mkdir -p "$STATE_DIR/data" "$STATE_DIR/logs"
        say "starting Cassandra $CASSANDRA_VERSION (heap $HEAP, data in ${STATE_DIR#$REPO_ROOT/})"
        launch_cassandra "$STATE_DIR" "$(node_yaml)" 7199 "$LOG_FILE"
        echo $! >"$PID_FILE"
    else
        say "Cassandra is starting (pid $(local_pid)); waiting for it"
    fi
    wait_until_ready
}

wait_until_ready() {
    local waited=0 version
    until version=$(release_version) && [ -n "$version" ]; do
        if [ "$(runner)" = local ] && [ -z "$(local_pid)" ]; then
            tail -n 30 "$LOG_FILE" >&2
            die "Cassandra exited during start-up; its log is $LOG_FILE"
        fi
        if [ "$waited" -ge "$START_TIMEOUT" ]; then
            tail -n 30 "$LOG_FILE" >&2 || true
            die "Cassandra did not answer CQL within ${START_TIMEOUT}s"
        fi
        [ $((waited % 10)) -eq 0 ] && say "waiting for CQL on $HOST:$PORT (${waited}s)"
        sleep 1; waited=$((waited + 1))
    done
    say "Cassandra $version is up on $HOST:$PORT (ready after ${waited}s)"
}

stop_local() {
    local pid waited=0 pid_file
    # Whichever version runs: `make cassandra-stop` needs no CASSANDRA_VERSION.
    for pid_file in "$PID_FILE" "$REPO_ROOT"/.cassandra*/cassandra.pid; do
        pid=$(pid_in "$pid_file") && { PID_FILE=$pid_file; break; }
    done
    [ -n "$pid" ] || { say "Cassandra is not running"; rm -f "$PID_FILE"; return; }
    say "stopping Cassandra (pid $pid)"
    kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$waited" -ge 60 ]; then say "no exit after 60s; killing"; kill -KILL "$pid"; fi
        sleep 1; waited=$((waited + 1))
    done
    rm -f "$PID_FILE"
    say "Cassandra stopped"
}

compose() { docker compose -f "$REPO_ROOT/docker-compose.yml" "$@"; }

case "${1:-}" in
    start)
        if version=$(release_version) && [ -n "$version" ]; then
            [ "$version" = "$CASSANDRA_VERSION" ] || [ "$(runner)" = docker ] \
                || die "Cassandra $version answers on $HOST:$PORT, not $CASSANDRA_VERSION: stop it first (make cassandra-stop)"
            say "Cassandra $version already answers on $HOST:$PORT"; exit 0
        fi
        if [ "$(runner)" = docker ]; then
            say "starting Cassandra with docker compose"; compose up -d --wait cassandra
            wait_until_ready
        else
            start_local
        fi ;;
    stop)
        if [ "$(runner)" = docker ]; then compose stop cassandra; else stop_local; fi ;;
    status)
        if version=$(release_version) && [ -n "$version" ]; then
            echo "Cassandra $version answers CQL on $HOST:$PORT"
        elif pid=$(local_pid); then
            echo "Cassandra is starting (pid $pid), not answering CQL yet"; exit 1
        else
            echo "Cassandra is not running"; exit 1
        fi ;;
    cql-hex)
        cql_hex "${2:?usage: $0 cql-hex QUERY}" ;;
    nodetool)
        shift; run_nodetool 7199 "$@" ;;
    refresh-estimates)
        # What Cassandra's size estimates see: the table flushed to disk, the estimates made now.
        run_nodetool 7199 flush "${2:?usage: $0 refresh-estimates KEYSPACE TABLE}" "${3:?}"
        refresh_size_estimates 7199 ;;
    *) die "usage: $0 start|stop|status|cql-hex QUERY|nodetool ARGS|refresh-estimates KEYSPACE TABLE" ;;
esac
