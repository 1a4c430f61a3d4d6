// The CapacityBenchmark controller as a REAL process (`node operator/src/main.ts`, leader election on) against
// the real kube-apiserver with the real k6-operator v1.6.0 TestRun CRD. The test plays the rest of a cluster:
//   - the k6-operator: for each TestRun the controller creates, it runs the pinned k6 once per runner
//     (parallelism 2, `--execution-segment` each) with the TestRun's script (/bench/scripts/<id>.ts → k6/scripts),
//     arguments and environment, against the real service (app/dist), remote-writing into a real Prometheus;
//     then sets status.stage `started` → `finished` as the k6-operator does;
//   - the HPA and the kubelet: HPA status and Deployment readyReplicas follow the HPA's minReplicas.
// Asserts: Succeeded; the capacity in status is what k6/runner/capacity.ts finds on the same plateaus;
// results.json in the owned ConfigMap validates against k6/runner/results.ts's schema and renders with
// k6/report; the controller SIGKILLed mid-step and restarted resumes without a second TestRun; a deleted
// CapacityBenchmark leaves no TestRun; Fixed mode pins the HPA to min = max and restores it.
import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { k6Binary, runK6 } from "@otp-lab/local-stack/k6";
import { type PrometheusServer, startPrometheus } from "@otp-lab/local-stack/prometheus";
import type { ServiceProcess } from "@otp-lab/local-stack/service-process";
import { waitFor } from "@otp-lab/local-stack/wait";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { renderReport } from "../../../k6/report/render-report.ts";
import { judgePlateau, layerResult } from "../../../k6/runner/capacity.ts";
import { LADDER } from "../../../k6/runner/ladder.ts";
import { benchResultsSchema } from "../../../k6/runner/results.ts";
import { ruleOf, toPlateauResult } from "../../src/capacity-benchmark/figures.ts";
import { API_VERSION, GROUP, KIND, PLURAL, type Spec, type Status, VERSION } from "../../src/capacity-benchmark/schema.ts";
import { BENCHMARK_LABEL } from "../../src/capacity-benchmark/testrun.ts";
import { REPO_ROOT } from "../support/paths.ts";
import { startOperator, startService } from "../support/processes.ts";

const NS = "cb-e2e";
const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const CB = { group: GROUP, version: VERSION, plural: PLURAL, namespace: NS };
const K6 = { group: "k6.io", version: "v1alpha1", plural: "testruns", namespace: NS };
const RATES = [20, 40, 60];

let dir: string;
let prometheus: PrometheusServer | undefined;
let service: ServiceProcess | undefined;
const operators: ServiceProcess[] = [];
let custom: CustomObjectsApi;
let apps: AppsV1Api;
let autoscaling: AutoscalingV2Api;
let stopCluster = false;
let cluster: Promise<void> | undefined;
const runners: ChildProcess[] = [];

interface TestRunObject {
  metadata: { name: string; labels?: Record<string, string>; ownerReferences?: { uid: string }[] };
  spec: { parallelism: number; arguments: string; script: { localFile: string }; runner: { env: { name: string; value: string }[] } };
  status?: { stage?: string };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "otp-lab-cb-e2e-"));
  const kc = new KubeConfig();
  kc.loadFromFile(inject("kubeconfigPath"));
  custom = kc.makeApiClient(CustomObjectsApi);
  apps = kc.makeApiClient(AppsV1Api);
  autoscaling = kc.makeApiClient(AutoscalingV2Api);
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
  for (const name of ["otp", "other"]) {
    const labels = { app: name };
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name, image: "otp:dev" }] } },
        },
      },
    });
    await autoscaling.createNamespacedHorizontalPodAutoscaler({
      namespace: NS,
      body: {
        metadata: { name },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
          minReplicas: 1,
          maxReplicas: 5,
          metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
        },
      },
    });
  }
  k6Binary(); // builds the pinned k6 when missing, inside this hook's time rather than a runner's
  [prometheus, service] = await Promise.all([startPrometheus(dir), startService("service-cb")]);
}, 120_000);

