// SPIKE: the Service and the main Deployment from cdk8s-plus-28 constructs, with cdk8s JSON patches
// for the fields that come from values (the patch values are still the markers of ../helm.ts).
import { ApiObject, Duration, JsonPatch, Size } from "cdk8s";
import * as kplus from "cdk8s-plus-28";
import type { Construct } from "constructs";
import { include, tpl, values } from "../helm.ts";
import {
  CONTAINER_PORT,
  DRAIN_SECONDS,
  HTTP_GRACE_SECONDS,
  httpProbe,
  labels,
  name,
  PRESTOP_SLEEP_CONDITION,
  PULL_POLICY,
  podBasics,
  podPlacement,
  SECRET_ENV,
  SERVICE_IMAGE,
  selectorLabels,
  serviceContainerSecurityContext,
  servicePodSecurityContext,
} from "./common.ts";
import { podMetadata, topologySpread } from "./service.ts";
import { HelmTemplate, patchAfterSerialising } from "./template.ts";

const SOURCE = "cdk8s/src/chart/service.ts";
/** A JSON pointer; marker keys contain `/` and `~`. */
const at = (...segments: string[]) => `/${segments.map((s) => s.replaceAll("~", "~0").replaceAll("/", "~1")).join("/")}`;
/** Adds each entry of a (marker-keyed) map under `base`. */
const addEntries = (base: string[], entries: Record<string, unknown>) =>
  Object.entries(entries).map(([key, value]) => JsonPatch.add(at(...base, key), value));
const meta = (component: string) => ({
  name: name(),
  namespace: tpl.expr("$.Release.Namespace"),
  labels: labels(component) as Record<string, string>,
});

export function servicePlus(scope: Construct): void {
  const template = new HelmTemplate(scope, "service", { file: "service.yaml", source: SOURCE });
  const service = new kplus.Service(template, "service", {
    metadata: meta("server"),
    ports: [{ name: "http", port: 0, targetPort: 0, protocol: kplus.Protocol.TCP }],
  });
  for (const [key, value] of Object.entries(selectorLabels("server"))) service.selectLabel(key, value);
  patchAfterSerialising(
    ApiObject.of(service),
    JsonPatch.remove("/spec/externalIPs"),
    JsonPatch.add("/metadata/annotations", tpl.optional(values("service.annotations"))),
    JsonPatch.replace("/spec/type", tpl.expr(values("service.type"))),
    JsonPatch.replace("/spec/ports/0/port", tpl.int(values("service.port"))),
    JsonPatch.replace("/spec/ports/0/targetPort", "http"),
  );
}

export function deploymentPlus(scope: Construct): void {
  const template = new HelmTemplate(scope, "deployment", { file: "deployment.yaml", source: SOURCE });
  const deployment = new kplus.Deployment(template, "deployment", {
    metadata: meta("server"),
    select: false,
    strategy: kplus.DeploymentStrategy.rollingUpdate({
      maxSurge: kplus.PercentOrAbsolute.percent(25),
      maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
    }),
    automountServiceAccountToken: false,
    serviceAccount: kplus.ServiceAccount.fromServiceAccountName(template, "sa", tpl.expr(include("serviceAccountName"))),
    terminationGracePeriod: Duration.seconds(0),
    securityContext: { ensureNonRoot: true },
  });
  deployment.select(kplus.LabelSelector.of({ labels: selectorLabels("server") }));
  const container = deployment.addContainer({
    name: "otp-service",
    image: SERVICE_IMAGE,
    args: ["serve"],
    ports: [{ name: "http", number: CONTAINER_PORT, protocol: kplus.Protocol.TCP }],
    envFrom: [kplus.Env.fromConfigMap(kplus.ConfigMap.fromConfigMapName(template, "config", name()))],
    securityContext: { ensureNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
  });
  container.mount("/tmp", kplus.Volume.fromEmptyDir(template, "tmp", "tmp", { sizeLimit: Size.mebibytes(64) }));
  const pod = ["spec", "template", "spec"];
  const main = [...pod, "containers", "0"];
  const podMeta = podMetadata("server");
  patchAfterSerialising(
    ApiObject.of(deployment),
    // cdk8s-plus defaults the chart does not write
    JsonPatch.remove("/spec/replicas"),
    JsonPatch.remove("/spec/progressDeadlineSeconds"),
    JsonPatch.remove(at("spec", "template", "metadata", "labels", "cdk8s.io/metadata.addr")),
    ...["dnsPolicy", "hostNetwork", "restartPolicy", "setHostnameAsFQDN"].map((field) => JsonPatch.remove(at(...pod, field))),
    JsonPatch.remove(at(...main, "startupProbe")),
    // what cdk8s-plus has no field for
    JsonPatch.add("/spec/revisionHistoryLimit", 5),
    // values-driven fields: each is a marker
    ...addEntries(["spec"], tpl.when(`not ${values("autoscaling.enabled")}`, { replicas: tpl.int(values("replicaCount")) })),
    JsonPatch.replace("/spec/minReadySeconds", tpl.int(values("minReadySeconds"))),
    JsonPatch.replace("/spec/template/metadata/labels", podMeta.labels),
    JsonPatch.add("/spec/template/metadata/annotations", podMeta.annotations),
    ...addEntries(pod, { ...podBasics(), ...podPlacement(), ...topologySpread("server") }),
    JsonPatch.replace(at(...pod, "securityContext"), servicePodSecurityContext()),
    JsonPatch.replace(at(...pod, "terminationGracePeriodSeconds"), HTTP_GRACE_SECONDS),
    JsonPatch.add(at(...main, "imagePullPolicy"), PULL_POLICY),
    JsonPatch.add(at(...main, "env"), [...SECRET_ENV, tpl.splice(values("extraEnv"))]),
    JsonPatch.add(at(...main, "startupProbe"), httpProbe("/live", "startup")),
    JsonPatch.add(at(...main, "livenessProbe"), httpProbe("/live", "liveness")),
    JsonPatch.add(at(...main, "readinessProbe"), httpProbe("/ready", "readiness")),
    ...addEntries(main, tpl.when(PRESTOP_SLEEP_CONDITION, { lifecycle: { preStop: { sleep: { seconds: tpl.expr(DRAIN_SECONDS) } } } })),
    JsonPatch.add(at(...main, "resources"), tpl.block(values("resources"))),
    JsonPatch.replace(at(...main, "securityContext"), serviceContainerSecurityContext()),
  );
}
