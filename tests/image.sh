#!/usr/bin/env bash
# The container image, proven rather than hoped: built from the Dockerfile (its from-package
# stage, over the package `scripts/dist.sh --debug` makes of the build that is there) with
# podman, run against the local node: /healthz turns healthy, the setup code is in its log, it
# serves a page, and the command line runs inside it. `make image-test`; part of `make test`.
source "$(dirname "$0")/../scripts/lib.sh"
source "$REPO_ROOT/scripts/podman.sh"
cd "$REPO_ROOT"
fail() { echo "FAIL: $*" >&2; echo "image: 0 passed, 1 failed"; exit 1; }

ensure_podman
scripts/dist.sh --debug >/dev/null
image=localhost/cassandra-users:test
name="cassandra-users-test-$$"
keyspace="image_test_$$"
port=3014
build_label="cassandra-users.image-test=$$"
# The image and every layer its build made go again, so that runs do not fill the disk (each
# build is ~850 MB; the base image stays).
cleanup() {
    podman_here rm -f "$name" >/dev/null 2>&1 || true
    podman_here rmi -f "$image" >/dev/null 2>&1 || true
    podman_here image prune -f --filter "label=$build_label" >/dev/null 2>&1 || true
    scripts/cassandra.sh cql-hex "DROP KEYSPACE IF EXISTS $keyspace" >/dev/null 2>&1 || true
}
trap cleanup EXIT

storage=$(podman_here info --format '{{.Store.GraphRoot}}')
free_mb=$(df -Pm "$storage" | awk 'NR == 2 { print $4 }')
[ "$free_mb" -ge 3000 ] || fail "building the image needs about 3 GB free where podman keeps images ($storage); $free_mb MB are (podman image prune frees what earlier builds left)"

say "building $image from the Dockerfile (from-package)"
podman_here build --format docker --pull=never --network host --layers=false --label "$build_label" \
    --build-arg PACKAGE=from-package -t "$image" . >"$TOOLS_CACHE/image-build.log" 2>&1 \
    || fail "podman build failed: $(tail -20 "$TOOLS_CACHE/image-build.log")"

started=$(date +%s)
# The image's HEALTHCHECK is run by hand here: podman's timers for it need systemd.
podman_here run -d --name "$name" --network host --health-interval disable \
    -e CASSANDRA_CONTACT_POINTS=127.0.0.1:9042 -e CASSANDRA_KEYSPACE="$keyspace" \
    -e LEPTOS_SITE_ADDR="0.0.0.0:$port" "$image" >/dev/null 2>"$TOOLS_CACHE/image-run.log" \
    || fail "podman run failed: $(cat "$TOOLS_CACHE/image-run.log")"
healthy=false
for _ in $(seq 1 60); do
    if podman_here healthcheck run "$name" >/dev/null 2>&1; then healthy=true; break; fi
    [ "$(podman_here inspect --format '{{.State.Running}}' "$name")" = true ] \
        || fail "the container exited: $(podman_here logs "$name" 2>&1 | tail -20)"
    sleep 1
done
$healthy || fail "the container did not turn healthy: $(podman_here logs "$name" 2>&1 | tail -20)"
to_healthy=$(( $(date +%s) - started ))

user=$(podman_here inspect --format '{{.Config.User}}' "$image")
[ -n "$user" ] && [ "$user" != root ] && [ "$user" != 0 ] || fail "the image runs as root"
# The code is logged once the server has asked Cassandra whether an administrator exists, which
# may be just after /healthz turned healthy.
logged=false
for _ in $(seq 1 30); do
    if podman_here logs "$name" 2>&1 | grep -q "setup code"; then logged=true; break; fi
    sleep 1
done
$logged || fail "the setup code is not in the container's log 30 s after it turned healthy"
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/setup")
[ "$status" = 200 ] || fail "the setup page answered $status"
podman_here exec "$name" cassandra-users operator list >/dev/null || fail "the command line does not run in the container"
size=$(podman_here image inspect --format '{{.Size}}' "$image")
echo "image: $image, $((size / 1000000)) MB; healthy $to_healthy s after start"
echo "image: 1 passed"
