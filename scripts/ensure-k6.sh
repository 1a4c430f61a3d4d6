#!/usr/bin/env bash
# Provides the pinned k6, built from its Go module (go.k6.io/k6) into the tool cache, and prints its path.
# Needs Go >= 1.21 on PATH (the machine image has it); GOTOOLCHAIN=auto lets an older 1.2x fetch the
# toolchain k6 asks for from the Go module proxy.
source "$(dirname "$0")/lib.sh"

dest="$TOOLS_CACHE/k6-$K6_VERSION"
if [ ! -x "$dest/k6" ]; then
  command -v go >/dev/null || die "Go is needed to build k6 $K6_VERSION (install Go >= 1.21, or put a k6 $K6_VERSION binary at $dest/k6)"
  log "building k6 $K6_VERSION from go.k6.io/k6 (a few minutes the first time)"
  mkdir -p "$dest.tmp"
  GOTOOLCHAIN=auto GOBIN="$dest.tmp" GOFLAGS=-trimpath CGO_ENABLED=0 go install "go.k6.io/k6@v$K6_VERSION" >&2
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
fi
"$dest/k6" version >/dev/null || die "k6 in $dest does not run"
echo "$dest/k6"
