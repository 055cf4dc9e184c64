# Podman as it works on machines without a Docker engine or a registry of base images: runc as
# the runtime, no default ulimits, and a Debian base image made locally with debootstrap under
# the name the Dockerfile's FROM uses. Source it; do not run it.

CONTAINERS_CONF_FILE="$TOOLS_CACHE/containers.conf"
BASE_IMAGE=docker.io/library/debian:bookworm-slim

podman_here() { CONTAINERS_CONF="$CONTAINERS_CONF_FILE" command podman --runtime runc "$@"; }

# Installs podman, runc and debootstrap if missing and makes the base image once.
ensure_podman() {
    command -v podman >/dev/null && command -v runc >/dev/null && command -v debootstrap >/dev/null \
        || apt_install podman runc debootstrap
    mkdir -p "$TOOLS_CACHE"
    printf '[containers]\ndefault_ulimits = []\n' >"$CONTAINERS_CONF_FILE"
    podman_here image exists "$BASE_IMAGE" && return 0
    local mirror rootfs
    mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
    mirror=${mirror:-http://deb.debian.org/debian}
    rootfs=$(mktemp -d)
    say "making the Debian base image with debootstrap from $mirror (once)"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null
    tar -C "$rootfs" -c . | podman_here import - localhost/debian-base:bookworm >/dev/null 2>&1
    rm -rf "$rootfs"
    podman_here tag localhost/debian-base:bookworm "$BASE_IMAGE"
}
