// What decides whether a real cluster or a GitOps tool works the first time (issue 13): secrets under
// helm template, NetworkPolicy peers, liveness under deliberate overload, and the smaller settings.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TRACING_SHUTDOWN_BUDGET_MS } from "../../app/src/telemetry/shutdown-budget.ts";
import { defaultValues, TRACING_SHUTDOWN_BUDGET_SECONDS, valuesSchema } from "../src/values-schema.ts";
import { CHART_DIR, helm, type KubeObject, type Profile, type RenderOptions, renderChart, templateText } from "./render.ts";

const scratch = mkdtempSync(join(tmpdir(), "otp-delivery-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
function valuesFile(values: unknown): string {
  const file = join(scratch, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(values)); // JSON is YAML
  return file;
}
const render = (profile: Profile, values: unknown = {}, options: RenderOptions = {}) =>
  renderChart(profile, "otp", "lab", { ...options, valuesFiles: [valuesFile(values)] });
const find = (objects: KubeObject[], kind: string, name: string): KubeObject => {
  const object = objects.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
  if (!object) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`);
  return object;
};
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Container {
  name: string;
  env?: EnvVar[];
  livenessProbe?: { periodSeconds: number; timeoutSeconds: number; failureThreshold: number };
  securityContext?: Record<string, unknown>;
}
interface PodSpec {
  containers: Container[];
  securityContext?: Record<string, unknown>;
}
const podSpec = (object: KubeObject) => (object.spec as { template: { spec: PodSpec } }).template.spec;
const container = (object: KubeObject) => podSpec(object).containers[0] as Container;
const secretRef = (object: KubeObject, name: string) =>
  container(object).env?.find((entry) => entry.name === name)?.valueFrom?.secretKeyRef;

describe("secrets under GitOps (helm template has no cluster: lookup is always empty)", () => {
  const existing = {
    secrets: { existingSecret: "otp-app", existingSecretKeys: { otpSecret: "otp", databaseUrl: "db-url", redisUrl: "redis-url" } },
    postgresql: { auth: { existingSecret: "otp-pg", existingSecretPasswordKey: "pg-password" } },
    redis: { existingSecret: "otp-redis", existingSecretPasswordKey: "redis-password" },
  };

  it("existingSecret for each: every Pod references the user's Secrets and keys, no Secret is rendered, nothing random", async () => {
    const first = await render("bench", existing, { gitops: true });
    expect(first.filter((object) => object.kind === "Secret")).toEqual([]);
    for (const name of ["otp-otp-service", "otp-otp-service-worker"]) {
      const workload = find(first, "Deployment", name);
      expect(secretRef(workload, "OTP_SECRET")).toEqual({ name: "otp-app", key: "otp" });
      expect(secretRef(workload, "DATABASE_URL")).toEqual({ name: "otp-app", key: "db-url" });
      expect(secretRef(workload, "REDIS_URL")).toEqual({ name: "otp-app", key: "redis-url" });
    }
    expect(secretRef(find(first, "Job", "otp-otp-service-migrate"), "DATABASE_URL")).toEqual({ name: "otp-app", key: "db-url" });
    expect(secretRef(find(first, "StatefulSet", "otp-otp-service-postgresql"), "POSTGRES_PASSWORD")).toEqual({
      name: "otp-pg",
      key: "pg-password",
    });
    expect(secretRef(find(first, "StatefulSet", "otp-otp-service-redis"), "REDIS_PASSWORD")).toEqual({
      name: "otp-redis",
      key: "redis-password",
    });
    // Two syncs render the same bytes: no random value, no checksum/secret that rolls the Pods.
    const again = await templateText("bench", "otp", "lab", { gitops: true, valuesFiles: [valuesFile(existing)] });
    expect(again).toBe(await templateText("bench", "otp", "lab", { gitops: true, valuesFiles: [valuesFile(existing)] }));
  });

  it.each([
    ["the defaults", "default", {}, /would be a new random value on every render.*existingSecret/s],
    ["the bench profile", "bench", {}, /would be a new random value on every render.*existingSecret/s],
    [
      "a generated OTP_SECRET only",
      "default",
      { postgresql: { auth: { password: "pw" } }, redis: { password: "pw" } },
      /OTP_SECRET would be a new random value.*secrets\.existingSecret/s,
    ],
    [
      "a generated Redis password only",
      "default",
      { secrets: { otpSecret: "o".repeat(40) }, postgresql: { auth: { password: "pw" } } },
      /Redis password would be a new random value/,
    ],
  ] as const)("generated mode fails loudly under helm template: %s", async (_, profile, values, message) => {
    await expect(templateText(profile, "otp", "lab", { gitops: true, valuesFiles: [valuesFile(values)] })).rejects.toThrow(message);
  });

  it("an upgrade whose Secret has no value fails instead of rotating it", async () => {
    await expect(
      templateText("default", "otp", "lab", { flags: ["--is-upgrade"], set: { "secrets.allowRandomWithoutCluster": false } }),
    ).rejects.toThrow(/this upgrade would generate a new value and rotate it/);
  });

  it("a password the chart cannot read needs URLs the user writes", async () => {
    await expect(
      templateText("bench", "otp", "lab", { gitops: true, valuesFiles: [valuesFile({ postgresql: { auth: { existingSecret: "pg" } } })] }),
    ).rejects.toThrow(/postgresql.auth.existingSecret needs secrets.existingSecret/);
    await expect(
      templateText("bench", "otp", "lab", { gitops: true, valuesFiles: [valuesFile({ secrets: { existingSecret: "app" } })] }),
    ).rejects.toThrow(/needs postgresql.auth.existingSecret/);
  });

  it("helm lint (no install, no upgrade) still passes with generated secrets", async () => {
    const result = await helm(["lint", "--strict", CHART_DIR]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it("the README says which mode is safe under which tool", () => {
    const readme = readFileSync(join(CHART_DIR, "README.md"), "utf8");
    expect(readme).toMatch(/## Secrets/);
    for (const tool of ["Argo CD", "Flux", "skaffold", "helm install"]) expect(readme).toContain(tool);
  });
});

describe("network policies", () => {
  interface Policy {
    podSelector: { matchLabels: Record<string, string> };
    policyTypes: string[];
    ingress: { ports: { port: number }[]; from: Record<string, unknown>[] }[];
  }
  const policy = (objects: KubeObject[], name: string) => find(objects, "NetworkPolicy", name).spec as Policy;
  const appPeer = (components: string[]) => ({
    podSelector: {
      matchLabels: { "app.kubernetes.io/name": "otp-service", "app.kubernetes.io/instance": "otp" },
      matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: components }],
    },
  });
  const prometheus = { namespaceSelector: {}, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } };
  const k6 = { namespaceSelector: {}, podSelector: { matchLabels: { app: "k6" } } };

  it("restricting clients (ingressFrom) keeps Prometheus and the load generators on port 8080", async () => {
    const edge = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "edge" } } };
    const from = policy(await render("bench", { networkPolicy: { ingressFrom: [edge] } }), "otp-otp-service").ingress[0]?.from;
    expect(from).toContainEqual(edge);
    expect(from).toContainEqual(prometheus);
    expect(from).toContainEqual(k6);
    expect(from).not.toContainEqual({ namespaceSelector: {} });
    const custom = { podSelector: { matchLabels: { scraper: "yes" } } };
    const own = policy(await render("bench", { networkPolicy: { ingressFrom: [edge], metricsFrom: [custom] } }), "otp-otp-service");
    expect(own.ingress[0]?.from).toContainEqual(custom);
  });

  it.each([
    [
      "postgresql",
      5432,
      [appPeer(["server", "worker", "migrate"]), { podSelector: { matchLabels: { "app.kubernetes.io/name": "otp-operator" } } }],
    ],
    ["redis", 6379, [appPeer(["server", "worker"])]],
    ["mock-sms", 8090, [appPeer(["server", "worker"]), k6]],
  ] as const)("the in-cluster %s admits only the release's Pods that use it", async (component, port, from) => {
    const objects = await render("bench");
    const spec = policy(objects, `otp-otp-service-${component}`);
    expect(spec.podSelector.matchLabels).toEqual({
      "app.kubernetes.io/name": "otp-service",
      "app.kubernetes.io/instance": "otp",
      "app.kubernetes.io/component": component,
    });
    expect(spec.policyTypes).toEqual(["Ingress"]);
    expect(spec.ingress).toEqual([{ ports: [{ port, protocol: "TCP" }], from }]);
    // Off with the component, and with networkPolicy.enabled.
    const off =
      component === "mock-sms" ? { mockSms: { enabled: false }, config: { sms: { providerUrl: "https://sms.example.com" } } } : {};
    if (component === "mock-sms")
      expect((await render("bench", off)).map((o) => o.metadata.name)).not.toContain("otp-otp-service-mock-sms");
    const disabled = await render("bench", { networkPolicy: { enabled: false } });
    expect(disabled.filter((object) => object.kind === "NetworkPolicy")).toEqual([]);
  });
});

describe("liveness under deliberate overload, minReadySeconds", () => {
  it("bench: liveness restarts only a process that has not answered for a minute, never one that is only slow", async () => {
    const objects = await render("bench");
    for (const name of ["otp-otp-service", "otp-otp-service-worker"]) {
      const probe = container(find(objects, "Deployment", name)).livenessProbe;
      expect(probe?.timeoutSeconds).toBeGreaterThanOrEqual(10);
      // The first failure at t=0, the restart after failureThreshold consecutive ones.
      expect((probe?.periodSeconds ?? 0) * ((probe?.failureThreshold ?? 0) - 1) + (probe?.timeoutSeconds ?? 0)).toBeGreaterThanOrEqual(60);
    }
  });

  it("the Deployments wait minReadySeconds before counting a new Pod available", async () => {
    for (const [values, expected] of [
      [{}, 5],
      [{ minReadySeconds: 12 }, 12],
    ] as const) {
      const objects = await render("bench", values);
      for (const name of ["otp-otp-service", "otp-otp-service-worker"])
        expect((find(objects, "Deployment", name).spec as { minReadySeconds?: number }).minReadySeconds).toBe(expected);
    }
  });

  it("the README says what liveness protects against and what it must not fire on", () => {
    const readme = readFileSync(join(CHART_DIR, "README.md"), "utf8");
    expect(readme).toMatch(/## Liveness/);
    expect(readme).toMatch(/must not fire/i);
  });
});

describe("smaller settings", () => {
  it("securityContext: ids can be unset (OpenShift assigns them) and the Pod context extended", async () => {
    const values = {
      securityContext: {
        runAsUser: null,
        runAsGroup: null,
        fsGroup: null,
        supplementalGroups: [5000],
        fsGroupChangePolicy: "OnRootMismatch",
      },
    };
    const objects = await render("default", values);
    for (const name of ["otp-otp-service", "otp-otp-service-worker", "otp-otp-service-mock-sms"]) {
      const spec = podSpec(find(objects, "Deployment", name));
      expect(spec.securityContext).toEqual({
        runAsNonRoot: true,
        supplementalGroups: [5000],
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(spec.containers[0]?.securityContext).not.toHaveProperty("runAsUser");
      expect(spec.containers[0]?.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true });
    }
    const overridden = podSpec(
      find(await render("default", { securityContext: { runAsUser: 2000, fsGroup: 3000 } }), "Deployment", "otp-otp-service"),
    );
    expect(overridden.securityContext).toMatchObject({ runAsUser: 2000, runAsGroup: 10001, fsGroup: 3000 });
  });

  it.each([
    ["a non-numeric runAsUser", { securityContext: { runAsUser: "x" } }],
    ["runAsUser 0 (root)", { securityContext: { runAsUser: 0 } }],
    ["an HPA stabilization window that is not a number", { autoscaling: { behavior: { scaleDown: { stabilizationWindowSeconds: "x" } } } }],
    ["an unknown HPA behavior field", { autoscaling: { behavior: { scaleDwn: {} } } }],
    [
      "an HPA policy of an unknown type",
      { autoscaling: { behavior: { scaleUp: { policies: [{ type: "Nodes", value: 1, periodSeconds: 60 }] } } } },
    ],
    ["a PDB maxUnavailable of 0%", { podDisruptionBudget: { maxUnavailable: "0%" } }],
    ["a PDB maxUnavailable of 0", { podDisruptionBudget: { maxUnavailable: 0 } }],
    ["a grace margin shorter than the trace flush", { shutdown: { graceMarginSeconds: 2 } }],
  ])("the schema refuses %s", async (_, values) => {
    await expect(render("default", values)).rejects.toThrow(/schema/i);
  });

  it("the grace margin always covers the app's bounded trace flush plus a second to exit", () => {
    expect(TRACING_SHUTDOWN_BUDGET_SECONDS).toBe(Math.ceil(TRACING_SHUTDOWN_BUDGET_MS / 1000));
    const margin = (graceMarginSeconds: number) =>
      valuesSchema.safeParse({ ...defaultValues(), shutdown: { ...defaultValues().shutdown, graceMarginSeconds } }).success;
    expect(margin(TRACING_SHUTDOWN_BUDGET_SECONDS)).toBe(false);
    expect(margin(TRACING_SHUTDOWN_BUDGET_SECONDS + 1)).toBe(true);
  });

  it("an HPA behavior the schema admits reaches the HPA", async () => {
    const behavior = { scaleDown: { stabilizationWindowSeconds: 120, policies: [{ type: "Percent", value: 50, periodSeconds: 60 }] } };
    const hpa = find(await render("default", { autoscaling: { behavior } }), "HorizontalPodAutoscaler", "otp-otp-service");
    expect((hpa.spec as { behavior: unknown }).behavior).toEqual(behavior);
  });

  it("the StatefulSets are governed by headless Services; clients keep the ClusterIP ones", async () => {
    const objects = await render("bench");
    for (const [component, port] of [
      ["postgresql", 5432],
      ["redis", 6379],
    ] as const) {
      const serviceName = (find(objects, "StatefulSet", `otp-otp-service-${component}`).spec as { serviceName: string }).serviceName;
      expect(serviceName).toBe(`otp-otp-service-${component}-headless`);
      expect(find(objects, "Service", serviceName).spec).toMatchObject({ clusterIP: "None", ports: [{ port }] });
      expect((find(objects, "Service", `otp-otp-service-${component}`).spec as { clusterIP?: string }).clusterIP).toBeUndefined();
    }
  });

  it("production: the image is a full reference with a registry", async () => {
    const image = container(find(await render("production"), "Deployment", "otp-otp-service")) as unknown as { image: string };
    const [registry] = image.image.split("/");
    expect(image.image.split("/").length).toBeGreaterThan(2);
    expect(registry).toMatch(/[.:]|^localhost$/);
  });

  describe("NOTES", () => {
    const notes = async (values: unknown) => {
      const result = await helm([
        "install",
        "otp",
        CHART_DIR,
        "--dry-run=client",
        "--namespace",
        "lab",
        "--set",
        "secrets.allowRandomWithoutCluster=true",
        "-f",
        valuesFile(values),
      ]);
      expect(result.code, result.stderr).toBe(0);
      return result.stdout.slice(result.stdout.indexOf("NOTES:"));
    };
    it("warn about the mock SMS provider only when SMS really go to it", async () => {
      expect(await notes({})).toContain("MOCK provider");
      const real = await notes({ config: { sms: { providerUrl: "https://sms.example.com" } } });
      expect(real).not.toContain("MOCK provider");
      expect(real).toContain("https://sms.example.com");
    });
  });
});
