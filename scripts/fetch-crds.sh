#!/usr/bin/env bash
# Copies the third-party CRDs the charts use into <dest-dir>, one file per CRD, from the pinned Go
# modules (taken with `go mod download` into the Go module cache, so a second run is offline):
#   - prometheus-operator: example/prometheus-operator-crd/*.yaml — the default bundle (the "-full"
#     folder adds AlertmanagerConfig v1beta1, which needs a conversion webhook);
#   - k6-operator: config/crd/bases/k6.io_{testruns,privateloadzones}.yaml (the deprecated K6 kind is left out).
# When the k6-operator module cannot be had (the module proxy reachable here refuses it), a stand-in
# TestRun CRD written by this project is used instead, with a warning, unless REQUIRE_UPSTREAM_CRDS=1.
# Prints the paths of the files it wrote, one a line.
source "$(dirname "$0")/lib.sh"
# Until these pins are merged into versions.env they live beside it.

[ $# -eq 1 ] || die "usage: $0 <dest-dir>"
dest="$1"
mkdir -p "$dest"
command -v go >/dev/null || die "Go is needed to fetch the CRDs from the Go module proxy"

# Prints the module's directory in the module cache; fails when the proxy does not serve it.
module_dir() {
  local info
  # From / so that no Go module around the working directory is involved.
  info="$(cd / && GOTOOLCHAIN=auto go mod download -json "$1" 2>/dev/null)" || return 1
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$info"
}

# Module-cache files are read-only: copies are made writable so the destination can be cleaned up.
copy_crd() {
  local src="$1" name
  [ -f "$src" ] || die "CRD $src is missing from its module"
  name="$(basename "$src")"
  install -m 0644 "$src" "$dest/$name"
  echo "$dest/$name"
}

module="github.com/prometheus-operator/prometheus-operator@v$PROMETHEUS_OPERATOR_VERSION"
dir="$(module_dir "$module")" || die "cannot download $module from the Go module proxy"
found=0
for crd in "$dir"/example/prometheus-operator-crd/monitoring.coreos.com_*.yaml; do
  copy_crd "$crd"
  found=$((found + 1))
done
[ "$found" -gt 0 ] || die "no CRDs in $dir/example/prometheus-operator-crd"

module="github.com/grafana/k6-operator@v$K6_OPERATOR_VERSION"
if dir="$(module_dir "$module")"; then
  copy_crd "$dir/config/crd/bases/k6.io_testruns.yaml"
  copy_crd "$dir/config/crd/bases/k6.io_privateloadzones.yaml"
  exit 0
fi
[ "${REQUIRE_UPSTREAM_CRDS:-0}" != 1 ] || die "cannot download $module from the Go module proxy (REQUIRE_UPSTREAM_CRDS=1)"
log "warning: cannot download $module from the Go module proxy; using the project's stand-in TestRun CRD"
log "warning: (its schema covers TestRun's spec fields with their types, not the full Pod types; no PrivateLoadZone)"

# Stand-in for k6-operator's TestRun CRD, written for this project from the TestRunSpec API
# (k6.io/v1alpha1): the top-level spec fields with their types, required fields and enums are checked,
# and unknown top-level fields are rejected; inside the runner/starter/initializer Pod settings only a
# few fields are typed and the rest (affinity, volumes, probes, …) is kept unchecked.
pod_schema() {
  local indent="$1"
  sed "s/^/$indent/" <<'YAML'
type: object
x-kubernetes-preserve-unknown-fields: true
properties:
  disabled: {type: boolean}
  image: {type: string}
  imagePullPolicy: {type: string}
  serviceAccountName: {type: string}
  automountServiceAccountToken: {type: string}
  priorityClassName: {type: string}
  schedulerName: {type: string}
  nodeSelector: {type: object, additionalProperties: {type: string}}
  metadata:
    type: object
    properties:
      labels: {type: object, additionalProperties: {type: string}}
      annotations: {type: object, additionalProperties: {type: string}}
  env:
    type: array
    items: {type: object, required: [name], properties: {name: {type: string}}, x-kubernetes-preserve-unknown-fields: true}
  envFrom: {type: array, items: {type: object, x-kubernetes-preserve-unknown-fields: true}}
  resources:
    type: object
    properties:
      limits: {type: object, additionalProperties: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}}
      requests: {type: object, additionalProperties: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}}
    x-kubernetes-preserve-unknown-fields: true
YAML
}

out="$dest/k6.io_testruns.yaml"
{
  cat <<YAML
# Stand-in written by otp-capacity-lab (scripts/fetch-crds.sh), NOT k6-operator's own file: used only
# because github.com/grafana/k6-operator@v$K6_OPERATOR_VERSION could not be downloaded here.
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: testruns.k6.io
  annotations:
    otp-capacity-lab/stand-in-for: "github.com/grafana/k6-operator@v$K6_OPERATOR_VERSION config/crd/bases/k6.io_testruns.yaml"
spec:
  group: k6.io
  names: {kind: TestRun, listKind: TestRunList, plural: testruns, singular: testrun}
  scope: Namespaced
  versions:
    - name: v1alpha1
      served: true
      storage: true
      subresources: {status: {}}
      additionalPrinterColumns:
        - {name: Stage, type: string, jsonPath: .status.stage}
        - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
      schema:
        openAPIV3Schema:
          type: object
          properties:
            apiVersion: {type: string}
            kind: {type: string}
            metadata: {type: object}
            spec:
              type: object
              required: [parallelism, script]
              properties:
                parallelism: {type: integer, format: int32}
                separate: {type: boolean}
                arguments: {type: string}
                quiet: {type: string}
                paused: {type: string}
                cleanup: {type: string, enum: [post]}
                testRunId: {type: string}
                token: {type: string}
                script:
                  type: object
                  properties:
                    configMap:
                      type: object
                      required: [name]
                      properties: {name: {type: string}, file: {type: string}}
                    volumeClaim:
                      type: object
                      required: [name]
                      properties: {name: {type: string}, file: {type: string}, readOnly: {type: boolean}}
                    localFile: {type: string}
                ports: {type: array, items: {type: object, x-kubernetes-preserve-unknown-fields: true}}
                cloud:
                  type: object
                  properties: {token: {type: string}, testRunId: {type: string}, stream: {type: boolean}}
                scuttle:
                  type: object
                  properties:
                    enabled: {type: string}
                    envoyAdminApi: {type: string}
                    neverKillIstio: {type: boolean}
                    neverKillIstioOnFailure: {type: boolean}
                    disableLogging: {type: boolean}
                    startWithoutEnvoy: {type: boolean}
                    waitForEnvoyTimeout: {type: string}
                    istioQuitApi: {type: string}
                    genericQuitEndpoint: {type: string}
                    quitWithoutEnvoyTimeout: {type: string}
YAML
  for pod in initializer starter runner; do
    echo "                $pod:"
    pod_schema "                  "
  done
  cat <<'YAML'
            status:
              type: object
              properties:
                stage: {type: string, enum: [initialization, initialized, created, started, stopped, finished, error]}
                testRunId: {type: string}
                aggregationVars: {type: string}
                conditions: {type: array, items: {type: object, x-kubernetes-preserve-unknown-fields: true}}
YAML
} >"$out"
echo "$out"
