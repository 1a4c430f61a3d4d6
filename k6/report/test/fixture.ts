// A realistic synthetic BenchResults for the report's tests: nine layers (every layer kind, a k6
// baseline among them) with several plateaus each, knees, a generator-limited layer, a layer where no
// plateau met the SLO, a lower-bound capacity, baselines, recommendations out of severity order and one
// failing validity check. The plateaus come from a simple queueing model, so they are self-consistent:
// each plateau is judged, and capacity, limited_by and knee derived, by the runner's own capacity rule.
import { findBottleneck } from "../../runner/analysis.ts";
import { judgePlateau, layerResult } from "../../runner/capacity.ts";
import { buildCostModel } from "../../runner/cost-model.ts";
import type { Baseline, BenchResults, LayerResult, PlateauResult, ServerSignals } from "../../runner/results.ts";
import { checkTargets } from "../../runner/targets.ts";

const SLO = { p99_ms: 250, error_rate: 0.001 };
const HOST_CORES = 8;
const DURATION_S = 30;
/** The runner's capacity rule at these SLOs; the generator is suspect above 80% of the host. */
const RULE = { sloP99Ms: SLO.p99_ms, sloErrorRate: SLO.error_rate, generatorCpuLimit: HOST_CORES * 0.8 };

interface LayerModel {
  script: string;
  name: string;
  layer: LayerResult["layer"];
  endpoint: string;
  baseline: string | null;
  rates: number[];
  /** Offered rate at which the layer saturates (utilisation 1). */
  saturationRps: number;
  /** Latency with no queueing, in ms. */
  baseMs: number;
  vusCap: number;
  /** Requests per second one core of the load generator can drive. */
  generatorRpsPerCore: number;
  /** Error rate present at any load (e.g. a flow whose verifications partly fail). */
  errorFloor?: number;
  /** A fixed wait added to every request (the concurrency layer's timer). */
  fixedDelayMs?: number;
  uses: { postgres: boolean; redis: boolean; stream: boolean };
  checks: boolean;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

function signals(model: LayerModel, u: number): ServerSignals {
  const busy = Math.min(u, 1.05);
  return {
    eventLoopLagP99Ms: round(10.2 + 45 * busy ** 4, 2),
    pgPoolWaitingMax: model.uses.postgres ? Math.max(0, Math.round((busy - 0.65) * 40)) : null,
    redisCommandP99Ms: model.uses.redis ? round(0.25 + 1.6 * busy ** 3, 3) : null,
    streamLagMax: model.uses.stream ? Math.round(20 * busy ** 5) : null,
    streamPendingMax: model.uses.stream ? Math.round(8 * busy ** 3) : null,
    cpuCores: {
      service: round(0.06 + 0.98 * busy, 3),
      worker: null,
      postgres: round(model.uses.postgres ? 0.05 + 2.4 * busy : 0.01, 3),
      redis: round(model.uses.redis ? 0.02 + 0.55 * busy : 0.004, 3),
      mockSms: model.uses.stream ? round(0.01 + 0.1 * busy, 3) : null,
    },
    pssMiB: {
      service: round(148 + 70 * busy, 1),
      worker: null,
      postgres: round(model.uses.postgres ? 92 + 60 * busy : 88, 1),
      redis: round(model.uses.redis ? 14 + 9 * busy : 11.5, 1),
      mockSms: model.uses.stream ? 61.5 : null,
    },
    serviceRssMiB: round(170 + 70 * busy, 1),
    serviceHeapMiB: { used: round(40 + 30 * busy, 1), total: round(60 + 40 * busy, 1), external: 6.2 },
  };
}

function plateau(model: LayerModel, index: number, offered: number): PlateauResult {
  const u = offered / model.saturationRps;
  const q = 1 / (1 - Math.min(u, 0.97)); // M/M/1-like growth of the queue
  const overload = Math.max(0, u - 1);
  const achieved = u < 1 ? offered * 0.9993 : model.saturationRps * 0.985;
  const errorRate = round((model.errorFloor ?? 0) + overload * 0.02, 5);
  const delay = model.fixedDelayMs ?? 0;
  const p50 = delay + model.baseMs * (1 + 0.35 * (q - 1)) * (1 + 12 * overload);
  const p95 = delay + model.baseMs * 2.1 * (1 + 0.65 * (q - 1)) * (1 + 25 * overload);
  const p99 = delay + model.baseMs * 3.2 * q * (1 + 40 * overload);
  const requests = Math.round(achieved * DURATION_S);
  return judgePlateau(
    {
      name: `p${String(index + 1).padStart(2, "0")}`,
      offeredRps: offered,
      achievedRps: round(achieved, 1),
      durationS: DURATION_S,
      requests,
      failedRequests: Math.round(requests * errorRate),
      errorRate,
      droppedIterations: u < 1 ? 0 : Math.round((offered - achieved) * DURATION_S),
      latencyMs: {
        avg: round(p50 * 1.12, 3),
        p50: round(p50, 3),
        p95: round(p95, 3),
        p99: round(p99, 3),
        max: round(p99 * 2.6 + 15, 3),
      },
      vusMax: Math.min(Math.ceil((offered * p95) / 1000) + 5, model.vusCap),
      vusCap: model.vusCap,
      checksPassRate: model.checks ? round(1 - errorRate, 5) : null,
      server: signals(model, u),
      generatorCpuCores: round(Math.min(offered / model.generatorRpsPerCore, HOST_CORES * 0.97), 2),
    },
    RULE,
  );
}

const steps = (from: number, to: number, step: number) =>
  Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

const BASELINES: Baseline[] = [
  {
    name: "node-http-hello",
    tool: "k6",
    ops_per_second: 31_400,
    p99_ms: 3.9,
    detail: "bare node:http 'hello' on one event loop, k6 constant arrival rate",
  },
  {
    name: "redis-set",
    tool: "redis-benchmark",
    ops_per_second: 142_300,
    p99_ms: 0.559,
    detail: "redis-benchmark -t set -c 50 -n 1000000 (no pipelining)",
  },
  {
    name: "redis-get",
    tool: "redis-benchmark",
    ops_per_second: 158_900,
    p99_ms: 0.511,
    detail: "redis-benchmark -t get -c 50 -n 1000000 (no pipelining)",
  },
  {
    name: "pgbench-select",
    tool: "pgbench",
    ops_per_second: 38_520,
    p99_ms: null,
    detail: "pgbench -S -c 10 -j 4 -T 30, scale 10 (select-only, prepared)",
  },
  {
    name: "pgbench-insert",
    tool: "pgbench",
    ops_per_second: 9_840,
    p99_ms: 2.84,
    detail: "pgbench -c 10 -j 4 -T 30 -f insert.sql (single-row INSERT, synchronous_commit on)",
  },
];

const none = { postgres: false, redis: false, stream: false };

const MODELS: LayerModel[] = [
  {
    script: "00-node-http-baseline",
    name: "Bare node:http (physical limit)",
    layer: "baseline",
    endpoint: "GET / (node:http, no framework)",
    baseline: null,
    rates: steps(5000, 35000, 5000),
    saturationRps: 32_000,
    baseMs: 0.28,
    vusCap: 400,
    generatorRpsPerCore: 9000,
    uses: none,
    checks: false,
  },
  {
    script: "01-framework-hello",
    name: "Framework (Express hello)",
    layer: "framework",
    endpoint: "GET /hello",
    baseline: "node-http-hello",
    rates: steps(2000, 16000, 2000),
    saturationRps: 15_000,
    baseMs: 0.45,
    vusCap: 400,
    generatorRpsPerCore: 8500,
    uses: none,
    checks: true,
  },
  {
    script: "02-concurrency-delayed-hello",
    name: "Concurrency (100 ms timer)",
    layer: "concurrency",
    endpoint: "GET /delayed-hello?ms=100",
    baseline: "node-http-hello",
    rates: [500, 1000, 2000, 3000, 4000],
    saturationRps: 40_000,
    baseMs: 0.6,
    fixedDelayMs: 100,
    vusCap: 320,
    generatorRpsPerCore: 420,
    uses: none,
    checks: true,
  },
  {
    script: "03-cpu-code-generation",
    name: "CPU (code generation)",
    layer: "cpu",
    endpoint: "GET /layers/cpu",
    baseline: "node-http-hello",
    rates: steps(2000, 10000, 2000),
    saturationRps: 21_000,
    baseMs: 0.55,
    vusCap: 400,
    generatorRpsPerCore: 8000,
    uses: none,
    checks: true,
  },
  {
    script: "04-redis-set-get",
    name: "Redis (SET + GET)",
    layer: "redis",
    endpoint: "GET /layers/redis",
    baseline: "redis-set",
    rates: steps(2000, 14000, 2000),
    saturationRps: 12_000,
    baseMs: 0.9,
    vusCap: 400,
    generatorRpsPerCore: 8000,
    uses: { postgres: false, redis: true, stream: false },
    checks: true,
  },
  {
    script: "05-postgres-select",
    name: "PostgreSQL SELECT (tenant lookup)",
    layer: "postgres-select",
    endpoint: "GET /layers/select",
    baseline: "pgbench-select",
    rates: steps(1000, 8000, 1000),
    saturationRps: 7000,
    baseMs: 1.2,
    vusCap: 300,
    generatorRpsPerCore: 7500,
    uses: { postgres: true, redis: false, stream: false },
    checks: true,
  },
  {
    script: "06-postgres-insert",
    name: "PostgreSQL INSERT",
    layer: "postgres-insert",
    endpoint: "POST /layers/insert",
    baseline: "pgbench-insert",
    rates: steps(500, 4000, 500),
    saturationRps: 3500,
    baseMs: 2,
    vusCap: 300,
    generatorRpsPerCore: 7000,
    uses: { postgres: true, redis: false, stream: false },
    checks: true,
  },
  {
    script: "07-otp-send-flow",
    name: "Full send flow",
    layer: "full-send",
    endpoint: "POST /v1/otp/send",
    baseline: "pgbench-insert",
    rates: steps(200, 1800, 200),
    saturationRps: 1500,
    baseMs: 6,
    vusCap: 600,
    generatorRpsPerCore: 4000,
    uses: { postgres: true, redis: true, stream: true },
    checks: true,
  },
  {
    script: "08-otp-verify-flow",
    name: "Full verify flow",
    layer: "full-verify",
    endpoint: "POST /v1/otp/verify",
    baseline: "redis-get",
    rates: steps(250, 1500, 250),
    saturationRps: 2600,
    baseMs: 3.5,
    vusCap: 600,
    generatorRpsPerCore: 4000,
    errorFloor: 0.0042,
    uses: { postgres: true, redis: true, stream: false },
    checks: true,
  },
];

/** A fresh, deep copy each call: tests mutate it. */
export function buildFixture(): BenchResults {
  const layers = MODELS.map((model) =>
    layerResult(
      model,
      model.rates.map((rate, i) => plateau(model, i, rate)),
      BASELINES,
    ),
  );
  // The model-derived parts come from the runner's own functions, as in a real run.
  const costModel = buildCostModel(layers, { service: 0.02, postgres: 0.01, redis: 0.004 }, HOST_CORES);
  const derived = {
    layers,
    target_rps: 1000,
    slo: SLO,
    cost_model: costModel,
    comparison: null,
    profiles: [SEND_PROFILE],
  };
  return structuredClone<BenchResults>({
    schema_version: 2,
    mode: "ladder",
    run_id: "20261124T073012Z-default",
    profile: "default",
    started_at: "2026-11-24T07:30:12.000Z",
    finished_at: "2026-11-24T08:41:37.000Z",
    environment: {
      host: { cores: HOST_CORES, memory_gib: 31.3, kernel: "6.1.0-27-amd64", cpu_model: "AMD EPYC 7B13 64-Core Processor" },
      versions: {
        node: "26.10.0",
        k6: "1.4.2",
        postgresql: "15.14",
        redis: "7.0.15",
        express: "5.3.0",
        pgbench: "15.14",
        "redis-benchmark": "7.0.15",
      },
      config: {
        PG_POOL_MAX: 10,
        ACCESS_LOG_ENABLED: false,
        LOG_LEVEL: "warn",
        OTEL_TRACES_SAMPLER: "always_off",
        plateau_duration_s: DURATION_S,
        warmup_duration_s: 10,
        service_cpu_affinity: "cores 0-1",
        k6_cpu_affinity: "cores 2-7",
      },
    },
    slo: SLO,
    target_rps: 1000,
    baselines: BASELINES,
    layers,
    cost_model: costModel,
    profiles: [SEND_PROFILE],
    comparison: null,
    targets: checkTargets(derived),
    bottleneck: findBottleneck({
      ...derived,
      environment: { host: { cores: HOST_CORES, memory_gib: 31.3, kernel: "", cpu_model: "" }, versions: {}, config: {} },
    }),
    recommendations: [
      {
        id: "log-level",
        title: "Keep access logging off on the hot path",
        evidence: "Service CPU rises 0.18 cores per 1,000 req/s with ACCESS_LOG_ENABLED=true in the framework layer.",
        expected_gain: "framework capacity ×1.15 (from 14,000 to ~16,000 req/s)",
        gain_ratio: 1.15,
        rerun: "ACCESS_LOG_ENABLED=false BENCH_ONLY=02-express-hello make bench",
        severity: "low",
      },
      {
        id: "pg-pool-size",
        title: "Raise PG_POOL_MAX from 10 to 20 for the send flow",
        evidence: "PG pool waiting peaks at 13 clients at 1,400 req/s in the full send flow while PostgreSQL uses 2.3 of 8 cores.",
        expected_gain: "send-flow capacity ×1.3 (from 1,200 to ~1,550 req/s)",
        gain_ratio: 1.3,
        rerun: "PG_POOL_MAX=20 BENCH_ONLY=11-send-flow make bench",
        severity: "high",
      },
      {
        id: "batch-send-log",
        title: "Batch send-log inserts (multi-row INSERT every 5 ms)",
        evidence: "The INSERT layer reaches 3,000 req/s, ×0.30 of pgbench-insert: one commit per request dominates.",
        expected_gain: "INSERT layer ×2 (to ~6,000 req/s); send flow then bounded by Redis at ~1,900 req/s",
        gain_ratio: 2,
        rerun: "SEND_LOG_BATCH_SIZE=200 make bench",
        severity: "medium",
      },
      {
        id: "verify-errors",
        title: "Fix the 0.42% verify failures before measuring verify capacity",
        evidence: "Every verify plateau fails the 0.1% error SLO, from 250 req/s up: the failures are load-independent.",
        expected_gain: "a measurable verify capacity (expected ≥ 1,500 req/s from its latency curve)",
        gain_ratio: 1.5,
        rerun: "BENCH_ONLY=12-verify-flow make bench",
        severity: "high",
      },
    ],
    validity: [
      { id: "plateau-duration", passed: true, detail: "every plateau held 30 s after a 10 s warm-up" },
      { id: "no-swap", passed: true, detail: "no swap-in or swap-out during the run" },
      {
        id: "generator-headroom",
        passed: false,
        detail:
          "the load generator used 7.14 of 8 cores on 02-concurrency-delayed-hello at 3,000 req/s: no capacity is claimed for that layer",
      },
      { id: "baselines-present", passed: true, detail: "5 of 5 physical-limit baselines measured" },
      { id: "warmup-error-free", passed: true, detail: "no errors during any warm-up" },
      { id: "cpu-steal", passed: true, detail: "CPU steal below 1% on every plateau (max 0.3%)" },
    ],
  });
}

/** A CPU profile summary as the runner writes it for the send flow (file relative to the run folder). */
export const SEND_PROFILE: BenchResults["profiles"][number] = {
  script: "11-send-flow",
  layer: "full-send",
  file: "profiles/11-send-flow.cpuprofile",
  offered_rps: 1000,
  achieved_rps: 998.6,
  duration_ms: 29_000,
  samples: 28_950,
  busy_ms: 21_400,
  busy_ms_per_request: 0.739,
  categories: [
    { id: "app", label: "The service's own code", self_ms: 4280, share_of_busy: 0.2 },
    { id: "opentelemetry", label: "OpenTelemetry", self_ms: 3210, share_of_busy: 0.15 },
    { id: "node-http-net", label: "Node.js HTTP, net and streams", self_ms: 2996, share_of_busy: 0.14 },
    { id: "http-express", label: "HTTP: Express, router, body parser, middleware libs", self_ms: 2568, share_of_busy: 0.12 },
    { id: "gc", label: "Garbage collector", self_ms: 1498, share_of_busy: 0.07 },
    { id: "idle", label: "Idle", self_ms: 7600, share_of_busy: 0 },
  ],
  top_functions: [
    {
      function_name: "writeOrBuffer",
      url: "node:internal/streams/writable",
      line: 545,
      category: "node-http-net",
      self_ms: 640.2,
      share_of_busy: 0.03,
    },
    { function_name: "<script>", url: "file:///srv/app/dist/main.js", line: 0, category: "app", self_ms: 12.5, share_of_busy: 0.001 },
  ],
};

/** The fixture as a worker-split comparison run: the send flow measured with the worker in process and split. */
export function buildWorkerSplitFixture(): BenchResults {
  const results = buildFixture();
  const send = results.layers.find((l) => l.layer === "full-send");
  const cost = results.cost_model.layers.find((c) => c.layer === "full-send");
  if (!send || !cost) throw new Error("fixture has no send flow");
  const idle = { service: 0.02, worker: null, postgres: 0.01, redis: 0.004, mockSms: null };
  results.mode = "worker-split";
  results.comparison = {
    id: "worker-split",
    title: "SMS worker in the API process or in its own",
    question: "What does the split buy the API?",
    variants: [
      {
        id: "in-process",
        label: "worker in the API process",
        env: {},
        separate_worker: false,
        idle_cores: idle,
        layers: [send],
        costs: [cost],
      },
      {
        id: "separate-worker",
        label: "worker as its own process",
        env: { SMS_WORKER_ENABLED: "false" },
        separate_worker: true,
        idle_cores: { ...idle, worker: 0.01 },
        layers: [send],
        costs: [{ ...cost, ms_per_request: { ...cost.ms_per_request, service: 0.4, worker: 0.2 } }],
      },
    ],
  };
  return results;
}

/** A CapacityBenchmark run: the default fixture plus the optional `cluster` part (replicas over time). */
export function buildClusterFixture(): BenchResults {
  const cluster: NonNullable<BenchResults["cluster"]> = {
    benchmark: "otp/send-autoscaled",
    scaling_mode: "Autoscaled",
    fixed_replicas: null,
    runners: 2,
    replicas_over_time: [
      {
        script: "11-send-flow",
        samples: [
          { t_s: 0, ready_replicas: 1, desired_replicas: 1, offered_rps: null, p99_ms: null },
          { t_s: 30, ready_replicas: 1, desired_replicas: 3, offered_rps: 400, p99_ms: 41.26 },
          { t_s: 75, ready_replicas: 3, desired_replicas: 3, offered_rps: 800, p99_ms: 18.5 },
        ],
        time_to_scale_up_s: 45,
        replicas_at_knee: 3,
        min_pod_request_share: 0.82,
      },
    ],
  };
  return { ...buildFixture(), cluster };
}
