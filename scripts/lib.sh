# Shared helpers for the scripts in this folder. Source it; do not run it.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Caches shared by every clone of this repo on the machine (downloads are reused across clones).
TOOLS_CACHE=${CASSANDRA_USERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cassandra-users}
CARGO_BIN=${CARGO_HOME:-$HOME/.cargo}/bin
export PATH="$CARGO_BIN:$PATH"

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# apt-get as root, or through sudo when we are not root.
apt_install() {
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    command -v apt-get >/dev/null || die "apt-get not found: install $* with your package manager"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}
