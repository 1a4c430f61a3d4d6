#!/usr/bin/env bash
# Provides the pinned kube-apiserver and etcd, built from their Go modules (k8s.io/kubernetes,
# go.etcd.io/etcd/server/v3) into the tool cache, and prints where they are as two lines:
#   KUBE_APISERVER_BIN=/…/kube-apiserver
#   ETCD_BIN=/…/etcd
# (so `env $(scripts/ensure-kube-apiserver.sh) vitest run` or `eval "$(…)"` both work).
#
# Neither builds with `go install module@version`: both go.mod files replace their sibling modules
# with local paths (k8s.io/kubernetes → ./staging/src/k8s.io/*, etcd server → ../api, …), which
# `go install` refuses. So each is built from a throwaway wrapper module that requires the pinned
# module and replaces every locally-replaced module with its published twin at the matching version
# (k8s.io/<staging> v0.<minor>.<patch>; go.etcd.io/etcd/<x>/v3 at the etcd version). The list comes
# from the pinned go.mod itself, read from the module cache, so it follows new staging modules.
# Needs Go on PATH (GOTOOLCHAIN=auto fetches a newer toolchain from the proxy if a module asks).
# The Go build and module caches persist: a rebuild after a cache wipe of the binaries is quick.
source "$(dirname "$0")/lib.sh"
# Until these pins are merged into versions.env they live beside it.

# Builds package $4 of module $1@$2 into $5, replacing the module's local replacements by version $3.
build_with_wrapper() {
  local module="$1" version="$2" sibling_version="$3" package="$4" out="$5" ldflags="$6"
  local info gomod godir work sibling
  command -v go >/dev/null || die "Go is needed to build $package (or put the binary at $out)"
  info="$(cd / && GOTOOLCHAIN=auto go mod download -json "$module@$version")" || die "cannot download $module@$version from the Go module proxy"
  gomod="$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p' <<<"$info")"
  godir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$info")"
  [ -f "$gomod" ] || die "no go.mod for $module@$version in the module cache"

  work="$(mktemp -d)"
  {
    echo "module otp-capacity-lab/build/$(basename "$out")"
    echo
    grep -E '^(go|godebug) ' "$gomod"
    echo
    echo "require $module $version"
    echo
    echo "replace ("
    # `path => ./dir` or `path => ../dir`, alone or inside a replace block.
    sed -nE 's#^(replace)?[[:space:]]*([^[:space:]]+)[[:space:]]+=>[[:space:]]+\.\.?/.*#\2#p' "$gomod" | while read -r sibling; do
      echo "	$sibling => $sibling $sibling_version"
    done
    # Replacements by another published module are kept as they are (dependencies' replaces are ignored).
    sed -nE 's#^(replace)?[[:space:]]*([^[:space:]]+([[:space:]]+v[^[:space:]]+)?[[:space:]]+=>[[:space:]]+[^.[:space:]][^[:space:]]*[[:space:]]+v[^[:space:]]+)[[:space:]]*$#	\2#p' "$gomod"
    echo ")"
  } >"$work/go.mod"
  # Start from the pinned module's own checksums: the versions it was tested with, and fewer look-ups.
  if [ -f "$godir/go.sum" ]; then cp "$godir/go.sum" "$work/go.sum" && chmod u+w "$work/go.sum"; fi

  mkdir -p "$(dirname "$out")"
  (
    cd "$work"
    GOTOOLCHAIN=auto CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" \
      go build -trimpath -ldflags="-s -w $ldflags" -o "$out" "$package" >&2
  ) || { rm -rf "$work"; die "building $package from $module@$version failed"; }
  rm -rf "$work"
}

kube_dir="$TOOLS_CACHE/kube-$KUBERNETES_VERSION"
if [ ! -x "$kube_dir/kube-apiserver" ]; then
  log "building kube-apiserver $KUBERNETES_VERSION from k8s.io/kubernetes (several minutes the first time)"
  IFS=. read -r k8s_major k8s_minor k8s_patch <<<"$KUBERNETES_VERSION"
  version_pkg=k8s.io/component-base/version
  rm -rf "$kube_dir.tmp"
  build_with_wrapper k8s.io/kubernetes "v$KUBERNETES_VERSION" "v0.$k8s_minor.$k8s_patch" \
    k8s.io/kubernetes/cmd/kube-apiserver "$kube_dir.tmp/kube-apiserver" \
    "-X $version_pkg.gitVersion=v$KUBERNETES_VERSION -X $version_pkg.gitMajor=$k8s_major -X $version_pkg.gitMinor=$k8s_minor -X $version_pkg.gitTreeState=clean"
  rm -rf "$kube_dir" && mv "$kube_dir.tmp" "$kube_dir"
fi
actual="$("$kube_dir/kube-apiserver" --version 2>/dev/null)" || die "kube-apiserver in $kube_dir does not run"
[ "$actual" = "Kubernetes v$KUBERNETES_VERSION" ] || die "kube-apiserver in $kube_dir reports '$actual', expected v$KUBERNETES_VERSION"

etcd_dir="$TOOLS_CACHE/etcd-$ETCD_VERSION"
if [ ! -x "$etcd_dir/etcd" ]; then
  log "building etcd $ETCD_VERSION from go.etcd.io/etcd/server/v3 (a minute or two the first time)"
  rm -rf "$etcd_dir.tmp"
  build_with_wrapper go.etcd.io/etcd/server/v3 "v$ETCD_VERSION" "v$ETCD_VERSION" \
    go.etcd.io/etcd/server/v3 "$etcd_dir.tmp/etcd" ""
  rm -rf "$etcd_dir" && mv "$etcd_dir.tmp" "$etcd_dir"
fi
actual="$("$etcd_dir/etcd" --version 2>/dev/null)" || die "etcd in $etcd_dir does not run"
[ "${actual%%$'\n'*}" = "etcd Version: $ETCD_VERSION" ] || die "etcd in $etcd_dir reports '${actual%%$'\n'*}', expected $ETCD_VERSION"

echo "KUBE_APISERVER_BIN=$kube_dir/kube-apiserver"
echo "ETCD_BIN=$etcd_dir/etcd"
