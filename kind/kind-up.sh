#!/usr/bin/env bash
# Brings up the OTP capacity lab on kind, idempotently (run it again to update what changed):
#   1. checks the prerequisites (docker daemon, kind, kubectl, helm) and names what is missing;
#   2. creates the kind cluster "otp-lab" from kind/cluster.yaml, or reuses it;
#   3. installs every third-party chart listed in charts/third-party/versions.yaml, in its order, at its pinned
#      version, with its values file (Prometheus/Grafana, Loki, Tempo, Jaeger, Alloy, metrics-server, k6-operator);
#   4. builds the service image (app/Dockerfile) for the nodes' platform and loads it into the cluster from a
#      single-platform archive (docker save, kind load image-archive);
#   5. installs charts/otp-service with values-bench.yaml and kind/values-otp-service.yaml (shared with
#      skaffold.yaml: traces to Alloy, the NetworkPolicy peers) into namespace otp (its hook Job runs the migrations);
#   6. builds the otp-operator image (operator/Dockerfile), loads it, applies its CRDs (Helm never upgrades crds/)
#      and installs charts/otp-operator into namespace otp (watching otp, PostgreSQL URL from the service's Secret);
#   7. waits for the rollouts, runs the chart's `helm test`, creates the benchmark tenants as OtpTenant resources
#      (k6-operator/bench-tenants.yaml; the operator writes their keys to Secrets), and prints the URLs.
#
# Usage: kind/kind-up.sh              (make kind-up)
#        kind/kind-up.sh --list-charts  prints the charts of versions.yaml, tab-separated, and exits
# Environment: KIND_CLUSTER_NAME (default otp-lab); DOCKER, KIND, KUBECTL (the binaries, default from PATH);
#              HELM (default: the pinned helm of scripts/versions.env when scripts/ensure-helm.sh has built it into
#              the tool cache, else helm from PATH; it must be >= 4.1, see MIN_HELM_VERSION);
#              HELM_TIMEOUT (per chart, default 10m).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSIONS_FILE="$REPO_ROOT/charts/third-party/versions.yaml"
THIRD_PARTY_DIR="$REPO_ROOT/charts/third-party"
KIND_CONFIG="$REPO_ROOT/kind/cluster.yaml"
CLUSTER_NAME="${KIND_CLUSTER_NAME:-otp-lab}"
KUBE_CONTEXT="kind-$CLUSTER_NAME"
DOCKER="${DOCKER:-docker}"
KIND="${KIND:-kind}"
KUBECTL="${KUBECTL:-kubectl}"
# versions.env and TOOLS_CACHE, where scripts/ensure-helm.sh puts the pinned helm (log/die are redefined below).
# shellcheck source=../scripts/lib.sh
source "$REPO_ROOT/scripts/lib.sh"
PINNED_HELM="$TOOLS_CACHE/helm-$HELM_VERSION/helm"
if [ -z "${HELM:-}" ]; then
  if [ -x "$PINNED_HELM" ]; then HELM="$PINNED_HELM"; else HELM=helm; fi
fi
HELM_TIMEOUT="${HELM_TIMEOUT:-10m}"
# kind v0.33.0 published the node image kind/cluster.yaml pins.
MIN_KIND_VERSION=0.33.0
# `helm test --logs` reads the test Pod's logs after the test; Helm 3 first applies the hook-delete-policy
# (hook-succeeded), deletes the Pod and then fails a passing test (helm/helm#9098, fixed in Helm 4 only).
MIN_HELM_VERSION=4.1.0

APP_NAMESPACE=otp
APP_RELEASE=otp
APP_CHART="$REPO_ROOT/charts/otp-service"
IMAGE_REPO=otp-capacity-lab/otp-service
OPERATOR_RELEASE=otp-operator
OPERATOR_CHART="$REPO_ROOT/charts/otp-operator"
OPERATOR_IMAGE_REPO=otp-capacity-lab/otp-operator
BENCH_TENANTS="$REPO_ROOT/k6-operator/bench-tenants.yaml"