afterAll(async () => {
  stopCluster = true;
  await cluster;
  for (const runner of runners) if (runner.exitCode === null) runner.kill("SIGKILL");
  await Promise.allSettled([...operators.map((o) => o.stop("SIGKILL")), service?.stop(), prometheus?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const bounds = async (name: string) => {
  const hpa = await autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace: NS, name });
  return [hpa.spec?.minReplicas ?? null, hpa.spec?.maxReplicas ?? null];
};
const testRuns = async () => ((await custom.listNamespacedCustomObject(K6)) as { items: TestRunObject[] }).items;
const benchmark = async (name: string) =>
  (await custom.getNamespacedCustomObject({ ...CB, name })) as { metadata: { uid: string }; spec: Spec; status?: Status };

/** The k6-operator's part for one TestRun: one k6 per runner with its execution segment, then the stage. */
async function runTestRun(tr: TestRunObject): Promise<number[]> {
  const name = tr.metadata.name;
  await custom.patchNamespacedCustomObjectStatus({ ...K6, name, body: { status: { stage: "started" } } }, merge);
  const n = tr.spec.parallelism;
  const sequence = Array.from({ length: n + 1 }, (_, i) => (i === 0 ? "0" : i === n ? "1" : `${i}/${n}`)).join(",");
  const segments = Array.from({ length: n }, (_, i) => `${i === 0 ? "0" : `${i}/${n}`}:${i + 1 === n ? "1" : `${i + 1}/${n}`}`);
  // /bench is where the ConfigMap of k6/ is mounted in a runner: the same tree is k6/ of the repository.
  const script = join(REPO_ROOT, "k6", tr.spec.script.localFile.replace(/^\/bench\//, ""));
  const env = Object.fromEntries(tr.spec.runner.env.map((e) => [e.name, e.value]));
  const codes = await Promise.all(
    segments.map(async (segment, i) => {
      const args = ["--quiet", "--no-color", "--log-output", `file=${join(dir, `${name}-${i}.log`)}`];
      args.push(...tr.spec.arguments.split(/\s+/), "--tag", `instance_id=${i}`);
      args.push("--execution-segment", segment, "--execution-segment-sequence", sequence);
      const run = await runK6({ args, script, env, onStart: (child) => runners.push(child) });
      return run.exitCode as number;
    }),
  );
  // Prometheus ingests the runners' last push before the stage says finished.
  await sleep(1500);
  await custom.patchNamespacedCustomObjectStatus({ ...K6, name, body: { status: { stage: "finished" } } }, merge).catch(() => undefined);
  return codes;
}

/** The cluster's part, in the background: HPA and kubelet follow the HPA's min; TestRuns of `bench` run. */
function playCluster(seen: Set<string>, exits: number[][], hpaHistory: string[]) {
  cluster = (async () => {
    while (!stopCluster) {
      await actAsCluster(seen, exits, hpaHistory).catch((error) =>
        process.stderr.write(`[e2e] cluster step: ${(error as Error).message}\n`),
      );
      await sleep(250);
    }
  })();
}

async function actAsCluster(seen: Set<string>, exits: number[][], hpaHistory: string[]): Promise<void> {
  for (const name of ["otp", "other"]) {
    const [min, max] = await bounds(name);
    if (name === "otp" && hpaHistory.at(-1) !== `${min}-${max}`) hpaHistory.push(`${min}-${max}`);
    await apps.patchNamespacedDeploymentStatus({ namespace: NS, name, body: { status: { replicas: min, readyReplicas: min } } }, merge);
    await autoscaling.patchNamespacedHorizontalPodAutoscalerStatus(
      { namespace: NS, name, body: { status: { currentReplicas: min, desiredReplicas: min } } },
      merge,
    );
  }
  for (const tr of await testRuns()) {
    // Only the measured benchmark's runs are executed; the other one is deleted before it would start.
    if (tr.metadata.labels?.[BENCHMARK_LABEL] !== "bench" || seen.has(tr.metadata.name)) continue;
    seen.add(tr.metadata.name);
    void runTestRun(tr).then(
      (codes) => exits.push(codes),
      (error) => {
        process.stderr.write(`[e2e] TestRun ${tr.metadata.name}: ${(error as Error).message}\n`);
        exits.push([-1]);
      },
    );
  }
}

it("runs a Fixed benchmark end to end with the controller as a real process; SIGKILL mid-step resumes without a second TestRun", async () => {
  const started = Date.now();
  const seen = new Set<string>();
  const exits: number[][] = [];
  const hpaHistory: string[] = [];
  playCluster(seen, exits, hpaHistory);
  const operatorEnv = { CONTROLLERS: "capacitybenchmark" };
  operators.push(await startOperator({ namespace: NS, identity: "cb-operator-1", env: operatorEnv }));

  const spec = (target: string, serviceUrl: string) => ({
    target: { deployment: target, hpa: target, serviceUrl },
    steps: [{ script: "02-express-hello", rates: RATES, warmupSeconds: 1, plateauSeconds: 3 }],
    scaling: { mode: "Fixed", replicas: 2, settleSeconds: 0 },
    load: { parallelism: 2 },
    prometheus: { url: (prometheus as PrometheusServer).url },
  });
  for (const [name, target] of [
    ["bench", "otp"],
    ["gone", "other"],
  ] as const) {
    await custom.createNamespacedCustomObject({
      ...CB,
      body: { apiVersion: API_VERSION, kind: KIND, metadata: { name }, spec: spec(target, (service as ServiceProcess).url) },
    });
  }

  // "gone": deleted once its TestRun exists → the TestRun goes, the HPA is restored, the finalizer lets go.
  const gone = await benchmark("gone");
  await waitFor("gone's TestRun", async () => (await testRuns()).some((t) => t.metadata.ownerReferences?.[0]?.uid === gone.metadata.uid), {
    timeoutMs: 30_000,
  });
  expect(await bounds("other")).toEqual([2, 2]);
  await custom.deleteNamespacedCustomObject({ ...CB, name: "gone" });
  await waitFor(
    "gone deleted, no TestRun of it left",
    async () => {
      const left = (await testRuns()).filter((t) => t.metadata.ownerReferences?.[0]?.uid === gone.metadata.uid);
      const exists = await benchmark("gone").then(
        () => true,
        () => false,
      );
      return left.length === 0 && !exists;
    },
    { timeoutMs: 30_000 },
  );
  expect(await bounds("other")).toEqual([1, 5]);

  // "bench": SIGKILL while its runners run, then a new controller process takes over the Lease and resumes.
  await waitFor("bench's TestRun started", async () => seen.size === 1 && runners.some((r) => r.exitCode === null) && true, {
    timeoutMs: 30_000,
  });
  await sleep(1500);
  await operators[0]?.stop("SIGKILL");
  expect(runners.filter((r) => r.exitCode === null).length).toBeGreaterThan(0);
  operators.push(await startOperator({ namespace: NS, identity: "cb-operator-2", env: operatorEnv }));

  const done = await waitFor(
    "bench finished",
    async () => {
      const b = await benchmark("bench");
      return b.status?.phase === "Succeeded" || b.status?.phase === "Failed" ? b : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
  expect(done.status?.conditions?.find((c) => c.type === "Succeeded")).toMatchObject({ status: "True" });
  expect(done.status?.phase).toBe("Succeeded");
  // One TestRun for the whole benchmark (one step, no refinement), despite the restart; deleted once measured.
  expect([...seen]).toHaveLength(1);
  expect(exits).toEqual([[0, 0]]);
  await waitFor("bench's TestRun deleted", async () => (await testRuns()).length === 0, { timeoutMs: 10_000 });
  // Fixed: pinned to min = max = 2 while measuring, the original 1–5 afterwards.
  // (the cluster loop samples the HPA every ~250 ms: the restore is in the API before it is in the history)
  await waitFor("the restored HPA sampled", async () => hpaHistory.length >= 3, { timeoutMs: 5_000 });
  expect(hpaHistory).toEqual(["1-5", "2-2", "1-5"]);
  expect(await bounds("otp")).toEqual([1, 5]);

  // The capacity: make bench's rule (k6/runner/capacity.ts) on the same plateaus gives the same figure.
  const step = done.status?.steps?.[0];
  expect(step?.plateaus.map((p) => p.offeredRps)).toEqual(RATES);
  for (const plateau of step?.plateaus ?? []) expect(plateau.requests).toBeGreaterThan(0);
  const ladder = LADDER.find((s) => s.script === "02-express-hello");
  const rule = ruleOf(done.spec, "02-express-hello");
  const judged = (step?.plateaus ?? []).map((p, i) => judgePlateau(toPlateauResult(p, i), rule));
  const expected = layerResult(ladder as NonNullable<typeof ladder>, judged, []);
  expect(step?.capacity_rps).toBe(expected.capacity_rps);
  expect(step?.limited_by).toBe(expected.limited_by);
  expect(step?.capacity_rps).not.toBeNull();

  // results.json: in the owned ConfigMap, valid in make bench's schema, rendered by the same report.
  expect(done.status?.resultsConfigMap).toBe("bench-results");
  const core = new KubeConfig();
  core.loadFromFile(inject("kubeconfigPath"));
  const cm = await core.makeApiClient(CoreV1Api).readNamespacedConfigMap({ namespace: NS, name: "bench-results" });
  expect(cm.metadata?.ownerReferences).toMatchObject([{ kind: KIND, name: "bench", uid: done.metadata.uid, controller: true }]);
  const results = benchResultsSchema.parse(JSON.parse(cm.data?.["results.json"] ?? ""));
  expect(results.layers[0]?.capacity_rps).toBe(step?.capacity_rps);
  expect(results.cluster?.fixed_replicas).toBe(2);
  const reportDir = join(dir, "report");
  mkdirSync(reportDir);
  writeFileSync(join(reportDir, "results.json"), cm.data?.["results.json"] ?? "");
  const files = renderReport(reportDir);
  expect(files.markdown).toMatch(/report\.md$/);
  process.stdout.write(
    `[e2e] capacity ${step?.capacity_rps} req/s (${step?.limited_by}), p99 ${step?.plateaus.map((p) => p.latencyMs.p99.toFixed(2)).join(" / ")} ms; ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
}, 150_000);
