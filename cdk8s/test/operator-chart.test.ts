// charts/otp-operator: exactly what cdk8s/src/operator-chart writes (CRDs included), `helm lint` and
// `helm template` for both RBAC scopes, and the objects that matter read from helm's output.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeChart } from "../src/generate.ts";
import { generateOperatorChart } from "../src/operator-chart/generate.ts";
import { operatorChartOptions } from "../src/operator-chart/main.ts";
import { LEASE_RULES, WATCH_SCOPE_RULES } from "../src/operator-chart/rbac.ts";
import { helm, KUBE_VERSION, type KubeObject, OPERATOR_CHART_DIR, renderOperatorChart } from "./render.ts";
import { expectSameFiles } from "./tree.ts";

const scratch = mkdtempSync(join(tmpdir(), "otp-operator-chart-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("charts/otp-operator", () => {
  it("is what the generator writes, byte for byte (run `make synth` when this fails), with every CRD the operator serves", () => {
    const out = join(scratch, "fresh");
    writeChart(generateOperatorChart(operatorChartOptions()), out);
    const expected = expectSameFiles(OPERATOR_CHART_DIR, out);
    expect(expected.filter((f) => f.startsWith("crds/"))).toEqual([
      "crds/otp-lab.dev_capacitybenchmarks.yaml",
      "crds/otp-lab.dev_otptenants.yaml",
    ]);
  });

  it.each([
    ["all namespaces", {}],
    ["one namespace", { watchNamespace: "tenants" }],
  ])("passes helm lint (%s)", async (_, set) => {
    const args = ["lint", OPERATOR_CHART_DIR, "--strict", "--kube-version", KUBE_VERSION];
    for (const [key, value] of Object.entries(set)) args.push("--set-string", `${key}=${value}`);
    const result = await helm(args);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it("renders a Role in the watched namespace and nothing cluster-wide when watchNamespace is set", async () => {
    const objects = await renderOperatorChart("op", "otp-system", { watchNamespace: "tenants" });
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}`);
    expect(kinds.filter((k) => k.startsWith("Cluster"))).toEqual([]);
    expect(kinds).toEqual(expect.arrayContaining(["Role/tenants", "RoleBinding/tenants", "Role/otp-system", "RoleBinding/otp-system"]));
    const role = objects.find((o) => o.kind === "Role" && o.metadata.namespace === "tenants") as KubeObject & {
      rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    };
    expect(role.rules.map((r) => [r.apiGroups[0], r.resources[0], r.verbs])).toEqual(
      WATCH_SCOPE_RULES.map((r) => [r.apiGroup, r.resource, r.verbs]),
    );
    const lease = objects.find((o) => o.kind === "Role" && o.metadata.namespace === "otp-system") as typeof role;
    expect(lease.rules.map((r) => [r.resources[0], r.verbs])).toEqual(LEASE_RULES.map((r) => [r.resource, r.verbs]));
  });

  it("renders the Deployment with the chosen values: 2 replicas, probes, hardened, DATABASE_URL from the Secret", async () => {
    const objects = await renderOperatorChart("op", "otp-system", {
      watchNamespace: "tenants",
      "image.tag": "1.2.3",
      "database.secretName": "pg",
      "database.secretKey": "url",
    });
    const deployment = objects.find((o) => o.kind === "Deployment") as KubeObject & { spec: Record<string, never> };
    const spec = deployment.spec as unknown as {
      replicas: number;
      selector: { matchLabels: Record<string, string> };
      template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> & { containers: Record<string, unknown>[] } };
    };
    expect(spec.replicas).toBe(2);
    expect(spec.template.metadata.labels).toMatchObject(spec.selector.matchLabels);
    expect(spec.selector.matchLabels).toEqual({ "app.kubernetes.io/name": "otp-operator", "app.kubernetes.io/instance": "op" });
    const container = spec.template.spec.containers[0] as Record<string, unknown> & { env: { name: string }[] };
    expect(container.image).toBe("otp-capacity-lab/otp-operator:1.2.3");
    expect(container).toMatchObject({
      livenessProbe: { httpGet: { path: "/healthz", port: 8080 } },
      readinessProbe: { httpGet: { path: "/readyz", port: 8080 } },
      securityContext: { runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
      resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "768Mi" } },
    });
    const env = Object.fromEntries(container.env.map((e) => [e.name, e]));
    expect(env.DATABASE_URL).toEqual({ name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "pg", key: "url" } } });
    expect(env.WATCH_NAMESPACE).toEqual({ name: "WATCH_NAMESPACE", value: "tenants" });
    expect(env.LEADER_ELECTION).toEqual({ name: "LEADER_ELECTION", value: "true" });
    expect(env.POD_NAMESPACE).toMatchObject({ valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } });
    expect(spec.template.spec.serviceAccountName).toBe("op-otp-operator");
    expect(spec.template.spec.automountServiceAccountToken).toBe(true);
    const service = objects.find((o) => o.kind === "Service") as KubeObject & { spec: { selector: Record<string, string> } };
    expect(service.spec.selector).toEqual(spec.selector.matchLabels);
    expect(objects.some((o) => o.kind === "ServiceMonitor")).toBe(false);
  });

  it("refuses image.tag=latest and a watchNamespace that is no DNS label (values.schema.json)", async () => {
    for (const set of [["image.tag=latest"], ["watchNamespace=Not_A_Namespace"]]) {
      const result = await helm(["template", "x", OPERATOR_CHART_DIR, "--set-string", set[0] as string]);
      expect(result.code, set[0]).not.toBe(0);
    }
  });
});
