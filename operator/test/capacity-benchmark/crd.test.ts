// The generated CRD on a real kube-apiserver (with etcd): it is accepted as a structural schema, valid
// CapacityBenchmarks are stored (with defaults applied), and each invalid one is rejected naming its field:
// every CEL rule, wrong types, unknown fields (server-side apply, strict field validation: type and unknown-field
// errors come from the typed patch, with the same field path).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type KubeApiServer, type KubeObject, startKubeApiServer } from "@otp-lab/local-stack/kube-apiserver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_VERSION, GROUP, KIND, PLURAL } from "../../src/capacity-benchmark/schema.ts";
import { GENERATED_DIR } from "../../src/generate-crds.ts";

const CRD_FILE = join(GENERATED_DIR, `${GROUP}_${PLURAL}.yaml`);

const NS = "otp";
let dir: string;
let api: KubeApiServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "otp-lab-cb-crd-"));
  api = await startKubeApiServer({ dir });
  await api.apply(readFileSync(CRD_FILE, "utf8"));
  await api.createNamespace(NS);
}, 300_000);

afterAll(async () => {
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const valid = () => ({
  target: { deployment: "otp-otp-service", hpa: "otp-otp-service", serviceUrl: "http://otp-otp-service.otp.svc.cluster.local:8080" },
  steps: [
    { script: "11-send-flow", rates: [100, 200, 400], warmupSeconds: 4, plateauSeconds: 7 },
    { script: "02-express-hello", profile: "default" },
  ],
  scaling: { mode: "Fixed", replicas: 2 },
  prometheus: { url: "http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090" },
});

const object = (name: string, spec: unknown): KubeObject =>
  ({ apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace: NS }, spec }) as KubeObject;

async function rejection(name: string, spec: unknown): Promise<string> {
  try {
    await api.apply([object(name, spec)]);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${name} was accepted`);
}

describe("valid resources", () => {
  it("Fixed with explicit rates and a profile step is stored, defaults applied", async () => {
    await api.apply([object("fixed", valid())]);
    const stored = (await api.get(API_VERSION, KIND, "fixed", NS)) as unknown as { spec: Record<string, Record<string, unknown>> };
    expect(stored.spec.slo).toEqual({ p99Ms: 50, errorRate: 0.01 });
    expect(stored.spec.load).toEqual({ parallelism: 2 });
    expect(stored.spec.scaling).toMatchObject({ mode: "Fixed", replicas: 2, settleSeconds: 30 });
    expect(stored.spec.generatorGuard).toEqual({ runnerCpuCores: 0.9 });
  });

  it("Autoscaled with min ≤ max, placement and resources", async () => {
    await api.apply([
      object("autoscaled", {
        ...valid(),
        scaling: { mode: "Autoscaled", holdSeconds: 90, minReplicas: 1, maxReplicas: 6 },
        load: {
          parallelism: 4,
          nodeSelector: { "otp-lab/role": "load-generator" },
          tolerations: [{ key: "otp-lab/load-generator", operator: "Equal", value: "true", effect: "NoSchedule" }],
          resources: { requests: { cpu: "500m", memory: "256Mi" }, limits: { memory: "2Gi" } },
        },
        capacitySearch: { refinementSteps: 3 },
        ttlSecondsAfterFinished: 3600,
      }),
    ]);
    const stored = (await api.get(API_VERSION, KIND, "autoscaled", NS)) as unknown as { spec: { load: Record<string, unknown> } };
    expect(stored.spec.load.parallelism).toBe(4);
    // Maps keep their entries (a structural schema without additionalProperties would prune them).
    expect(stored.spec.load.nodeSelector).toEqual({ "otp-lab/role": "load-generator" });
    expect(stored.spec.load.resources).toEqual({ requests: { cpu: "500m", memory: "256Mi" }, limits: { memory: "2Gi" } });
  });
});

describe("the README's example", () => {
  it("operator/examples/capacity-benchmark.yaml is accepted as it is (strict field validation)", async () => {
    const example = join(import.meta.dirname, "..", "..", "examples", "capacity-benchmark.yaml");
    const [applied] = await api.apply(readFileSync(example, "utf8"));
    expect(applied?.metadata.namespace).toBe(NS);
    const stored = (await api.get(API_VERSION, KIND, "per-replica", NS)) as unknown as { spec: { scaling: { mode: string } } };
    expect(stored.spec.scaling.mode).toBe("Fixed");
  });
});

describe("invalid resources are rejected with the field path", () => {
  const cases: [string, (spec: ReturnType<typeof valid>) => unknown, RegExp][] = [
    [
      "rates-not-increasing",
      (s) => ({ ...s, steps: [{ script: "11-send-flow", rates: [100, 300, 200] }] }),
      /spec\.steps\[0\]\.rates: Invalid value.*strictly increasing/,
    ],
    [
      "rates-duplicate",
      (s) => ({ ...s, steps: [{ script: "11-send-flow", rates: [100, 100] }] }),
      /spec\.steps\[0\]\.rates: Invalid value.*strictly increasing/,
    ],
    [
      "rates-and-profile",
      (s) => ({ ...s, steps: [{ script: "11-send-flow", rates: [100], profile: "smoke" }] }),
      /spec\.steps\[0\]: Invalid value.*either rates or a profile/,
    ],
    [
      "neither-rates-nor-profile",
      (s) => ({ ...s, steps: [{ script: "11-send-flow" }] }),
      /spec\.steps\[0\]: Invalid value.*either rates or a profile/,
    ],
    [
      "fixed-without-replicas",
      (s) => ({ ...s, scaling: { mode: "Fixed" } }),
      /spec\.scaling\.replicas: Required value.*Fixed mode needs replicas/,
    ],
    [
      "min-above-max",
      (s) => ({ ...s, scaling: { mode: "Autoscaled", minReplicas: 5, maxReplicas: 2 } }),
      /spec\.scaling\.minReplicas: Invalid value.*minReplicas must be ≤ maxReplicas/,
    ],
    [
      "unknown-script",
      (s) => ({ ...s, steps: [{ script: "01-bare-node-hello", rates: [1] }] }),
      /spec\.steps\[0\]\.script: Unsupported value: "01-bare-node-hello"/,
    ],
    [
      "wrong-type",
      (s) => ({ ...s, scaling: { mode: "Fixed", replicas: "2" } }),
      /\.spec\.scaling\.replicas: expected numeric \(int or float\), got string/,
    ],
    ["unknown-mode", (s) => ({ ...s, scaling: { mode: "Elastic", replicas: 1 } }), /spec\.scaling\.mode: Unsupported value: "Elastic"/],
    ["unknown-field", (s) => ({ ...s, scaling: { ...s.scaling, replcas: 3 } }), /\.spec\.scaling\.replcas: field not declared in schema/],
    [
      "parallelism-zero",
      (s) => ({ ...s, load: { parallelism: 0 } }),
      /spec\.load\.parallelism: Invalid value: 0: .*greater than or equal to 1/,
    ],
    [
      "slo-error-rate-above-1",
      (s) => ({ ...s, slo: { errorRate: 2 } }),
      /spec\.slo\.errorRate: Invalid value: 2: .*less than or equal to 1/,
    ],
    ["bad-url", (s) => ({ ...s, prometheus: { url: "prometheus:9090" } }), /spec\.prometheus\.url: Invalid value: "prometheus:9090"/],
    ["no-steps", (s) => ({ ...s, steps: [] }), /spec\.steps: Invalid value: 0: .*at least 1 items/],
  ];
  it.each(cases)("%s", async (name, mutate, expected) => {
    expect(await rejection(name, mutate(valid()))).toMatch(expected);
  });
});
