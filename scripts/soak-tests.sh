#!/usr/bin/env bash
# The timing-sensitive suites again and again, so that a test that passes only on a good day shows
# itself: `make test-soak RUNS=10` (or `scripts/soak-tests.sh 10`), and with STRESS=1 (`--stress`)
# under `stress-ng` on every core, as a busy CI machine would be.
#
#   scripts/soak-tests.sh N [--stress]
#
# Each run: graceful shutdown, two servers, imports, leases and reconcile (adoption), lockouts and
# session timeouts, concurrent saves, the server processes' metrics and logs, then the dev node
# SIGKILLed under load and an app server SIGKILLed in the middle of an import. On a node of its
# own (thrown away afterwards). Prints a line per suite and run, and the tally; writes
# target/soak-tests.tsv; exits 1 if any run of any suite failed (the log of each failure is kept
# in target/soak-logs/).
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

runs=${1:?usage: $0 RUNS [--stress]}
stress=false
[ "${2:-}" = --stress ] && stress=true

API_SUITES=(graceful_shutdown:: two_servers:: imports:: adoption:: auth::five_failures
    auth::sessions_end concurrency:: metrics:: request_ids::)
OUTAGE_SUITES=(dev_node_killed:: import_server_killed::)
RESULTS="$REPO_ROOT/target/soak-tests.tsv"
LOGS="$REPO_ROOT/target/soak-logs"

scripts/toolchain.sh build
if $stress && ! command -v stress-ng >/dev/null; then apt_install stress-ng; fi
say "compiling the tests"
cargo test --features ssr --no-run --test api --test outages

if scripts/cassandra.sh status >/dev/null 2>&1; then
    die "a Cassandra node answers on 127.0.0.1:9042: stop it first (make cassandra-stop)"
fi
export CASSANDRA_STATE_DIR="$REPO_ROOT/.cassandra-soak"
stress_pid=""
finish() {
    [ -n "$stress_pid" ] && kill "$stress_pid" 2>/dev/null
    scripts/cassandra.sh stop >/dev/null 2>&1
    rm -rf "$CASSANDRA_STATE_DIR"
}
trap finish EXIT
rm -rf "$CASSANDRA_STATE_DIR"
scripts/cassandra.sh start
if $stress; then
    say "stress-ng keeps every core busy meanwhile"
    stress-ng --cpu "$(nproc)" --cpu-load 100 >/dev/null 2>&1 &
    stress_pid=$!
fi

mkdir -p "$LOGS"
printf 'run\tsuite\tseconds\tresult\n' >"$RESULTS"
failures=0
# soak RUN NAME COMMAND...: runs COMMAND, records its outcome as NAME's in run RUN.
soak() {
    local run=$1 suite=$2 started=$SECONDS log; shift 2
    log="$LOGS/run$run-${suite//[^a-z_]/_}.log"
    if "$@" >"$log" 2>&1; then
        printf '%s\t%s\t%s\tpassed\n' "$run" "$suite" "$((SECONDS - started))" >>"$RESULTS"
        rm -f "$log"
    else
        printf '%s\t%s\t%s\tFAILED (%s)\n' "$run" "$suite" "$((SECONDS - started))" "${log#"$REPO_ROOT"/}" >>"$RESULTS"
        failures=$((failures + 1))
    fi
    tail -n 1 "$RESULTS" >&2
}
for run in $(seq 1 "$runs"); do
    say "run $run of $runs$($stress && echo ', under stress-ng')"
    soak "$run" "api: ${API_SUITES[*]}" \
        cargo test --features ssr --test api -- --test-threads=4 "${API_SUITES[@]}"
    for suite in "${OUTAGE_SUITES[@]}"; do
        soak "$run" "outages: $suite" \
            cargo test --features ssr --test outages -- --nocapture --test-threads=1 "$suite"
    done
done
total=$(($(wc -l <"$RESULTS") - 1))
say "$((total - failures)) of $total suite runs passed$($stress && echo ', under stress-ng'); the table is in ${RESULTS#"$REPO_ROOT"/}"
[ "$failures" -eq 0 ]
