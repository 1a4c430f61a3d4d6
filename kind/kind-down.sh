#!/usr/bin/env bash
# Deletes the OTP capacity lab's kind cluster (everything in it goes: the cluster is disposable).
#   kind/kind-down.sh    (make kind-down)
# Environment: KIND_CLUSTER_NAME (default otp-lab), KIND (the binary, default from PATH).
set -euo pipefail

CLUSTER_NAME="${KIND_CLUSTER_NAME:-otp-lab}"
KIND="${KIND:-kind}"

log() { printf '[kind-down] %s\n' "$*" >&2; }

if ! command -v "$KIND" >/dev/null 2>&1; then
  log "error: kind is not installed (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)"
  exit 1
fi
if ! "$KIND" get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; then
  log "no kind cluster named $CLUSTER_NAME: nothing to delete"
  exit 0
fi
log "deleting kind cluster $CLUSTER_NAME"
"$KIND" delete cluster --name "$CLUSTER_NAME"
log "done (the image otp-capacity-lab/otp-service stays in the local Docker; docker image rm it to reclaim space)"