log() { printf '[kind-up] %s\n' "$*" >&2; }
die() {
  printf '[kind-up] error: %s\n' "$*" >&2
  exit 1
}

# The charts of versions.yaml, one a line: release namespace repo url chart version values (tab-separated).
list_charts() {
  awk '
    function flush() {
      if (rec["release"] != "") {
        print rec["release"] "\t" rec["namespace"] "\t" rec["repo"] "\t" rec["url"] "\t" rec["chart"] "\t" rec["version"] "\t" rec["values"]
      }
      delete rec
    }
    /^  - release: / { flush() }
    /^  - / { sub(/^  - /, "    ") }
    /^    [a-z]+: / {
      key = $1; sub(/:$/, "", key)
      value = $0; sub(/^    [a-z]+: /, "", value); sub(/[ \t]+$/, "", value)
      rec[key] = value
    }
    END { flush() }
  ' "$VERSIONS_FILE"
}

if [ "${1:-}" = "--list-charts" ]; then
  list_charts
  exit 0
fi
[ $# -eq 0 ] || die "usage: $0 [--list-charts]"

k() { "$KUBECTL" --context "$KUBE_CONTEXT" "$@"; }
h() { "$HELM" --kube-context "$KUBE_CONTEXT" "$@"; }

version_at_least() { # version_at_least 0.33.1 0.33.0
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

# ---- 1. Prerequisites: report everything missing at once ------------------------------------------------------
check_prerequisites() {
  local missing=()
  if ! command -v "$DOCKER" >/dev/null 2>&1; then
    missing+=("docker: install Docker Engine (https://docs.docker.com/engine/install/) or Docker Desktop")
  elif ! "$DOCKER" info >/dev/null 2>&1; then
    missing+=("a running Docker daemon: \`$DOCKER info\` failed. Start it (sudo systemctl start docker, or open Docker Desktop) and check that your user may use it (the docker group, or DOCKER_HOST for rootless Docker)")
  fi
  if ! command -v "$KIND" >/dev/null 2>&1; then
    missing+=("kind >= v$MIN_KIND_VERSION: go install sigs.k8s.io/kind@v$MIN_KIND_VERSION, or a release binary (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)")
  fi
  if ! command -v "$KUBECTL" >/dev/null 2>&1; then
    missing+=("kubectl: https://kubernetes.io/docs/tasks/tools/ (any version within one minor of Kubernetes 1.36)")
  fi
  if ! command -v "$HELM" >/dev/null 2>&1; then
    missing+=("helm >= ${MIN_HELM_VERSION%.0}: make kind-up builds and uses the pinned helm $HELM_VERSION (scripts/ensure-helm.sh; or HELM=\"\$(scripts/ensure-helm.sh)\" $0), or https://helm.sh/docs/intro/install/")
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    printf '[kind-up] missing prerequisites:\n' >&2
    printf '  - %s\n' "${missing[@]}" >&2
    exit 1
  fi
  local helm_version
  helm_version="$("$HELM" version --template '{{.Version}}' 2>/dev/null || true)"
  if ! [[ "$helm_version" =~ ^v([0-9]+\.[0-9]+\.[0-9]+) ]] || ! version_at_least "${BASH_REMATCH[1]}" "$MIN_HELM_VERSION"; then
    die "kind-up needs helm >= ${MIN_HELM_VERSION%.0}, found ${helm_version:-an unreadable version} at $HELM (Helm 3 fails \`helm test --logs\` after a passing test, helm/helm#9098); use the pinned helm $HELM_VERSION: make kind-up, or HELM=\"\$(scripts/ensure-helm.sh)\" $0"
  fi
  local kind_version
  kind_version="$("$KIND" version 2>/dev/null | sed -n 's/^kind v\([0-9][0-9.]*\).*/\1/p')"
  if [ -n "$kind_version" ] && ! version_at_least "$kind_version" "$MIN_KIND_VERSION"; then
    log "warning: kind v$kind_version is older than v$MIN_KIND_VERSION, which published the pinned node image; upgrade if the cluster does not start"
  fi
}

# ---- 2. The cluster ---------------------------------------------------------------------------------------------
host_port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ensure_cluster() {
  if "$KIND" get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
    log "reusing kind cluster $CLUSTER_NAME"
  else
    # kind/cluster.yaml maps these host ports to NodePorts (see the comment there): they must be free.
    local port busy=()
    while read -r port; do
      if host_port_in_use "$port"; then busy+=("$port"); fi
    done < <(sed -n 's/^ *hostPort: *\([0-9][0-9]*\).*/\1/p' "$KIND_CONFIG")
    [ ${#busy[@]} -eq 0 ] || die "host port(s) ${busy[*]} already in use on 127.0.0.1; free them (kind/cluster.yaml maps them to the cluster's NodePorts)"
    log "creating kind cluster $CLUSTER_NAME from kind/cluster.yaml (a few minutes the first time: the node image is pulled)"
    "$KIND" create cluster --name "$CLUSTER_NAME" --config "$KIND_CONFIG" --wait 180s
  fi
  k cluster-info >/dev/null || die "kubectl cannot reach context $KUBE_CONTEXT"
  k wait --for=condition=Ready nodes --all --timeout=180s >/dev/null
}

# ---- 3. Third-party charts, from versions.yaml ----------------------------------------------------------------
install_third_party() {
  local charts release namespace repo url chart version values
  charts="$(list_charts)"
  [ -n "$charts" ] || die "no charts found in $VERSIONS_FILE"
  # (A plain list, not an associative array: macOS ships bash 3.2.)
  local repos=()
  while IFS=$'\t' read -r release namespace repo url chart version values; do
    case " ${repos[*]:-} " in
      *" $repo "*) ;;
      *)
        "$HELM" repo add "$repo" "$url" --force-update >/dev/null
        repos+=("$repo")
        ;;
    esac
  done <<<"$charts"
  log "updating helm repositories: ${repos[*]}"
  "$HELM" repo update "${repos[@]}" >/dev/null
  while IFS=$'\t' read -r release namespace repo url chart version values; do
    [ -f "$THIRD_PARTY_DIR/$values" ] || die "values file charts/third-party/$values (for $release) is missing"
    log "installing $release: $repo/$chart $version into namespace $namespace"
    h upgrade --install "$release" "$repo/$chart" --version "$version" \
      --namespace "$namespace" --create-namespace \
      --values "$THIRD_PARTY_DIR/$values" \
      --wait --timeout "$HELM_TIMEOUT" >/dev/null
  done <<<"$charts"
}

# NodePort Services for the host port mappings of kind/cluster.yaml that no chart can pin itself.
apply_node_ports() {
  k create namespace "$APP_NAMESPACE" --dry-run=client -o yaml | k apply -f - >/dev/null
  k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata:
  name: jaeger-ui
  namespace: observability
  labels:
    app.kubernetes.io/part-of: otp-capacity-lab
spec:
  type: NodePort
  selector:
    app.kubernetes.io/instance: jaeger
    app.kubernetes.io/component: all-in-one
  ports:
    - name: http-query
      port: 16686
      targetPort: 16686
      nodePort: 30686
---
apiVersion: v1
kind: Service
metadata:
  name: otp-service-nodeport
  namespace: $APP_NAMESPACE
  labels:
    app.kubernetes.io/part-of: otp-capacity-lab
spec:
  type: NodePort
  selector:
    app.kubernetes.io/name: otp-service
    app.kubernetes.io/instance: $APP_RELEASE
    app.kubernetes.io/component: server
  ports:
    - name: http
      port: 8080
      targetPort: http
      nodePort: 30080
YAML
}

# ---- 4. The images ------------------------------------------------------------------------------------------------
# `kind load docker-image` pipes a plain `docker save` into `ctr images import --all-platforms` on each node; with
# Docker's containerd image store the archive can name platforms (or attestations) whose content is not there, and
# the import fails with "content digest … not found" (kubernetes-sigs/kind#3795). kind's documented route instead:
# build for the one platform the kind nodes run, save that platform to an archive, `kind load image-archive`.

# The kind nodes are containers on the Docker host: its architecture is theirs.
node_platform() {
  local arch
  arch="$("$DOCKER" version --format '{{.Server.Arch}}')"
  case "$arch" in
    x86_64) arch=amd64 ;;
    aarch64) arch=arm64 ;;
  esac
  printf 'linux/%s\n' "$arch"
}

