#!/usr/bin/env bash
# Runs one ladder step as a distributed k6 test on the kind cluster (k6-operator), and cleans up after it:
#   1. renders the step's TestRun with a unique name and testid (node k6-operator/generate.ts --print);
#   2. seeds the benchmark tenants into Secret k6-tenants when the script needs them and the Secret is missing
#      (`otp-service seed` run inside a service Pod, where DATABASE_URL and OTP_SECRET already are);
#   3. applies the scripts' ConfigMap and the TestRun (server-side);
#   4. polls the TestRun's .status.stage until `finished` (or `error`, or the timeout);
#   5. saves the runners' logs (each runner prints its k6 summary) under reports/cluster/<testid>/, prints a
#      Grafana link filtered by the testid, and deletes the TestRun (its Jobs and Pods go with it).
#
# Usage: scripts/bench-cluster.sh <script>     or   STEP=<script> scripts/bench-cluster.sh
#        (make bench-cluster STEP=11-send-flow); the scripts: node k6-operator/generate.ts --list
# Environment:
#   PARALLELISM=2        k6 runners; RATES stay the TOTAL offered rate (k6 splits it between the runners)
#   PROFILE=default      rate steps and plateau length, as `make bench` (smoke | default | full)
#   TIMEOUT_S            how long to wait for `finished`; default the main phase + 900 s (setup, scheduling)
#   FRESH_TENANTS=1      re-seed Secret k6-tenants even if it exists
#   KEEP=1               keep the TestRun, its Jobs and Pods afterwards (for kubectl logs/describe)
#   KIND_CLUSTER_NAME    (default otp-lab: context kind-otp-lab), or KUBE_CONTEXT to use any context
#   GRAFANA_URL          (default http://127.0.0.1:3000), GRAFANA_DASHBOARD_UID (a dashboard with a testid variable)
#   REPORTS_DIR          where the runners' logs go (default reports/cluster); POLL_S (default 5)
#   KUBECTL, NODE        the binaries (default: kubectl from PATH; node from PATH, else scripts/ensure-node.sh)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STEP="${1:-${STEP:-}}"
PARALLELISM="${PARALLELISM:-2}"
PROFILE="${PROFILE:-default}"
KUBE_CONTEXT="${KUBE_CONTEXT:-kind-${KIND_CLUSTER_NAME:-otp-lab}}"
KUBECTL="${KUBECTL:-kubectl}"
NAMESPACE=otp
SERVICE_DEPLOYMENT=otp-otp-service
TENANTS_SECRET=k6-tenants
GRAFANA_URL="${GRAFANA_URL:-http://127.0.0.1:3000}"
POLL_S="${POLL_S:-5}"
REPORTS_DIR="${REPORTS_DIR:-$REPO_ROOT/reports/cluster}"

log() { printf '[bench-cluster] %s\n' "$*" >&2; }
die() {
  printf '[bench-cluster] error: %s\n' "$*" >&2
  exit 1
}
k() { "$KUBECTL" --context "$KUBE_CONTEXT" -n "$NAMESPACE" "$@"; }

# Node.js runs the generator: the one on PATH if it is new enough to run TypeScript, else the pinned one.
if [ -z "${NODE:-}" ]; then
  if command -v node >/dev/null 2>&1 && node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 24 ? 0 : 1)'; then
    NODE=node
  else
    NODE="$("$REPO_ROOT/scripts/ensure-node.sh")/node"
  fi
fi
generate() { "$NODE" --disable-warning=MODULE_TYPELESS_PACKAGE_JSON "$REPO_ROOT/k6-operator/generate.ts" "$@"; }

scripts="$(generate --list)"
if [ -z "$STEP" ] || ! grep -qx -- "$STEP" <<<"$scripts"; then
  printf 'usage: %s <script>   (or STEP=<script>); one of:\n  %s\n' "$0" "${scripts//$'\n'/$'\n'  }" >&2
  exit 2
fi
command -v "$KUBECTL" >/dev/null 2>&1 || die "kubectl is not installed (https://kubernetes.io/docs/tasks/tools/)"
"$KUBECTL" --context "$KUBE_CONTEXT" get crd testruns.k6.io >/dev/null 2>&1 ||
  die "no TestRun CRD in context $KUBE_CONTEXT: is the cluster up (make kind-up) with the k6-operator?"
k get deployment "$SERVICE_DEPLOYMENT" >/dev/null 2>&1 || die "deployment $SERVICE_DEPLOYMENT not found in namespace $NAMESPACE (make kind-up)"

run_id="$(date -u +%Y%m%dt%H%M%S)"
testid="$STEP-$run_id"
work="$(mktemp -d)"
manifests="$work/manifests.yaml"
generate --print "$STEP" --run-id "$run_id" --parallelism "$PARALLELISM" --profile "$PROFILE" --no-cleanup >"$manifests"
name="$(sed -n '/^kind: TestRun$/,$ s/^  name: \(.*\)$/\1/p' "$manifests" | head -n1)"
main_seconds="$(sed -n 's/^    otp-lab\/main-seconds: "\([0-9]*\)"$/\1/p' "$manifests" | head -n1)"
if [ -z "$name" ] || [ -z "$main_seconds" ]; then
  die "cannot read the TestRun's name and duration from the generator's output"
fi
timeout_s="${TIMEOUT_S:-$((main_seconds + 900))}"

