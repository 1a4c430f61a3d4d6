// The otp-operator's objects, from cdk8s-plus-28 constructs (Deployment, ServiceAccount, Role/ClusterRole and
// their bindings, Service) plus one plain ServiceMonitor. cdk8s-plus takes concrete values; where the installer
// chooses (values.yaml), two kinds of Helm expression go in, both as the markers of ../helm.ts that
// ../render-template.ts writes as `{{ … }}`:
//   - strings cdk8s-plus passes through untouched (names, labels, the image, env values) are markers from the
//     start, so references (serviceAccountName, roleRef, subjects, the Service's selector) carry them along;
//   - fields cdk8s-plus types strictly (replicas, resources, pull policy) are synthesised with the default
//     values and replaced after synthesis by JSON patches (`patch` of ../chart/template.ts: one path → one
//     marker; the staleness test sees any cdk8s-plus upgrade that moves one).
import { ApiObject, App, Duration, JsonPatch, Size } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import { HelmObject, HelmTemplate, patch, when } from "../chart/template.ts";
import { tpl, values } from "../helm.ts";
import { LEASE_RULES, type Rule, WATCH_SCOPE_RULES } from "./rbac.ts";
import { defaultOperatorValues } from "./values-schema.ts";

export const OPERATOR_CHART = "otp-operator";
export const METRICS_PORT = 8080;
/** The image's user (operator/Dockerfile: distroless nonroot). */
const UID = 65532;

const include = (name: string) => `include "${OPERATOR_CHART}.${name}" $`;
const fullname = tpl.expr(include("fullname"));
const releaseNamespace = tpl.expr("$.Release.Namespace");
const watchNamespace = tpl.expr(values("watchNamespace"));
const ALL_NAMESPACES = `not ${values("watchNamespace")}`;
const ONE_NAMESPACE = values("watchNamespace");

const selectorLabels = { "app.kubernetes.io/name": OPERATOR_CHART, "app.kubernetes.io/instance": tpl.quote("$.Release.Name") };
const labels = {
  ...selectorLabels,
  "app.kubernetes.io/version": tpl.quote(include("version")),
  "app.kubernetes.io/managed-by": tpl.expr("$.Release.Service"),
  "app.kubernetes.io/part-of": "otp-capacity-lab",
  "helm.sh/chart": tpl.expr(include("chart")),
};
const metadata = (name = fullname, namespace = releaseNamespace) => ({ name, namespace, labels });

const apiResource = (rule: Rule) => kplus.ApiResource.custom({ apiGroup: rule.apiGroup, resourceType: rule.resource });

