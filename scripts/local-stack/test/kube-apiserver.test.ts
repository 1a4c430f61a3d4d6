// The Kubernetes verification harness against a real etcd + kube-apiserver on loopback: server-side
// apply, defaulting, the API's own validation, and the third-party CRDs (k6-operator,
// prometheus-operator) with their schemas enforced.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  field,
  helmBinary,
  KubeApiError,
  type KubeApiServer,
  type KubeObject,
  k6OperatorCrdFiles,
  prometheusOperatorCrdFiles,
  startKubeApiServer,
} from "../kube-apiserver.ts";

const run = promisify(execFile);

let dir: string;
let kube: KubeApiServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kube-apiserver-test-"));
  kube = await startKubeApiServer({ dir });
});

afterAll(async () => {
  await kube?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Refusal = [object: KubeObject, expected: Partial<Pick<KubeApiError, "status" | "reason" | "invalid">>, message?: string];

/** Applies each object (in `namespace`); each must fail with a KubeApiError of those fields and that message. */
async function expectRefused(refusals: Refusal[], namespace?: string): Promise<void> {
  for (const [object, expected, message] of refusals) {
    const error = await kube.apply([object], namespace ? { namespace } : {}).then(
      () => new Error(`the API accepted ${object.kind} ${object.metadata.name}, which it should have rejected`),
      (failure: unknown) => failure,
    );
    if (!(error instanceof KubeApiError)) throw error;
    for (const [key, value] of Object.entries(expected))
      expect(error[key as keyof typeof expected], `${object.metadata.name} ${key}`).toBe(value);
    if (message) expect(error.message).toContain(message);
  }
}

const APP_MANIFESTS = `
# Source: a chart's namespace, deployment and service, as \`helm template\` prints them
apiVersion: v1
kind: Namespace
metadata:
  name: otp
---
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: otp-service
  namespace: otp
  labels: {app.kubernetes.io/name: otp-service}
spec:
  replicas: 2
  selector:
    matchLabels: {app.kubernetes.io/name: otp-service}
  template:
    metadata:
      labels: {app.kubernetes.io/name: otp-service}
    spec:
      terminationGracePeriodSeconds: 30
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: otp-service
          image: registry.example/otp-service:1.0.0
          ports: [{name: http, containerPort: 8080}]
          readinessProbe:
            httpGet: {path: /ready, port: http}
          livenessProbe:
            httpGet: {path: /live, port: http}
            failureThreshold: 6
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
          resources:
            requests: {cpu: 500m, memory: 256Mi}
---
apiVersion: v1
kind: Service
metadata:
  name: otp-service
  namespace: otp
spec:
  selector: {app.kubernetes.io/name: otp-service}
  ports: [{name: http, port: 80, targetPort: http}]
`;

describe("core objects", () => {
  it("applies a Namespace, a Deployment and a Service server-side; defaults are filled in", async () => {
    const applied = await kube.apply(APP_MANIFESTS, { fieldManager: "chart-test" });
    expect(applied.map((o) => o.kind)).toEqual(["Namespace", "Deployment", "Service"]);

    const deployment = await kube.get("apps/v1", "Deployment", "otp-service", "otp");
    const container = "spec.template.spec.containers.0";
    expect(field(deployment, `${container}.readinessProbe.httpGet.path`)).toBe("/ready");
    expect(field(deployment, `${container}.livenessProbe.failureThreshold`)).toBe(6);
    expect(field(deployment, `${container}.securityContext.capabilities.drop`)).toEqual(["ALL"]);
    expect(field(deployment, "spec.template.spec.securityContext.runAsNonRoot")).toBe(true);
    expect(field(deployment, `${container}.resources.requests.cpu`)).toBe("500m");
    // Defaulting by the API server, not by us:
    expect(field(deployment, `${container}.readinessProbe.httpGet.scheme`)).toBe("HTTP");
    expect(field(deployment, `${container}.readinessProbe.periodSeconds`)).toBe(10);
    expect(field(deployment, `${container}.imagePullPolicy`)).toBe("IfNotPresent");
    expect(field(deployment, "spec.strategy.type")).toBe("RollingUpdate");
    expect(field(deployment, "spec.revisionHistoryLimit")).toBe(10);
    const managers = (deployment.metadata.managedFields as { manager: string; operation: string }[]).map(
      (m) => `${m.manager}/${m.operation}`,
    );
    expect(managers).toContain("chart-test/Apply");

    const service = await kube.get("v1", "Service", "otp-service", "otp");
    expect(field(service, "spec.type")).toBe("ClusterIP");
    expect(field(service, "spec.clusterIP")).toMatch(/^10\.96\./);
    expect(field(service, "spec.ports.0.protocol")).toBe("TCP");

    // Server-side apply is idempotent: the same manifests again change nothing.
    const [, again] = await kube.apply(APP_MANIFESTS, { fieldManager: "chart-test" });
    expect(again?.metadata.resourceVersion).toBe(deployment.metadata.resourceVersion);

    const names = (await kube.list("apps/v1", "Deployment")).map((d) => `${d.metadata.namespace}/${d.metadata.name}`);
    expect(names).toContain("otp/otp-service");
    // No controller-manager: the service-account controller does not run, createNamespace stands in.
    expect((await kube.list("v1", "ServiceAccount", "otp")).length).toBe(0);
    await kube.createNamespace("otp-with-sa");
    expect((await kube.get("v1", "ServiceAccount", "default", "otp-with-sa")).metadata.name).toBe("default");
  });

  it("rejects what a real cluster rejects", async () => {
    const deployment = (spec: Record<string, unknown>): KubeObject => ({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "broken", namespace: "otp" },
      spec: {
        template: { metadata: { labels: { app: "broken" } }, spec: { containers: [{ name: "c", image: "busybox:1" }] } },
        ...spec,
      },
    });
    const selector = { matchLabels: { app: "broken" } };
    await expectRefused([
      [deployment({}), { status: 422, reason: "Invalid" }, "spec.selector"],
      // A wrong type or a misspelt field: server-side apply cannot even build the typed object and
      // answers 500 "failed to create typed patch object" (real clusters do the same); `invalid` covers both.
      [deployment({ selector, replicas: "three" }), { invalid: true }, ".spec.replicas: expected numeric"],
      [deployment({ selector, replica: 2 }), { invalid: true }, ".spec.replica: field not declared in schema"],
      // No admission plugin creates namespaces.
      [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", namespace: "nope" } }, { status: 404 }],
    ]);
  });
});

describe("third-party CRDs", () => {
  it("applies the k6-operator and prometheus-operator CRDs and enforces their schemas", async () => {
    const k6 = k6OperatorCrdFiles();
    const files = [k6.testRuns, k6.privateLoadZones, ...prometheusOperatorCrdFiles()];
    expect(files.map((f) => basename(f))).toEqual(
      expect.arrayContaining([
        "k6.io_testruns.yaml",
        "k6.io_privateloadzones.yaml",
        "monitoring.coreos.com_servicemonitors.yaml",
        "monitoring.coreos.com_podmonitors.yaml",
        "monitoring.coreos.com_prometheusrules.yaml",
      ]),
    );
    const crds = await kube.apply(files.map((file) => readFileSync(file, "utf8")).join("\n---\n"));
    expect(crds.every((crd) => crd.kind === "CustomResourceDefinition")).toBe(true);

    await kube.createNamespace("load");
    const [testRun, serviceMonitor, rule] = await kube.apply(
      [
        {
          apiVersion: "k6.io/v1alpha1",
          kind: "TestRun",
          metadata: { name: "otp-ladder" },
          spec: { parallelism: 2, arguments: "--tag layer=http", script: { configMap: { name: "k6-scripts", file: "send.ts" } } },
        },
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "ServiceMonitor",
          metadata: { name: "otp-service" },
          spec: {
            selector: { matchLabels: { "app.kubernetes.io/name": "otp-service" } },
            endpoints: [{ port: "http", path: "/metrics", interval: "15s" }],
          },
        },
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PrometheusRule",
          metadata: { name: "otp-service" },
          spec: {
            groups: [{ name: "otp", rules: [{ alert: "OtpServiceDown", expr: "up == 0", for: "5m", labels: { severity: "page" } }] }],
          },
        },
      ],
      { namespace: "load" },
    );
    expect(testRun?.metadata.namespace).toBe("load");
    expect(field(await kube.get("k6.io/v1alpha1", "TestRun", "otp-ladder", "load"), "spec.script.configMap.file")).toBe("send.ts");
    expect(field(serviceMonitor, "spec.endpoints.0.interval")).toBe("15s");
    expect(field(await kube.get("monitoring.coreos.com/v1", "PrometheusRule", "otp-service", "load"), "spec.groups.0.rules.0.for")).toBe(
      "5m",
    );
    expect(rule?.kind).toBe("PrometheusRule");

    const prometheusRule = (name: string, spec: unknown) => ({
      apiVersion: "monitoring.coreos.com/v1",
      kind: "PrometheusRule",
      metadata: { name },
      spec,
    });
    const k6TestRun = (spec: unknown) => ({ apiVersion: "k6.io/v1alpha1", kind: "TestRun", metadata: { name: "bad" }, spec });
    const forFiveMinutes = { groups: [{ name: "g", rules: [{ alert: "A", expr: "up == 0", for: "five minutes" }] }] };
    await expectRefused(
      [
        [prometheusRule("bad", { groups: "otp" }), { invalid: true }, ".spec.groups: expected list"],
        [prometheusRule("bad-duration", forFiveMinutes), { status: 422 }, "spec.groups[0].rules[0].for in body should match"],
        [k6TestRun({ parallelism: 2 }), { status: 422 }, "spec.script: Required value"],
        [k6TestRun({ parallelism: "two", script: { localFile: "/t.js" } }), { invalid: true }, ".spec.parallelism: expected numeric"],
      ],
      "load",
    );
  });
});

