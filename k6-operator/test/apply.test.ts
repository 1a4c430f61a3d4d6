// The generated manifests against a real API server (etcd + kube-apiserver on loopback, no controllers): the
// k6-operator CRDs from scripts/fetch-crds.sh are applied, then the scripts' ConfigMap and every TestRun,
// server-side with strict field validation, and read back: what the runners need survives the API's schema.
// When the k6-operator Go module cannot be downloaded, fetch-crds.sh supplies the project's stand-in TestRun
// CRD (typed top-level spec fields, Pod settings partly typed); REQUIRE_UPSTREAM_CRDS=1 refuses the stand-in.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { field, type KubeApiServer, type KubeObject, startKubeApiServer } from "../../scripts/devstack/kube-apiserver.ts";
import { GENERATED_DIR, NAMESPACE, REPO_ROOT } from "../generate.ts";

const FETCH_CRDS = join(REPO_ROOT, "scripts", "fetch-crds.sh");
const GENERATOR = join(REPO_ROOT, "k6-operator", "generate.ts");
const run = promisify(execFile);

let dir: string;
let kube: KubeApiServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "k6-operator-apply-"));
  kube = await startKubeApiServer({ dir });
  const { stdout } = await run("bash", [FETCH_CRDS, join(dir, "crds")]);
  const testRunCrd = stdout
    .trim()
    .split("\n")
    .filter((file) => file.endsWith("k6.io_testruns.yaml"));
  expect(testRunCrd).toHaveLength(1);
  await kube.apply(readFileSync(testRunCrd[0] as string, "utf8"));
  await kube.createNamespace(NAMESPACE);
});

afterAll(async () => {
  await kube?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const generated = (name: string) => readFileSync(join(GENERATED_DIR, name), "utf8");
const testRunFiles = readdirSync(GENERATED_DIR)
  .filter((name) => name.startsWith("testrun-"))
  .sort();

describe("the generated manifests on a real API server", () => {
  it("applies the ConfigMap and every TestRun server-side, strictly, and reads them back intact", async () => {
    const [configMap] = await kube.apply(generated("k6-scripts.configmap.yaml"), { fieldManager: "k6-operator-test" });
    expect(configMap?.kind).toBe("ConfigMap");
    const stored = await kube.get("v1", "ConfigMap", "k6-bench-scripts", NAMESPACE);
    expect(Object.keys(field(stored, "data") as Record<string, string>)).toContain("lib__env.ts");

    expect(testRunFiles).toHaveLength(8);
    for (const file of testRunFiles) {
      const [applied] = await kube.apply(generated(file), { fieldManager: "k6-operator-test" });
      const name = (applied as KubeObject).metadata.name;
      const back = await kube.get("k6.io/v1alpha1", "TestRun", name, NAMESPACE);
      expect(field(back, "spec.parallelism"), file).toBe(2);
      expect(field(back, "spec.cleanup"), file).toBe("post");
      expect(field(back, "spec.script.localFile"), file).toMatch(/^\/bench\/scripts\/\d\d-[a-z-]+\.ts$/);
      expect(field(back, "spec.arguments"), file).toMatch(/^-o experimental-prometheus-rw --tag testid=\S+$/);
      // The runners' placement survives the CRD's schema (no pruning of nodeSelector or tolerations).
      expect(field(back, "spec.runner.nodeSelector"), file).toEqual({ "otp-lab/role": "load-generator" });
      expect(field(back, "spec.runner.tolerations"), file).toEqual([
        { key: "otp-lab/load-generator", operator: "Equal", value: "true", effect: "NoSchedule" },
      ]);
      const env = field(back, "spec.runner.env") as { name: string; value: string }[];
      expect(env.find((e) => e.name === "K6_PROMETHEUS_RW_SERVER_URL")?.value, file).toMatch(/\/api\/v1\/write$/);
      const volumes = field(back, "spec.runner.volumes") as { name: string; configMap?: { items: unknown[] } }[];
      expect(volumes.find((v) => v.name === "bench")?.configMap?.items.length, file).toBeGreaterThan(1);
      expect(field(back, "spec.runner.volumeMounts.0.mountPath"), file).toBe("/bench");
    }
    const listed = await kube.list("k6.io/v1alpha1", "TestRun", NAMESPACE);
    expect(listed).toHaveLength(8);
  });

  it("applies a run as scripts/bench-cluster.sh renders it (unique name, no cleanup) next to the committed ones", async () => {
    const { stdout } = await run(process.execPath, [
      "--disable-warning=MODULE_TYPELESS_PACKAGE_JSON",
      GENERATOR,
      "--print",
      "12-verify-flow",
      "--run-id",
      "20261124t120000",
      "--parallelism",
      "4",
      "--no-cleanup",
    ]);
    const applied = await kube.apply(stdout, { fieldManager: "bench-cluster" });
    expect(applied.map((o) => o.kind)).toEqual(["ConfigMap", "TestRun"]);
    const back = await kube.get("k6.io/v1alpha1", "TestRun", "k6-12-verify-flow-20261124t120000", NAMESPACE);
    expect(field(back, "spec.parallelism")).toBe(4);
    expect(field(back, "spec.cleanup")).toBeUndefined();
    expect(field(back, "metadata.labels.otp-lab/testid")).toBe("12-verify-flow-20261124t120000");
    const volumes = field(back, "spec.runner.volumes") as { name: string; secret?: { secretName: string } }[];
    expect(volumes.find((v) => v.name === "tenants")?.secret?.secretName).toBe("k6-tenants");
  });

  it("is rejected by the CRD when a required field is missing (the schema is really enforced)", async () => {
    await expect(
      kube.apply([
        { apiVersion: "k6.io/v1alpha1", kind: "TestRun", metadata: { name: "no-script", namespace: NAMESPACE }, spec: { parallelism: 1 } },
      ]),
    ).rejects.toThrow(/script/);
  });
});