cleanup() {
  local status=$?
  if [ "${KEEP:-0}" = 1 ]; then
    log "KEEP=1: TestRun $name stays (k -n $NAMESPACE delete testrun $name when done)"
  else
    k delete testrun "$name" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'log "interrupted: stopping $name"; exit 130' INT TERM

# ---- Tenants -----------------------------------------------------------------------------------------------------
if grep -q "secretName: $TENANTS_SECRET" "$manifests"; then
  if [ "${FRESH_TENANTS:-0}" = 1 ] || ! k get secret "$TENANTS_SECRET" >/dev/null 2>&1; then
    log "seeding the benchmark tenants into Secret $TENANTS_SECRET (otp-service seed, in a $SERVICE_DEPLOYMENT Pod)"
    # stdout is the tenants' JSON (logs go to stderr); the image has no shell, so node is called directly.
    k exec "deployment/$SERVICE_DEPLOYMENT" -c otp-service -- /nodejs/bin/node app/dist/main.js seed \
      --tenants 5 --prefix bench --phone-limit 100000000 --daily-cap 1000000000 >"$work/tenants.json"
    grep -q '"apiKey"' "$work/tenants.json" || die "the seed command printed no tenants"
    k create secret generic "$TENANTS_SECRET" --from-file=tenants.json="$work/tenants.json" --dry-run=client -o yaml |
      k apply -f - >/dev/null
  else
    log "using the tenants in Secret $TENANTS_SECRET (FRESH_TENANTS=1 re-seeds)"
  fi
fi

# ---- Run -----------------------------------------------------------------------------------------------------------
log "applying ConfigMap k6-bench-scripts and TestRun $name (testid $testid, $PARALLELISM runners, profile $PROFILE)"
"$KUBECTL" --context "$KUBE_CONTEXT" apply --server-side --force-conflicts --field-manager=bench-cluster -f "$manifests" >/dev/null
started_ms="$(($(date +%s) * 1000))"

deadline=$((SECONDS + timeout_s))
last=""
while :; do
  stage="$(k get testrun "$name" -o jsonpath='{.status.stage}' 2>/dev/null || true)"
  if [ "$stage" != "$last" ]; then
    log "stage: ${stage:-(pending)}"
    last="$stage"
  fi
  case "$stage" in
    finished) break ;;
    error)
      k describe testrun "$name" >&2 || true
      die "TestRun $name failed (stage error); the initializer's log usually says why: k -n $NAMESPACE logs job/$name-initializer"
      ;;
  esac
  [ "$SECONDS" -lt "$deadline" ] || die "TestRun $name not finished after ${timeout_s}s (TIMEOUT_S to wait longer)"
  sleep "$POLL_S"
done
finished_ms="$(($(date +%s) * 1000))"

# ---- Results -------------------------------------------------------------------------------------------------------
out="$REPORTS_DIR/$testid"
mkdir -p "$out"
cp "$manifests" "$out/manifests.yaml"
k logs -l "k6_cr=$name,runner=true" --tail=-1 --prefix --max-log-requests=64 >"$out/runners.log" 2>&1 || true
k get jobs -l "k6_cr=$name,runner=true" \
  -o jsonpath='{range .items[*]}{.metadata.name}{" succeeded="}{.status.succeeded}{" failed="}{.status.failed}{"\n"}{end}' \
  >"$out/jobs.txt" 2>/dev/null || true
log "runners' logs and k6 summaries: ${out#"$REPO_ROOT"/}/runners.log"
log "runner Jobs (k6 exits 99 when a threshold failed, which a plateau past capacity does):"
sed 's/^/    /' "$out/jobs.txt" >&2

urlencode() { # byte-wise (LC_ALL=C), so UTF-8 becomes %XX%XX
  local LC_ALL=C string="$1" encoded="" char i
  for ((i = 0; i < ${#string}; i++)); do
    char="${string:i:1}"
    case "$char" in
      [a-zA-Z0-9.~_-]) encoded+="$char" ;;
      *) encoded+="$(printf '%%%02X' "'$char")" ;;
    esac
  done
  printf '%s' "$encoded"
}

from_ms=$((started_ms - 30000))
to_ms=$((finished_ms + 30000))
rate_query="sum by (scenario) (rate(k6_http_reqs_total{testid=\"$testid\"}[10s]))"
p99_query="histogram_quantile(0.99, sum by (scenario) (rate(k6_http_req_duration_seconds{testid=\"$testid\",phase=\"main\"}[10s])))"
json_escape() {
  local escaped="${1//\\/\\\\}"
  printf '%s' "${escaped//\"/\\\"}"
}
prometheus_query() {
  printf '{"refId":"%s","expr":"%s","datasource":{"type":"prometheus","uid":"prometheus"}}' "$1" "$(json_escape "$2")"
}
panes="$(printf '{"k6":{"datasource":"prometheus","queries":[%s,%s],"range":{"from":"%s","to":"%s"}}}' \
  "$(prometheus_query A "$rate_query")" "$(prometheus_query B "$p99_query")" "$from_ms" "$to_ms")"
printf '\nTestRun %s finished: testid %s\n' "$name" "$testid"
printf '  Grafana Explore (request rate and p99 per plateau, every runner together):\n    %s/explore?schemaVersion=1&orgId=1&panes=%s\n' "$GRAFANA_URL" "$(urlencode "$panes")"
if [ -n "${GRAFANA_DASHBOARD_UID:-}" ]; then
  printf '  Dashboard:\n    %s/d/%s?var-testid=%s&from=%s&to=%s\n' "$GRAFANA_URL" "$GRAFANA_DASHBOARD_UID" "$testid" "$from_ms" "$to_ms"
fi
printf '  PromQL filter: {testid="%s"}   Logs: %s/runners.log\n\n' "$testid" "${out#"$REPO_ROOT"/}"
