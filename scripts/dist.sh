#!/usr/bin/env bash
# The release package: `make dist` builds the release and packs
#   dist/cassandra-users-VERSION-x86_64-linux.tar.gz
# with the server binary, site/ (hashed, precompressed), hash.txt, the systemd unit, an example
# environment file and INSTALL.md (packaging/). Unpacked anywhere, ./cassandra-users serves.
#
#   scripts/dist.sh           build the release, then pack it
#   scripts/dist.sh --debug   pack the debug build that is there (cargo leptos build): the tests
#                             check the package's layout without a second, release, compile
source "$(dirname "$0")/lib.sh"
cd "$REPO_ROOT"

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
name="cassandra-users-$version"
profile=release
if [ "${1:-}" = --debug ]; then
    profile=debug
else
    scripts/toolchain.sh build
    say "building the release (cargo leptos build --release --precompress)"
    cargo leptos build --release --precompress
fi
binary="target/$profile/cassandra-users"
[ -x "$binary" ] || die "$binary is missing: build it first (cargo leptos build)"
[ -f "target/$profile/hash.txt" ] || die "target/$profile/hash.txt is missing: build with cargo leptos"
[ -d target/site/pkg ] || die "target/site is missing: build with cargo leptos"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
cp "$binary" "target/$profile/hash.txt" "$stage/$name/"
# The site: the public files, and of the bundle only the files this build named (target/site
# keeps those of earlier builds too), with their precompressed copies.
mkdir -p "$stage/$name/site/pkg"
find target/site -maxdepth 1 -type f -exec cp {} "$stage/$name/site/" \;
while read -r kind hash; do
    cp target/site/pkg/cassandra-users."$hash".* "$stage/$name/site/pkg/"
done < <(sed 's/://' "target/$profile/hash.txt")
cp packaging/cassandra-users.service packaging/cassandra-users.env packaging/INSTALL.md "$stage/$name/"
mkdir -p dist
archive="dist/$name-x86_64-linux.tar.gz"
tar -C "$stage" -czf "$archive" "$name"
say "packed $archive ($(du -h "$archive" | cut -f1))"
echo "$archive"
