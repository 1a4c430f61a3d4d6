// Every profile's rendered chart, server-side applied to a real kube-apiserver (with etcd) that
// knows the prometheus-operator and (upstream, unchanged) k6-operator CRDs: all objects must be accepted with strict field validation,
// and what matters is read back from the API, after defaulting, not from helm's text.
import { field, type KubeApiServer } from "@otp-lab/local-stack/kube-apiserver";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { withKubeApiServer } from "./apiserver.ts";
import { CHART_DIR, helm, type KubeObject, type Profile, renderChart } from "./render.ts";

const PROFILES: Profile[] = ["default", "bench", "production"];
let api: KubeApiServer;
const applied = new Map<Profile, KubeObject[]>();

withKubeApiServer("otp-lab-apiserver-", async (started) => {
  api = started;
  for (const profile of PROFILES) {
    const namespace = `otp-${profile}`;
    await api.createNamespace(namespace);
    // The Secret a production install expects to exist already.
    if (profile === "production") {
      await api.apply([
        {
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: "otp-service-secrets", namespace },
          stringData: { OTP_SECRET: "x".repeat(40), DATABASE_URL: "postgres://otp@db/otp", REDIS_URL: "redis://cache:6379" },
        },
      ]);
    }
    const objects = await renderChart(profile, "otp", namespace);
    applied.set(profile, await api.apply(objects, { fieldManager: "helm-chart-test" }));
  }
});

const read = (profile: Profile, kind: string, name: string) => {
  const object = applied.get(profile)?.find((o) => o.kind === kind && o.metadata.name === name);
  if (!object)
    throw new Error(
      `${profile}: no ${kind} ${name} among ${applied
        .get(profile)
        ?.map((o) => `${o.kind}/${o.metadata.name}`)
        .join(", ")}`,
    );
  return api.get(object.apiVersion, kind, name, object.metadata.namespace);
};

describe.each(PROFILES)("profile %s on a real kube-apiserver", (profile) => {
  it("every rendered object was accepted with strict validation and no warnings", async () => {
    const objects = applied.get(profile) ?? [];
    expect(objects.length).toBeGreaterThan(8);
    for (const object of objects) expect(field(object, "metadata.uid"), `${object.kind}/${object.metadata.name}`).toBeTruthy();
    expect(api.warnings.filter((w) => !/deprecated/i.test(w))).toEqual([]);
  });

  it("the Deployment keeps its probes, security context and a grace period above the shutdown budget", async () => {
    const deployment = await read(profile, "Deployment", "otp-otp-service");
    const pod = field(deployment, "spec.template.spec") as Record<string, unknown>;
    const container =
      (pod.containers as Array<Record<string, unknown>>).find((c) => c.name === "service") ??
      (pod.containers as Array<Record<string, unknown>>)[0];
    expect(field(container, "readinessProbe.httpGet.path")).toBe("/ready");
    expect(field(container, "livenessProbe.httpGet.path")).toBe("/live");
    expect(field(container, "startupProbe.httpGet")).toBeTruthy();
    expect(field(container, "lifecycle.preStop.sleep.seconds")).toBeGreaterThan(0);
    expect(field(container, "securityContext")).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    expect(field(pod, "securityContext")).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    const env = Object.fromEntries(
      ((field(container, "env") as Array<{ name: string; value?: string }> | undefined) ?? []).map((e) => [e.name, e.value]),
    );
    const config = await read(profile, "ConfigMap", "otp-otp-service");
    const data = { ...(field(config, "data") as Record<string, string>), ...env };
    const drainS = Number(field(container, "lifecycle.preStop.sleep.seconds")) + Number(data.SHUTDOWN_DRAIN_DELAY_MS ?? 0) / 1000;
    const timeoutS = Number(data.SHUTDOWN_TIMEOUT_MS) / 1000;
    expect(Number.isFinite(timeoutS)).toBe(true);
    expect(pod.terminationGracePeriodSeconds as number).toBeGreaterThan(drainS + timeoutS);
  });

  it("autoscales on CPU, and has a disruption budget only with more than one replica", async () => {
    const hpa = await read(profile, "HorizontalPodAutoscaler", "otp-otp-service");
    const cpu = (field(hpa, "spec.metrics") as Array<Record<string, unknown>>).find((m) => field(m, "resource.name") === "cpu");
    expect(field(cpu ?? {}, "resource.target.averageUtilization")).toBeGreaterThan(0);
    const min = Number(field(hpa, "spec.minReplicas"));
    const pdb = applied.get(profile)?.find((o) => o.kind === "PodDisruptionBudget");
    expect(Boolean(pdb)).toBe(min > 1);
  });
});

