#!/usr/bin/env bash
# Provides the pinned helm, built from its Go module (helm.sh/helm/vN) into the tool cache, and prints
# its path. Needs Go >= 1.21 on PATH; GOTOOLCHAIN=auto lets an older 1.2x fetch the toolchain helm asks
# for from the Go module proxy. The Go build and module caches persist, so a rebuild is quick.
source "$(dirname "$0")/lib.sh"
# Until these pins are merged into versions.env they live beside it.

major="${HELM_VERSION%%.*}"
module="helm.sh/helm/v$major"
dest="$TOOLS_CACHE/helm-$HELM_VERSION"
if [ ! -x "$dest/helm" ]; then
  command -v go >/dev/null || die "Go is needed to build helm $HELM_VERSION (install Go >= 1.21, or put a helm $HELM_VERSION binary at $dest/helm)"
  log "building helm $HELM_VERSION from $module (a few minutes the first time)"
  rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
  # The version variable is what `helm version` prints; the Kubernetes version helm renders against
  # (.Capabilities.KubeVersion) comes from the client-go in the module's build info, no flag needed.
  GOTOOLCHAIN=auto GOBIN="$dest.tmp" CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
    go install -trimpath -ldflags="-s -w -X $module/internal/version.version=v$HELM_VERSION" "$module/cmd/helm@v$HELM_VERSION" >&2
  rm -rf "$dest" && mv "$dest.tmp" "$dest"
fi
actual="$("$dest/helm" version --template '{{.Version}}' 2>/dev/null)" || die "helm in $dest does not run"
[ "$actual" = "v$HELM_VERSION" ] || die "helm in $dest reports $actual, expected v$HELM_VERSION"
echo "$dest/helm"
