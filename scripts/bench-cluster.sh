#!/usr/bin/env bash
# Measures one ladder step on the kind cluster through the otp-operator: a CapacityBenchmark does the work.
#   1. applies the scripts' ConfigMap (k6-bench-scripts, from node k6-operator/generate.ts --print) the TestRuns mount;
#   2. when the script needs tenants: applies the OtpTenants of k6-operator/bench-tenants.yaml, waits until they are
#      Ready, and gathers their API keys (each in the Secret the operator wrote, status.secretName) into Secret
#      k6-tenants (tenants.json) for the runners — no `kubectl exec … seed` any more;
#   3. applies a CapacityBenchmark (otp-lab.dev/v1alpha1) for the step and follows it with one progress line per
#      change (phase, step, rates, TestRun stage) until Succeeded or Failed;
#   4. fetches results.json from the ConfigMap named in status.resultsConfigMap (key results.json), renders the SAME
#      report as `make bench` (node k6/report/render-report.ts) into reports/cluster/<benchmark>/, and deletes the
#      CapacityBenchmark (its finalizer stops and removes its TestRuns) unless KEEP=1.
#
# Usage: scripts/bench-cluster.sh <script>     or   STEP=<script> scripts/bench-cluster.sh
#        (make bench-cluster STEP=11-send-flow); the scripts: node k6-operator/generate.ts --list
# Environment:
#   PARALLELISM=2        k6 runners per TestRun (rates stay the TOTAL offered rate)
#   PROFILE=default      the ladder profile's rates and plateau length (smoke | default | full)
#   SCALING=Fixed        Fixed (pin the HPA to REPLICAS: per-replica capacity) or Autoscaled (HPA behaviour)
#   REPLICAS=2           Fixed mode's replica count
#   TIMEOUT_S=7200       how long to wait for Succeeded/Failed; POLL_S=5
#   FRESH_TENANTS=1      rebuild Secret k6-tenants even if it exists
#   KEEP=1               keep the CapacityBenchmark (and so its TestRuns) afterwards
#   KIND_CLUSTER_NAME    (default otp-lab: context kind-otp-lab), or KUBE_CONTEXT to use any context
#   REPORTS_DIR          where results.json and the report go (default reports/cluster)
#   KUBECTL, NODE        the binaries (default: kubectl from PATH; node from PATH, else scripts/ensure-node.sh)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STEP="${1:-${STEP:-}}"
PARALLELISM="${PARALLELISM:-2}"
PROFILE="${PROFILE:-default}"
SCALING="${SCALING:-Fixed}"
REPLICAS="${REPLICAS:-2}"
KUBE_CONTEXT="${KUBE_CONTEXT:-kind-${KIND_CLUSTER_NAME:-otp-lab}}"
KUBECTL="${KUBECTL:-kubectl}"
NAMESPACE=otp
SERVICE_DEPLOYMENT=otp-otp-service
SERVICE_URL="http://$SERVICE_DEPLOYMENT.$NAMESPACE.svc.cluster.local:8080"
PROMETHEUS_URL=http://kube-prometheus-stack-prometheus.monitoring.svc:9090
TENANTS_SECRET=k6-tenants
TENANTS_FILE="$REPO_ROOT/k6-operator/bench-tenants.yaml"
POLL_S="${POLL_S:-5}"
TIMEOUT_S="${TIMEOUT_S:-7200}"
REPORTS_DIR="${REPORTS_DIR:-$REPO_ROOT/reports/cluster}"

log() { printf '[bench-cluster] %s\n' "$*" >&2; }
die() {
  printf '[bench-cluster] error: %s\n' "$*" >&2
  exit 1
}
k() { "$KUBECTL" --context "$KUBE_CONTEXT" -n "$NAMESPACE" "$@"; }

# Node.js runs the generator and the report: the one on PATH if it runs TypeScript, else the pinned one.
if [ -z "${NODE:-}" ]; then
  if command -v node >/dev/null 2>&1 && node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 24 ? 0 : 1)'; then
    NODE=node
  else
    NODE="$("$REPO_ROOT/scripts/ensure-node.sh")/node"
  fi
fi
node_ts() { "$NODE" --disable-warning=MODULE_TYPELESS_PACKAGE_JSON "$@"; }
generate() { node_ts "$REPO_ROOT/k6-operator/generate.ts" "$@"; }