# `docker save --platform` needs API 1.48 (Docker 28) on both ends; .Client.APIVersion is the negotiated version.
docker_save_has_platform() {
  local api
  api="$("$DOCKER" version --format '{{.Client.APIVersion}}' 2>/dev/null || true)"
  [ -n "$api" ] && version_at_least "$api" 1.48
}

# build_and_load_image <repository> <dir with Dockerfile and package.json>: builds <repository>:<version> for the
# nodes' platform, tags it <version>-<first 12 hex of the image id> (a new tag exactly when the image changed, so
# a re-run rolls the pods only then; a reused tag would leave the old image running), loads that tag into the
# kind nodes from a single-platform archive in IMAGE_ARCHIVES, and sets LOADED_TAG to it. (Not printed for a
# command substitution: bash clears `set -e` in those, so a failed build would go on.)
build_and_load_image() {
  local repository="$1" dir="$2" version revision platform image_id tag archive
  LOADED_TAG=
  version="$(sed -n 's/^  "version": "\([^"]*\)".*/\1/p' "$REPO_ROOT/$dir/package.json" | head -n1)"
  [ -n "$version" ] || die "cannot read the version from $dir/package.json"
  revision="$(git -C "$REPO_ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"
  platform="$(node_platform)"
  log "building $repository:$version for $platform ($dir/Dockerfile, context: the repository root)"
  "$DOCKER" build --platform "$platform" -f "$REPO_ROOT/$dir/Dockerfile" -t "$repository:$version" \
    --build-arg "VERSION=$version" --build-arg "REVISION=$revision" "$REPO_ROOT"
  image_id="$("$DOCKER" image inspect --format '{{.Id}}' "$repository:$version")"
  image_id="${image_id#sha256:}"
  tag="$version-${image_id:0:12}"
  "$DOCKER" tag "$repository:$version" "$repository:$tag"
  archive="$IMAGE_ARCHIVES/${repository//\//_}.tar"
  if docker_save_has_platform; then
    "$DOCKER" save --platform "$platform" -o "$archive" "$repository:$tag"
  else
    # An older Docker: the image was built for this one platform only, so the archive holds just that.
    "$DOCKER" image save -o "$archive" "$repository:$tag"
  fi
  log "loading $repository:$tag into the kind nodes (kind load image-archive)"
  "$KIND" load image-archive "$archive" --name "$CLUSTER_NAME" >/dev/null
  rm -f "$archive"
  LOADED_TAG="$tag"
}

# ---- 5. The service ------------------------------------------------------------------------------------------
# kind/values-otp-service.yaml holds what the kind cluster needs beyond values-bench.yaml (traces to Alloy, the
# NetworkPolicy peers, the kind network's range included for NodePort traffic from the host); skaffold.yaml passes
# the same file, so `skaffold dev` redeploys with the same peers.
KIND_VALUES="$REPO_ROOT/kind/values-otp-service.yaml"

kind_network_cidr() {
  "$DOCKER" network inspect kind --format '{{range .IPAM.Config}}{{.Subnet}} {{end}}' 2>/dev/null |
    tr ' ' '\n' | grep -m1 -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/[0-9]+$' || true
}

ipv4_to_int() {
  local a b c d
  IFS=. read -r a b c d <<<"$1"
  echo $(((a << 24) + (b << 16) + (c << 8) + d))
}

# cidr_within 172.18.0.0/16 172.16.0.0/12: the first range lies inside the second.
cidr_within() {
  local inner="${1%/*}" inner_bits="${1#*/}" outer="${2%/*}" outer_bits="${2#*/}" mask
  [ "$outer_bits" -le "$inner_bits" ] || return 1
  mask=$(((0xFFFFFFFF << (32 - outer_bits)) & 0xFFFFFFFF))
  [ $(($(ipv4_to_int "$inner") & mask)) -eq $(($(ipv4_to_int "$outer") & mask)) ]
}

# Warns when the cluster's kind network is not among the ipBlock peers of kind/values-otp-service.yaml.
check_kind_network_admitted() {
  local cidr peer
  cidr="$(kind_network_cidr)"
  if [ -z "$cidr" ]; then
    log "warning: cannot read the kind network's IPv4 range; http://127.0.0.1:8080 may be refused by the NetworkPolicy (use kubectl port-forward)"
    return
  fi
  while read -r peer; do
    if cidr_within "$cidr" "$peer"; then return; fi
  done < <(sed -n 's/^ *cidr: *\([0-9./]*\).*/\1/p' "$KIND_VALUES")
  log "warning: the kind network $cidr is not among the NetworkPolicy's ipBlock peers in kind/values-otp-service.yaml, so http://127.0.0.1:8080 will be refused: add it there (skaffold uses the same file), or use kubectl port-forward"
}

install_app() {
  check_kind_network_admitted
  log "installing $APP_RELEASE (charts/otp-service, values-bench.yaml and kind/values-otp-service.yaml) into namespace $APP_NAMESPACE"
  h upgrade --install "$APP_RELEASE" "$APP_CHART" \
    --namespace "$APP_NAMESPACE" --create-namespace \
    --values "$APP_CHART/values-bench.yaml" \
    --values "$KIND_VALUES" \
    --set "image.repository=$IMAGE_REPO" \
    --set "image.tag=$IMAGE_TAG" \
    --wait --timeout "$HELM_TIMEOUT" >/dev/null
}

# ---- 6. The otp-operator ------------------------------------------------------------------------------------------
# Helm installs crds/ on the first install only and never upgrades them: apply them first, every time.
install_operator() {
  log "applying the otp-operator's CRDs (charts/otp-operator/crds/)"
  k apply --server-side --force-conflicts --field-manager=kind-up -f "$OPERATOR_CHART/crds/" >/dev/null
  log "installing $OPERATOR_RELEASE (charts/otp-operator) into namespace $APP_NAMESPACE, watching $APP_NAMESPACE"
  h upgrade --install "$OPERATOR_RELEASE" "$OPERATOR_CHART" \
    --namespace "$APP_NAMESPACE" \
    --set "image.repository=$OPERATOR_IMAGE_REPO" \
    --set "image.tag=$OPERATOR_IMAGE_TAG" \
    --set "watchNamespace=$APP_NAMESPACE" \
    --set "database.secretName=$APP_RELEASE-otp-service" \
    --set "database.secretKey=DATABASE_URL" \
    --set "serviceMonitor.enabled=true" \
    --wait --timeout "$HELM_TIMEOUT" >/dev/null
}

# The benchmark's tenants, as configuration: the operator writes each to PostgreSQL and its key to <name>-api-key.
create_bench_tenants() {
  log "creating the benchmark tenants as OtpTenants (k6-operator/bench-tenants.yaml)"
  k -n "$APP_NAMESPACE" apply --server-side --field-manager=kind-up -f "$BENCH_TENANTS" >/dev/null
  k -n "$APP_NAMESPACE" wait --for=condition=Ready otptenant -l otp-lab.dev/benchmark-tenant=true --timeout=180s >/dev/null ||
    die "the benchmark OtpTenants are not Ready: kubectl -n $APP_NAMESPACE describe otptenant; kubectl -n $APP_NAMESPACE logs deploy/$OPERATOR_RELEASE"
}

# ---- 7. Rollouts and URLs ----------------------------------------------------------------------------------------
wait_for_rollouts() {
  local ns
  log "waiting for the rollouts"
  for ns in monitoring observability k6-operator-system "$APP_NAMESPACE"; do
    k -n "$ns" wait --for=condition=Available deployment --all --timeout=300s >/dev/null
  done
  k -n "$APP_NAMESPACE" rollout status "deployment/$APP_RELEASE-otp-service" --timeout=300s >/dev/null
  k -n "$APP_NAMESPACE" rollout status "statefulset/$APP_RELEASE-otp-service-postgresql" --timeout=300s >/dev/null
  k -n "$APP_NAMESPACE" rollout status "statefulset/$APP_RELEASE-otp-service-redis" --timeout=300s >/dev/null
  k -n "$APP_NAMESPACE" rollout status "deployment/$OPERATOR_RELEASE" --timeout=300s >/dev/null
}

# The chart's own test Pod: /ready and /health through the Service, with the image's node (no shell in it).
run_chart_test() {
  local output
  log "helm test $APP_RELEASE (the chart's probe of /ready and /health through the Service)"
  if ! output="$(h test "$APP_RELEASE" --namespace "$APP_NAMESPACE" --timeout 5m --logs 2>&1)"; then
    printf '%s\n' "$output" >&2
    die "helm test $APP_RELEASE failed"
  fi
}

print_urls() {
  local grafana_user grafana_password
  grafana_user="$(k -n monitoring get secret kube-prometheus-stack-grafana -o jsonpath='{.data.admin-user}' | base64 -d)"
  grafana_password="$(k -n monitoring get secret kube-prometheus-stack-grafana -o jsonpath='{.data.admin-password}' | base64 -d)"
  cat <<EOF

The OTP capacity lab is up (kubectl context $KUBE_CONTEXT, image $IMAGE_REPO:$IMAGE_TAG,
operator $OPERATOR_IMAGE_REPO:$OPERATOR_IMAGE_TAG).

  Service     http://127.0.0.1:8080          curl -s http://127.0.0.1:8080/health
  Grafana     http://127.0.0.1:3000          user $grafana_user, password $grafana_password (anonymous: read-only)
  Jaeger      http://127.0.0.1:16686
  Prometheus  $KUBECTL --context $KUBE_CONTEXT -n monitoring port-forward svc/kube-prometheus-stack-prometheus 9090
              then http://127.0.0.1:9090

  Tenants:    $KUBECTL --context $KUBE_CONTEXT -n $APP_NAMESPACE get otptenants   (keys in Secrets <name>-api-key)
  Capacity (a CapacityBenchmark run by the otp-operator through k6-operator TestRuns, report from its results.json):
              make bench-cluster STEP=11-send-flow      (scripts/bench-cluster.sh 11-send-flow)
  Tear down:  make kind-down

EOF
}

check_prerequisites
ensure_cluster
install_third_party
apply_node_ports
IMAGE_ARCHIVES="$(mktemp -d "${TMPDIR:-/tmp}/kind-up-images.XXXXXX")"
trap 'rm -rf "$IMAGE_ARCHIVES"' EXIT
build_and_load_image "$IMAGE_REPO" app
IMAGE_TAG="$LOADED_TAG"
build_and_load_image "$OPERATOR_IMAGE_REPO" operator
OPERATOR_IMAGE_TAG="$LOADED_TAG"
install_app
install_operator
wait_for_rollouts
run_chart_test
create_bench_tenants
print_urls
