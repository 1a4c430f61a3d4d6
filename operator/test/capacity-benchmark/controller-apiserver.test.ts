// reconcileOnce with KubeAccess on @kubernetes/client-node against a real kube-apiserver that has this CRD and
// the REAL k6-operator v1.6.0 TestRun CRD. The test plays the k6-operator (TestRun stages), the kubelet and
// the HPA controller (Deployment and HPA status) and Prometheus (a fake answering the figure queries).
// Shows: the TestRuns the controller builds pass the real CRD's strict validation and carry an owner
// reference; Fixed pins the HPA and restores it; a finished run writes results.json; a deleted
// CapacityBenchmark leaves no TestRun and its HPA restored.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppsV1Api, AutoscalingV2Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { type KubeApiServer, startKubeApiServer } from "@otp-lab/local-stack/kube-apiserver";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { BenchResults } from "../../../k6/runner/results.ts";
import { reconcileOnce } from "../../src/capacity-benchmark/controller.ts";
import { kubeAccess } from "../../src/capacity-benchmark/kube-access.ts";
import type { Ports } from "../../src/capacity-benchmark/ports.ts";
import type { PrometheusQuery, Sample } from "../../src/capacity-benchmark/prometheus.ts";
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from "../../src/capacity-benchmark/schema.ts";
import { GENERATED_DIR } from "../../src/generate-crds.ts";

const CRD_FILE = join(GENERATED_DIR, `${GROUP}_${PLURAL}.yaml`);