scripts="$(generate --list)"
if [ -z "$STEP" ] || ! grep -qx -- "$STEP" <<<"$scripts"; then
  printf 'usage: %s <script>   (or STEP=<script>); one of:\n  %s\n' "$0" "${scripts//$'\n'/$'\n'  }" >&2
  exit 2
fi
case "$SCALING" in Fixed | Autoscaled) ;; *) die "SCALING must be Fixed or Autoscaled, not $SCALING" ;; esac
command -v "$KUBECTL" >/dev/null 2>&1 || die "kubectl is not installed (https://kubernetes.io/docs/tasks/tools/)"
for crd in capacitybenchmarks.otp-lab.dev otptenants.otp-lab.dev testruns.k6.io; do
  "$KUBECTL" --context "$KUBE_CONTEXT" get crd "$crd" >/dev/null 2>&1 ||
    die "no CRD $crd in context $KUBE_CONTEXT: is the cluster up (make kind-up) with the k6-operator and the otp-operator?"
done
k get deployment "$SERVICE_DEPLOYMENT" >/dev/null 2>&1 || die "deployment $SERVICE_DEPLOYMENT not found in namespace $NAMESPACE (make kind-up)"

run_id="$(date -u +%Y%m%dt%H%M%S)"
name="$STEP-$run_id"
work="$(mktemp -d)"

cleanup() {
  local status=$?
  if [ "${KEEP:-0}" = 1 ]; then
    log "KEEP=1: CapacityBenchmark $name stays (kubectl -n $NAMESPACE delete capacitybenchmark $name when done)"
  else
    k delete capacitybenchmark "$name" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'log "interrupted: stopping $name"; exit 130' INT TERM

# ---- 1. The scripts' ConfigMap (the generator's first document; its TestRun is not used) ----------------------
generate --print "$STEP" --run-id "$run_id" --parallelism "$PARALLELISM" --profile "$PROFILE" --no-cleanup >"$work/generated.yaml"
sed '/^---$/,$d' "$work/generated.yaml" >"$work/configmap.yaml"
grep -q '^kind: ConfigMap$' "$work/configmap.yaml" || die "the generator printed no ConfigMap"
log "applying ConfigMap k6-bench-scripts"
"$KUBECTL" --context "$KUBE_CONTEXT" apply --server-side --force-conflicts --field-manager=bench-cluster -f "$work/configmap.yaml" >/dev/null

# ---- 2. Tenants: OtpTenants → their Secrets → Secret k6-tenants ----------------------------------------------
tenants_json() {
  local tenant id secret key entries=()
  while read -r tenant; do
    [ -n "$tenant" ] || continue
    id="$(k get otptenant "$tenant" -o jsonpath='{.status.tenantId}')"
    secret="$(k get otptenant "$tenant" -o jsonpath='{.status.secretName}')"
    [ -n "$id" ] && [ -n "$secret" ] || die "OtpTenant $tenant has no status.tenantId/secretName yet"
    key="$(k get secret "$secret" -o jsonpath='{.data.apiKey}' | base64 -d)"
    [ -n "$key" ] || die "Secret $secret (of OtpTenant $tenant) has no apiKey"
    entries+=("{\"id\":\"$id\",\"name\":\"$tenant\",\"apiKey\":\"$key\"}")
  done < <(sed -n 's/^metadata: { name: \([a-z0-9-]*\),.*/\1/p' "$TENANTS_FILE")
  [ "${#entries[@]}" -gt 0 ] || die "no OtpTenant found in $TENANTS_FILE (one 'metadata: { name: …' line per tenant)"
  local IFS=,
  printf '{"tenants":[%s]}\n' "${entries[*]}"
}

if grep -q "secretName: $TENANTS_SECRET" "$work/generated.yaml"; then
  if [ "${FRESH_TENANTS:-0}" = 1 ] || ! k get secret "$TENANTS_SECRET" >/dev/null 2>&1; then
    log "applying the benchmark OtpTenants (k6-operator/bench-tenants.yaml) and waiting until the operator has them Ready"
    k apply --server-side --field-manager=bench-cluster -f "$TENANTS_FILE" >/dev/null
    k wait --for=condition=Ready otptenant -l otp-lab.dev/benchmark-tenant=true --timeout=180s >/dev/null ||
      die "the OtpTenants are not Ready (kubectl -n $NAMESPACE describe otptenant; the otp-operator's log)"
    tenants_json >"$work/tenants.json"
    k create secret generic "$TENANTS_SECRET" --from-file=tenants.json="$work/tenants.json" --dry-run=client -o yaml |
      k apply -f - >/dev/null
    log "Secret $TENANTS_SECRET holds the keys of $(grep -o '"apiKey"' "$work/tenants.json" | wc -l | tr -d ' ') OtpTenants"
  else
    log "using the tenants in Secret $TENANTS_SECRET (FRESH_TENANTS=1 rebuilds it from the OtpTenants)"
  fi
fi

# ---- 3. The CapacityBenchmark ----------------------------------------------------------------------------------
if [ "$SCALING" = Fixed ]; then scaling="{ mode: Fixed, replicas: $REPLICAS }"; else scaling="{ mode: Autoscaled }"; fi
cat >"$work/benchmark.yaml" <<YAML
apiVersion: otp-lab.dev/v1alpha1
kind: CapacityBenchmark
metadata:
  name: $name
  namespace: $NAMESPACE
  labels: { app.kubernetes.io/part-of: otp-capacity-lab, otp-lab.dev/step: $STEP }
spec:
  target: { deployment: $SERVICE_DEPLOYMENT, hpa: $SERVICE_DEPLOYMENT, serviceUrl: "$SERVICE_URL" }
  steps:
    - { script: $STEP, profile: $PROFILE }
  scaling: $scaling
  load: { parallelism: $PARALLELISM }
  prometheus: { url: "$PROMETHEUS_URL" }
YAML
log "applying CapacityBenchmark $name ($STEP, profile $PROFILE, $SCALING, $PARALLELISM runners)"
"$KUBECTL" --context "$KUBE_CONTEXT" apply --server-side --field-manager=bench-cluster -f "$work/benchmark.yaml" >/dev/null

deadline=$((SECONDS + TIMEOUT_S))
last=""
phase=""
while :; do
  line="$(k get capacitybenchmark "$name" \
    -o jsonpath='{.status.phase}{"|"}{.status.current.script}{"|"}{.status.current.rates}{"|"}{.status.current.stage}{"|"}{.status.current.testRun}' 2>/dev/null || true)"
  IFS='|' read -r phase script rates stage testrun <<<"$line"
  if [ "$line" != "$last" ]; then
    log "phase ${phase:-Pending}${script:+  step $script}${rates:+  rates $rates req/s}${stage:+  TestRun $testrun: $stage}"
    last="$line"
  fi
  case "$phase" in Succeeded | Failed) break ;; esac
  [ "$SECONDS" -lt "$deadline" ] || die "CapacityBenchmark $name not finished after ${TIMEOUT_S}s (TIMEOUT_S to wait longer)"
  sleep "$POLL_S"
