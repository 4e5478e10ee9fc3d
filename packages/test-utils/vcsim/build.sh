#!/usr/bin/env bash
# Build mantle-vcsim (main.go beside this script) from Debian's govmomi sources, offline, GOPATH
# style, into the cache: ${MANTLE_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/mantle}/bin/mantle-vcsim-<key>
# (the key covers main.go and the govmomi and Go versions). A cached build is reused as is. The
# binary's path is the only line printed on stdout.
# Needs: golang-go, golang-github-vmware-govmomi-dev (scripts/setup.sh installs them).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GOCODE=/usr/share/gocode
CACHE_ROOT=${MANTLE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mantle}
for need in go:golang-go "$GOCODE/src/github.com/vmware/govmomi/simulator":golang-github-vmware-govmomi-dev; do
  what=${need%%:*}
  if ! command -v "$what" >/dev/null 2>&1 && [ ! -e "$what" ]; then
    echo "build.sh: $what is missing: apt-get install ${need##*:}" >&2
    exit 3
  fi
done
key=$( (cat "$HERE/main.go"; go version; dpkg-query -W -f='${Version}' golang-github-vmware-govmomi-dev) | sha256sum | cut -c1-16)
out=$CACHE_ROOT/bin/mantle-vcsim-$key
if [ ! -x "$out" ]; then
  mkdir -p "$CACHE_ROOT/bin"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/src/mantlevcsim"
  cp "$HERE/main.go" "$work/src/mantlevcsim/"
  GOPATH="$work:$GOCODE" GO111MODULE=off GOFLAGS= GOCACHE="$work/cache" \
    go build -o "$work/mantle-vcsim" mantlevcsim
  mv "$work/mantle-vcsim" "$out"
fi
echo "$out"