const TESTRUN_CRD = join(import.meta.dirname, "..", "..", "..", "..", "shared", "crds", "k6-operator-v1.6.0", "k6.io_testruns.yaml");
const NS = "otp";
const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
let dir: string;
let api: KubeApiServer;
let kc: KubeConfig;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "otp-lab-cb-controller-"));
  api = await startKubeApiServer({ dir });
  await api.apply(readFileSync(CRD_FILE, "utf8"));
  await api.apply(readFileSync(TESTRUN_CRD, "utf8"));
  await api.createNamespace(NS);
  const labels = { app: "otp" };
  await api.apply([
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "otp-otp-service", namespace: NS },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: "otp", image: "otp:dev" }] } },
      },
    },
    {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "otp-otp-service", namespace: NS },
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "otp-otp-service" },
        minReplicas: 1,
        maxReplicas: 5,
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
      },
    },
  ] as never);
  kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfigPath);
  // A new CRD's storage answers 429 "storage is (re)initializing" for a moment after Established.
  const custom = kc.makeApiClient(CustomObjectsApi);
  for (const resource of [
    { group: GROUP, version: VERSION, plural: PLURAL },
    { group: "k6.io", version: "v1alpha1", plural: "testruns" },
  ]) {
    for (let i = 0; ; i++) {
      try {
        await custom.listNamespacedCustomObject({ ...resource, namespace: NS });
        break;
      } catch (error) {
        if (i > 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }
}, 300_000);

afterAll(async () => {
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Prometheus as the figure queries expect it: one series per plateau, a fixed p99 per rate (SLO 50 ms, fails above 600). */
function fakePrometheus(rates: () => number[]): PrometheusQuery {
  return {
    async query(expr: string): Promise<Sample[]> {
      if (expr.startsWith("k6_http_reqs_total{")) {
        const now = Date.now() / 1000;
        return rates().map((rate, i) => ({
          metric: { scenario: `p${String(i + 1).padStart(2, "0")}`, offered_rps: String(rate), instance_id: "0" },
          values: [
            [now - 100 + i * 7, "1"],
            [now - 93 + i * 7, String(rate * 7)],
          ],
        }));
      }
      const quantile = /^histogram_quantile\(([\d.]+), .*scenario="p(\d+)"/.exec(expr);
      if (quantile) {
        const rate = rates()[Number(quantile[2]) - 1] ?? 0;
        return [{ metric: {}, value: [0, String((rate <= 600 ? 0.008 : 0.12) * Number(quantile[1]))] }];
      }
      return [];
    },
    async queryRange() {
      return [];
    },
  };
}

it("runs a Fixed benchmark through real TestRun objects, pins and restores the HPA, writes results.json; deletion cleans up", async () => {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const apps = kc.makeApiClient(AppsV1Api);
  const autoscaling = kc.makeApiClient(AutoscalingV2Api);
  let now = Date.now();
  const written: BenchResults[] = [];
  let rates: number[] = [];
  const ports: Ports = {
    kube: kubeAccess(kc),
    clock: { now: () => new Date(now) },
    prometheus: () => fakePrometheus(() => rates),
    results: {
      write: async (b, results) => {
        written.push(results);
        return `${b.metadata.name}-results`;
      },
    },
  };
  const spec = {
    target: { deployment: "otp-otp-service", hpa: "otp-otp-service", serviceUrl: "http://otp-otp-service.otp.svc:8080" },
    steps: [{ script: "11-send-flow", rates: [200, 400, 600, 800], warmupSeconds: 2, plateauSeconds: 7 }],
    scaling: { mode: "Fixed", replicas: 2, settleSeconds: 5 },
    prometheus: { url: "http://prometheus.invalid:9090" },
  };
  for (const name of ["fixed", "deleted"])
    await api.apply([{ apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace: NS }, spec }] as never);

  const cb = { group: GROUP, version: VERSION, plural: PLURAL, namespace: NS };
  const k6 = { group: "k6.io", version: "v1alpha1", plural: "testruns", namespace: NS };
  const hpaBounds = async () => {
    const hpa = await autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace: NS, name: "otp-otp-service" });
    return [hpa.spec?.minReplicas, hpa.spec?.maxReplicas];
  };
  /** The cluster's part: replicas follow the HPA's min; TestRuns start, then finish after their main phase. */
  const actAsCluster = async () => {
    const [min] = await hpaBounds();
    await apps.patchNamespacedDeploymentStatus(
      { namespace: NS, name: "otp-otp-service", body: { status: { replicas: min, readyReplicas: min } } },
      merge,
    );
    await autoscaling.patchNamespacedHorizontalPodAutoscalerStatus(
      { namespace: NS, name: "otp-otp-service", body: { status: { currentReplicas: min, desiredReplicas: min } } },
      merge,
    );
    const list = (await custom.listNamespacedCustomObject(k6)) as { items: { metadata: { name: string }; status?: { stage?: string } }[] };
    for (const tr of list.items) {
      const stage = tr.status?.stage ? "finished" : "started";
      await custom.patchNamespacedCustomObjectStatus({ ...k6, name: tr.metadata.name, body: { status: { stage } } }, merge);
    }
  };
  const testRunNames = async () =>
    ((await custom.listNamespacedCustomObject(k6)) as { items: { metadata: { name: string } }[] }).items.map((t) => t.metadata.name);

  // "deleted": runs until its TestRun exists, then is deleted.
  const created = new Set<string>();
  for (let i = 0; i < 20 && (await testRunNames()).length === 0; i++) {
    await reconcileOnce(ports, NS, "deleted");
    await actAsCluster();
    now += 6_000;
  }
  expect(await hpaBounds()).toEqual([2, 2]);
  const [first] = await testRunNames();
  const testRun = (await custom.getNamespacedCustomObject({ ...k6, name: first as string })) as {
    metadata: { ownerReferences: { kind: string; name: string; controller: boolean }[] };
    spec: { arguments: string; parallelism: number };
  };
  expect(testRun.metadata.ownerReferences).toMatchObject([{ kind: KIND, name: "deleted", controller: true }]);
  expect(testRun.spec.arguments).toMatch(/^-o experimental-prometheus-rw --tag testid=deleted-cb-[0-9a-f]{12}-g1-s0-l1$/);
  await custom.deleteNamespacedCustomObject({ ...cb, name: "deleted" });
  for (let i = 0; i < 5; i++) {
    if ((await reconcileOnce(ports, NS, "deleted")) === null && (await ports.kube.getBenchmark(NS, "deleted")) === null) break;
  }
  expect(await ports.kube.getBenchmark(NS, "deleted")).toBeNull();
  expect(await testRunNames()).toEqual([]);
  expect(await hpaBounds()).toEqual([1, 5]);

  // "fixed": to the end.
  for (let i = 0; i < 200; i++) {
    const current = ((await ports.kube.getBenchmark(NS, "fixed")) as { status?: { current?: { rates: number[] }; phase?: string } }).status;
    if (current?.phase === "Succeeded" || current?.phase === "Failed") break;
    rates = current?.current?.rates ?? rates;
    await reconcileOnce(ports, NS, "fixed");
    for (const name of await testRunNames()) created.add(name);
    await actAsCluster();
    now += 6_000;
  }
  const done = (await ports.kube.getBenchmark(NS, "fixed")) as unknown as { status: { phase: string; steps: { capacity_rps: number }[] } };
  expect(done.status.phase).toBe("Succeeded");
  expect(done.status.steps[0]?.capacity_rps).toBe(600);
  expect(created.size).toBe(1);
  expect(await testRunNames()).toEqual([]);
  expect(await hpaBounds()).toEqual([1, 5]);
  expect(written).toHaveLength(1);
  expect(written[0]?.layers[0]?.capacity_rps).toBe(600);
  expect(written[0]?.cluster?.fixed_replicas).toBe(2);
}, 120_000);