describe("the bench profile's network policies and headless Services", () => {
  it("are stored: the service's policy and one per in-cluster dependency, each StatefulSet governed by a headless Service", async () => {
    const policies = (applied.get("bench") ?? []).filter((o) => o.kind === "NetworkPolicy").map((o) => o.metadata.name);
    expect(policies.sort()).toEqual(["otp-otp-service", "otp-otp-service-mock-sms", "otp-otp-service-postgresql", "otp-otp-service-redis"]);
    const postgres = await read("bench", "NetworkPolicy", "otp-otp-service-postgresql");
    expect(field(postgres, "spec.ingress")).toHaveLength(1);
    for (const component of ["postgresql", "redis"]) {
      const statefulSet = await read("bench", "StatefulSet", `otp-otp-service-${component}`);
      const governing = await read("bench", "Service", String(field(statefulSet, "spec.serviceName")));
      expect(field(governing, "spec.clusterIP")).toBe("None");
    }
  });
});

describe("generated secrets with a cluster (helm install: lookup works)", () => {
  // helm against this API server: --dry-run=server renders as an install does, lookup included.
  const install = async (namespace: string, extra: string[] = []) => {
    const result = await helm([
      "install",
      "otp",
      CHART_DIR,
      "--namespace",
      namespace,
      "--kubeconfig",
      api.kubeconfigPath,
      "--dry-run=server",
      ...extra,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const secrets = parseAllDocuments(result.stdout.slice(0, result.stdout.indexOf("NOTES:")))
      .map((document) => document.toJS() as KubeObject | null)
      .filter((object): object is KubeObject => object?.kind === "Secret");
    return (name: string, key: string) =>
      Buffer.from(
        String((secrets.find((o) => o.metadata.name === name)?.data as Record<string, string> | undefined)?.[key]),
        "base64",
      ).toString();
  };

  it("an install generates them (no existingSecret needed), and keeps the live Secret's values", async () => {
    await api.createNamespace("otp-install");
    const fresh = await install("otp-install");
    expect(fresh("otp-otp-service", "OTP_SECRET")).toMatch(/^[A-Za-z0-9]{40}$/);
    await api.apply([
      {
        apiVersion: "v1",
        kind: "Secret",
        // As a previous install left it (Helm's ownership metadata).
        metadata: {
          name: "otp-otp-service-postgresql",
          namespace: "otp-install",
          labels: { "app.kubernetes.io/managed-by": "Helm" },
          annotations: { "meta.helm.sh/release-name": "otp", "meta.helm.sh/release-namespace": "otp-install" },
        },
        stringData: { POSTGRES_PASSWORD: "kept-password" },
      },
    ]);
    const again = await install("otp-install");
    expect(again("otp-otp-service-postgresql", "POSTGRES_PASSWORD")).toBe("kept-password");
    expect(again("otp-otp-service", "DATABASE_URL")).toContain(":kept-password@");
  });

  it("--create-namespace: the release namespace does not exist yet, the cluster is still seen", async () => {
    await install("otp-not-yet", ["--create-namespace"]);
  });
});

describe("monitoring objects against the prometheus-operator CRDs", () => {
  it("the bench profile's ServiceMonitor and PrometheusRule are stored as typed custom resources", async () => {
    const kinds = (applied.get("bench") ?? []).map((o) => o.kind);
    expect(kinds).toEqual(expect.arrayContaining(["ServiceMonitor", "PrometheusRule"]));
    const rule = (applied.get("bench") ?? []).find((o) => o.kind === "PrometheusRule") as KubeObject;
    const stored = await api.get(rule.apiVersion, "PrometheusRule", rule.metadata.name, rule.metadata.namespace);
    expect((field(stored, "spec.groups") as unknown[]).length).toBeGreaterThan(0);
  });

  it("a PrometheusRule the CRD's schema forbids is refused", async () => {
    await expect(
      api.apply([
        {
          apiVersion: "monitoring.coreos.com/v1",
          kind: "PrometheusRule",
          metadata: { name: "broken", namespace: "otp-bench" },
          spec: { groups: "not-a-list" },
        },
      ]),
    ).rejects.toThrow();
  });
});