export function buildOperatorTemplates(): HelmTemplate[] {
  const defaults = defaultOperatorValues();
  const app = new App();
  const template = (file: string) => new HelmTemplate(app, file, { file, source: "cdk8s/src/operator-chart/chart.ts" });

  const accountChart = template("serviceaccount.yaml");
  const serviceAccount = new kplus.ServiceAccount(accountChart, "account", { metadata: metadata(), automountToken: true });

  // ---- RBAC: the watch scope (ClusterRole, or a Role in watchNamespace) and the Lease (a Role here) ----------
  const rbac = template("rbac.yaml");
  const clusterRole = new kplus.ClusterRole(rbac, "cluster-role", { metadata: { name: fullname, labels } });
  const role = new kplus.Role(rbac, "watch-role", { metadata: metadata(fullname, watchNamespace) });
  for (const rule of WATCH_SCOPE_RULES) {
    clusterRole.allow(rule.verbs, apiResource(rule));
    role.allow(rule.verbs, apiResource(rule));
  }
  when(ApiObject.of(clusterRole), ALL_NAMESPACES);
  const clusterBinding = new kplus.ClusterRoleBinding(rbac, "cluster-binding", { metadata: { name: fullname, labels }, role: clusterRole });
  clusterBinding.addSubjects(serviceAccount);
  when(ApiObject.of(clusterBinding), ALL_NAMESPACES);
  when(ApiObject.of(role), ONE_NAMESPACE);
  const watchBinding = new kplus.RoleBinding(rbac, "watch-binding", { metadata: metadata(fullname, watchNamespace), role });
  watchBinding.addSubjects(serviceAccount);
  when(ApiObject.of(watchBinding), ONE_NAMESPACE);

  const leaseName = tpl.expr(`printf "%s-leader-election" (${include("fullname")})`);
  const leaseRole = new kplus.Role(rbac, "lease-role", { metadata: metadata(leaseName) });
  for (const rule of LEASE_RULES) leaseRole.allow(rule.verbs, apiResource(rule));
  new kplus.RoleBinding(rbac, "lease-binding", { metadata: metadata(leaseName), role: leaseRole }).addSubjects(serviceAccount);

  // ---- The controller manager ---------------------------------------------------------------------------------
  const deploymentChart = template("deployment.yaml");
  const deployment = new kplus.Deployment(deploymentChart, "operator", {
    metadata: metadata(),
    replicas: defaults.replicaCount,
    select: false,
    serviceAccount,
    automountServiceAccountToken: true,
    podMetadata: { labels },
    securityContext: { ensureNonRoot: true, user: UID, group: UID, fsGroup: UID },
    // Above SHUTDOWN_TIMEOUT_SECONDS (20): reconciles in flight finish, the Lease is released.
    terminationGracePeriod: Duration.seconds(30),
  });
  deployment.select(kplus.LabelSelector.of({ labels: selectorLabels }));
  const secret = kplus.Secret.fromSecretName(deploymentChart, "database", tpl.expr(values("database.secretName")));
  const container = deployment.addContainer({
    name: "operator",
    image: tpl.expr(include("image")),
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    portNumber: METRICS_PORT,
    ports: [],
    envVariables: {
      WATCH_NAMESPACE: kplus.EnvValue.fromValue(tpl.quote(values("watchNamespace"))),
      LEADER_ELECTION: kplus.EnvValue.fromValue("true"),
      LEASE_NAME: kplus.EnvValue.fromValue(tpl.quote(`${include("fullname")}`)),
      POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
      POD_NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
      METRICS_PORT: kplus.EnvValue.fromValue(String(METRICS_PORT)),
      DATABASE_URL: kplus.EnvValue.fromSecretValue({ secret, key: tpl.expr(values("database.secretKey")) }),
      LOG_LEVEL: kplus.EnvValue.fromValue(tpl.quote(values("logLevel"))),
      NODE_ENV: kplus.EnvValue.fromValue("production"),
      NODE_OPTIONS: kplus.EnvValue.fromValue(tpl.quote(values("nodeOptions"))),
    },
    liveness: kplus.Probe.fromHttpGet("/healthz", {
      port: METRICS_PORT,
      periodSeconds: Duration.seconds(10),
      failureThreshold: 3,
      timeoutSeconds: Duration.seconds(2),
    }),
    readiness: kplus.Probe.fromHttpGet("/readyz", {
      port: METRICS_PORT,
      periodSeconds: Duration.seconds(5),
      failureThreshold: 3,
      timeoutSeconds: Duration.seconds(2),
    }),
    securityContext: {
      ensureNonRoot: true,
      user: UID,
      group: UID,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: [kplus.Capability.ALL] },
      seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
    },
  });
  container.mount("/tmp", kplus.Volume.fromEmptyDir(deploymentChart, "tmp", "tmp", { sizeLimit: Size.mebibytes(64) }));
  patch(
    ApiObject.of(deployment),
    JsonPatch.replace("/spec/replicas", tpl.int(values("replicaCount"))),
    JsonPatch.replace("/spec/template/spec/containers/0/resources", tpl.block(values("resources"))),
    JsonPatch.replace("/spec/template/spec/containers/0/imagePullPolicy", tpl.expr(values("image.pullPolicy"))),
  );

  // ---- /metrics -------------------------------------------------------------------------------------------------
  const serviceChart = template("service.yaml");
  // Selected by the release's labels, not cdk8s-plus' `cdk8s.io/metadata.addr` (the same for every release).
  const service = new kplus.Service(serviceChart, "metrics", {
    metadata: metadata(),
    ports: [{ name: "metrics", port: METRICS_PORT, targetPort: METRICS_PORT }],
  });
  for (const [key, value] of Object.entries(selectorLabels)) service.selectLabel(key, value);
  new HelmObject(serviceChart, "service-monitor", {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    condition: values("serviceMonitor.enabled"),
    metadata: { name: fullname, namespace: releaseNamespace, labels: { ...labels, ...tpl.splice(values("serviceMonitor.labels")) } },
    spec: {
      selector: { matchLabels: selectorLabels },
      endpoints: [{ port: "metrics", path: "/metrics", interval: tpl.expr(values("serviceMonitor.interval")) }],
    },
  });

  return [accountChart, rbac, deploymentChart, serviceChart];
}
