# Phases for scripts/test.sh: `phase NAME COMMAND...` says what runs, times it and records it;
# `print_phases` prints the table of phases (also after a failure) and writes it to
# target/test-times.tsv (phase, seconds, result; the last row is the whole run). Source it after
# lib.sh; do not run it.

TEST_TIMES_FILE="$REPO_ROOT/target/test-times.tsv"
PHASE_ROWS=()
RUN_STARTED=$SECONDS

phase() {
    local name=$1 started=$SECONDS rc=0
    shift
    say "$name"
    # In its own process, so that `set -e` holds inside COMMAND even when it is a function: in a
    # `cmd || rc=$?` list bash would ignore it there.
    ( "$@" ) &
    wait $! || rc=$?
    local result=ok
    [ "$rc" -eq 0 ] || result="FAILED (exit $rc)"
    PHASE_ROWS+=("$name"$'\t'"$((SECONDS - started))"$'\t'"$result")
    return "$rc"
}

print_phases() {
    local outcome=$1
    mkdir -p "$(dirname "$TEST_TIMES_FILE")"
    {
        printf 'phase\tseconds\tresult\n'
        printf '%s\n' "${PHASE_ROWS[@]}"
        printf 'make test\t%s\t%s\n' "$((SECONDS - RUN_STARTED))" "$outcome"
    } >"$TEST_TIMES_FILE"
    printf '\n==> make test, phase by phase (also in %s)\n' "${TEST_TIMES_FILE#"$REPO_ROOT"/}" >&2
    awk -F'\t' 'NR > 1 { printf "    %-78s %6ss  %s\n", $1, $2, $3 }' "$TEST_TIMES_FILE" >&2
}