done

# ---- 4. results.json and the report ------------------------------------------------------------------------------
out="$REPORTS_DIR/$name"
mkdir -p "$out"
cp "$work/benchmark.yaml" "$out/benchmark.yaml"
k get capacitybenchmark "$name" -o yaml >"$out/status.yaml" 2>/dev/null || true
configmap="$(k get capacitybenchmark "$name" -o jsonpath='{.status.resultsConfigMap}')"
configmap="${configmap:-$name-results}"
k get configmap "$configmap" -o jsonpath='{.data.results\.json}' >"$out/results.json" ||
  die "no results.json in ConfigMap $configmap (phase $phase): kubectl -n $NAMESPACE describe capacitybenchmark $name"
[ -s "$out/results.json" ] || die "ConfigMap $configmap has an empty results.json (phase $phase)"
node_ts "$REPO_ROOT/k6/report/render-report.ts" "$out" >/dev/null
[ "$phase" = Succeeded ] || log "the benchmark ended $phase: the report says why (conditions in ${out#"$REPO_ROOT"/}/status.yaml)"
printf '\nCapacityBenchmark %s: %s\n  results  %s/results.json\n  report   %s/report.md  %s/report.html\n\n' \
  "$name" "$phase" "${out#"$REPO_ROOT"/}" "${out#"$REPO_ROOT"/}" "${out#"$REPO_ROOT"/}"
[ "$phase" = Succeeded ]