describe("helm", () => {
  it("lints and renders a chart, and the rendered manifests apply; helm itself works through the kubeconfig", async () => {
    const helm = helmBinary();
    const home = join(dir, "helm-home");
    const env = { ...process.env, HELM_CACHE_HOME: home, HELM_CONFIG_HOME: home, HELM_DATA_HOME: home, KUBECONFIG: kube.kubeconfigPath };
    const charts = join(dir, "charts");
    mkdirSync(charts);
    await run(helm, ["create", "demo"], { cwd: charts, env });
    const chart = join(charts, "demo");
    await run(helm, ["lint", "--strict", chart], { env });
    const { stdout: rendered } = await run(helm, ["template", "demo", chart, "--namespace", "helm-demo"], { env });

    await kube.createNamespace("helm-demo");
    const applied = await kube.apply(rendered, { namespace: "helm-demo" });
    expect(applied.map((o) => o.kind).sort()).toEqual(["Deployment", "Pod", "Service", "ServiceAccount"]);
    // The chart's test Pod names no service account: admission needs the `default` one createNamespace made.
    expect(field(await kube.get("v1", "Pod", "demo-test-connection", "helm-demo"), "spec.serviceAccountName")).toBe("default");

    await run(helm, ["install", "installed", chart, "--namespace", "helm-demo"], { env });
    const { stdout: releases } = await run(helm, ["list", "--namespace", "helm-demo", "--output", "json"], { env });
    expect(JSON.parse(releases)).toEqual([expect.objectContaining({ name: "installed", status: "deployed" })]);
    expect((await kube.get("apps/v1", "Deployment", "installed-demo", "helm-demo")).metadata.name).toBe("installed-demo");
  });
});
