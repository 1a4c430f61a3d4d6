// The k6-operator TestRun (k6.io/v1alpha1) of one pass, built with the typed construct `cdk8s import` made from
// the REAL k6-operator v1.6.0 CRD (k6-operator/testrun.ts's buildTestRun): a field the CRD does not have, or a
// value of the wrong type, does not compile. This is the only place the controller builds TestRuns.
// The script tree, mounts and environment are k6-operator/generate.ts's (scriptRunner), so a controller-made
// TestRun runs exactly what `make bench-cluster` runs; what differs is per pass: rates, timing, testid, owner,
// connection reuse.
import { k6Image, RUNNER_DEFAULTS, scriptRunner } from "../../../k6-operator/generate.ts";
import {
  buildTestRun,
  type TestRunManifest,
  TestRunSpecRunnerResourcesLimits,
  TestRunSpecRunnerResourcesRequests,
} from "../../../k6-operator/testrun.ts";
import { ladderStep } from "./plan.ts";
import type { TestRunRequest } from "./reconcile.ts";
import { API_VERSION, type CapacityBenchmark, KIND } from "./schema.ts";

export const BENCHMARK_LABEL = "otp-lab.dev/capacity-benchmark";

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller: true;
  blockOwnerDeletion: true;
}

export function ownerReference(benchmark: CapacityBenchmark): OwnerReference {
  if (!benchmark.metadata.uid) throw new Error(`${benchmark.metadata.name} has no uid (not read from the API server)`);
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: benchmark.metadata.name,
    uid: benchmark.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** `make bench`'s k6 settings (k6/runner/bench.ts), with this benchmark's SLO. */
function benchEnv(benchmark: CapacityBenchmark, request: TestRunRequest): Record<string, string> {
  const spec = benchmark.spec;
  const step = ladderStep(request.script);
  return {
    BASE_URL: spec.target.serviceUrl,
    RATES: request.rates.join(","),
    WARMUP_SECONDS: String(request.warmupSeconds),
    PLATEAU_SECONDS: String(request.plateauSeconds),
    SLO_P99_MS: String(spec.slo.p99Ms),
    SLO_ERROR_RATE: String(spec.slo.errorRate),
    CHECK_SAMPLE_RATE: "0.01",
    MAX_VUS: "400",
    DELAY_MS: String(step.sloAllowanceMs ?? 100),
  };
}

/** Quantities as the imported types take them: a number or a string, each through its own constructor. */
const quantities = <T>(type: { fromNumber(n: number): T; fromString(s: string): T }, q: Record<string, string | number> | undefined) =>
  q && Object.fromEntries(Object.entries(q).map(([k, v]) => [k, typeof v === "number" ? type.fromNumber(v) : type.fromString(v)]));

/** The TestRun of one pass of `benchmark`, owned by it. */
export function testRunFor(benchmark: CapacityBenchmark, request: TestRunRequest): TestRunManifest {
  if (!benchmark.metadata.namespace) throw new Error(`${benchmark.metadata.name} has no namespace`);
  const spec = benchmark.spec;
  const labels = {
    "app.kubernetes.io/part-of": "otp-capacity-lab",
    "app.kubernetes.io/component": "load-generator",
    "app.kubernetes.io/managed-by": "otp-operator",
    [BENCHMARK_LABEL]: benchmark.metadata.name,
    "otp-lab/script": request.script,
  };
  const { localFile, ...runnerFiles } = scriptRunner(
    request.script,
    benchEnv(benchmark, request),
    `${spec.prometheus.url.replace(/\/$/, "")}/api/v1/write`,
  );
  // k6 keeps keep-alive connections on the pods that existed when they opened; in Autoscaled mode a new
  // replica would get almost nothing, so every request opens its own connection.
  const reuse = request.noConnectionReuse ? " --no-connection-reuse" : "";
  const resources = spec.load.resources;
  return buildTestRun({
    name: request.name,
    namespace: benchmark.metadata.namespace,
    labels: { ...labels, "otp-lab/testid": request.testId.slice(0, 63) },
    ownerReferences: [ownerReference(benchmark)],
    spec: {
      parallelism: spec.load.parallelism,
      separate: false,
      arguments: `-o experimental-prometheus-rw --tag testid=${request.testId}${reuse}`,
      script: { localFile },
      runner: {
        image: spec.load.image ?? k6Image(),
        metadata: { labels },
        ...RUNNER_DEFAULTS,
        ...(spec.load.nodeSelector ? { nodeSelector: spec.load.nodeSelector } : {}),
        ...(spec.load.tolerations ? { tolerations: spec.load.tolerations } : {}),
        ...(resources
          ? {
              resources: {
                requests: quantities(TestRunSpecRunnerResourcesRequests, resources.requests),
                limits: quantities(TestRunSpecRunnerResourcesLimits, resources.limits),
              },
            }
          : {}),
        ...runnerFiles,
      },
    },
  });
}
