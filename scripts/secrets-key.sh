#!/usr/bin/env bash
# The key that seals authenticator apps' secrets (SECRETS_KEY_FILE) for a server started by
# `make run`, `make watch` or the tests: made once (32 random bytes, base64), readable by its
# owner only, kept out of git. Prints its path. A deployment makes and keeps its own (README).
source "$(dirname "$0")/lib.sh"
key=${SECRETS_KEY_FILE:-$REPO_ROOT/.secrets/secrets.key}
if [ ! -s "$key" ]; then
    mkdir -p "$(dirname "$key")"
    (umask 077 && openssl rand -base64 32 >"$key")
    say "made $key (seals authenticator apps' secrets; keep it with the data)" >&2
fi
echo "$key"
