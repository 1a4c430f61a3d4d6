// The contract between the benchmark runner and the report: what results.json holds, as one zod
// schema. The TypeScript types below are inferred from it, k6/report/results.schema.json is generated
// from it (node k6/report/generate-results-schema.ts; a test fails when the file is stale) and
// k6/report/validate-results.ts validates with it.
// Versioned: when the shape changes, bump RESULTS_SCHEMA_VERSION and regenerate the JSON Schema.
import { z } from "zod";

export const RESULTS_SCHEMA_VERSION = 2;

/** The `$id` of the generated JSON Schema: one URL per schema version. */
export const RESULTS_SCHEMA_ID = `https://otp-capacity-lab.invalid/schemas/bench-results/v${RESULTS_SCHEMA_VERSION}.json`;

// Named schemas (`.meta({ id })`) become `$defs` of the generated JSON Schema.
const nullableNumber = z.number().min(0).nullable().meta({ id: "NullableNumber" });
const nullableCount = z.int().min(0).nullable().meta({ id: "NullableCount" });
/** A rate or fraction in [0, 1]. */
const fraction = z.number().min(0).max(1);

/** One figure per process; null where the process did not run (e.g. no separate worker). */
const perProcessSchema = z
  .strictObject({
    service: nullableNumber,
    worker: nullableNumber,
    postgres: nullableNumber,
    redis: nullableNumber,
    mockSms: nullableNumber,
  })
  .meta({ id: "PerProcess" });

export const serverSignalsSchema = z
  .strictObject({
    eventLoopLagP99Ms: nullableNumber,
    pgPoolWaitingMax: nullableNumber,
    redisCommandP99Ms: nullableNumber,
    streamLagMax: nullableNumber,
    streamPendingMax: nullableNumber,
    cpuCores: perProcessSchema.describe("CPU in cores, per process tree (1.0 = one core busy)."),
    pssMiB: perProcessSchema.describe(
      "Peak proportional set size in MiB, per process tree (/proc/<pid>/smaps_rollup): shared pages counted once across the tree.",
    ),
    serviceRssMiB: nullableNumber.describe("Peak resident set size of the service process, MiB."),
    serviceHeapMiB: z
      .strictObject({ used: nullableNumber, total: nullableNumber, external: nullableNumber })
      .describe("Where the service's memory goes: V8 heap used and reserved, external (buffers), peak MiB."),
  })
  .meta({ id: "ServerSignals" });

const latencyMsSchema = z
  .strictObject({
    avg: z.number().min(0),
    p50: z.number().min(0),
    p95: z.number().min(0),
    p99: z.number().min(0),
    max: z.number().min(0),
  })
  .meta({ id: "LatencyMs" });

export const plateauResultSchema = z
  .strictObject({
    name: z.string().min(1).describe('Scenario name in k6, e.g. "p03".'),
    offeredRps: z.number().min(0),
    achievedRps: z.number().min(0),
    durationS: z.number().min(0),
    requests: z.int().min(0),
    failedRequests: z.int().min(0),
    errorRate: fraction,
    droppedIterations: z.int().min(0),
    latencyMs: latencyMsSchema,
    vusMax: z.int().min(0).describe("Highest VUs the plateau used (against vusCap)."),
    vusCap: z.int().min(0).describe("The cap on VUs the plateau was given."),
    checksPassRate: fraction.nullable(),
    server: serverSignalsSchema.describe("Server-side signals averaged (or maxed, where named) over the plateau, from /metrics and /proc."),
    generatorCpuCores: z.number().min(0).describe("The load generator's own CPU over the plateau, in cores (1.0 = one core busy)."),
    generatorSaturated: z.boolean(),
    meetsSlo: z.boolean(),
    failedBecause: z.array(z.string()).describe("Why the plateau fails the capacity rule, empty when it meets it."),
  })
  .meta({ id: "PlateauResult", description: "One stable plateau of one script: a constant arrival rate held for a fixed time." });

export const limitedBySchema = z
  .enum(["slo_latency", "slo_errors", "dropped_iterations", "load_generator", "highest_rate_tested", "no_plateau_met_slo"])
  .meta({ id: "LimitedBy" });

export const layerResultSchema = z
  .strictObject({
    script: z.string().min(1).describe('Script id, e.g. "07-otp-code-capacity".'),
    name: z.string().min(1).describe('Human name of the layer, e.g. "CPU (code generation)".'),
    layer: z.enum([
      "framework",
      "concurrency",
      "cpu",
      "redis",
      "postgres-select",
      "postgres-insert",
      "full-send",
      "full-verify",
      "baseline",
    ]),
    endpoint: z.string(),
    capacity_rps: nullableNumber.describe(
      "Highest offered rate whose plateau met the SLO with zero dropped iterations and an unsaturated generator.",
    ),
    limited_by: limitedBySchema,
    p99_ms_at_capacity: nullableNumber,
    error_rate_at_capacity: fraction.nullable(),
    dropped_iterations_at_capacity: nullableCount,
    knee_index: nullableCount.describe("Index into plateaus of the knee: where latency starts rising steeply with offered rate."),
    baseline: z.string().nullable().describe("Physical limit this layer is compared with (a key into baselines)."),
    ratio_to_baseline: nullableNumber.describe("capacity_rps relative to that baseline's ops_per_second."),
    plateaus: z.array(plateauResultSchema),
    generator_limited: z.boolean().describe("True when the generator, not the service, was the limit: no capacity is claimed then."),
  })
  .meta({ id: "LayerResult" });

export const baselineSchema = z
  .strictObject({
    name: z.string().min(1).describe('e.g. "node-http-hello", "redis-set", "redis-get", "pgbench-select", "pgbench-insert".'),
    tool: z.enum(["k6", "redis-benchmark", "pgbench"]),
    ops_per_second: z.number().min(0),
    p99_ms: nullableNumber,
    detail: z.string(),
  })
  .meta({ id: "Baseline" });

export const recommendationSchema = z
  .strictObject({
    id: z.string().min(1),
    title: z.string(),
    evidence: z.string().describe("Why, in figures from this run."),
    expected_gain: z.string().describe('Expected gain, in figures, e.g. "send-flow capacity ×1.8 (from 420 to ~760 req/s)".'),
    gain_ratio: z.number().gt(1).describe("The expected gain as a factor computed from the cost model (always above 1)."),
    rerun: z.string().min(1).describe("The command whose run would confirm the gain."),
    severity: z.enum(["high", "medium", "low"]),
  })
  .meta({ id: "Recommendation" });

export const validityCheckSchema = z
  .strictObject({
    id: z.string().min(1),
    passed: z.boolean(),
    detail: z.string(),
  })
  .meta({ id: "ValidityCheck" });

const processNameSchema = z.enum(["service", "worker", "postgres", "redis", "mockSms"]);

export const layerCostSchema = z
  .strictObject({
    script: z.string().min(1),
    layer: layerResultSchema.shape.layer,
    name: z.string(),
    basis: z
      .enum(["below-saturation", "lowest-plateau", "none"])
      .describe("Where the cost comes from: the highest plateaus that met the SLO below saturation, or (weaker) the lowest plateau."),
    plateaus_rps: z.array(z.number().min(0)).describe("Offered rates of the plateaus the cost is taken from."),
    ms_per_request: perProcessSchema.describe("CPU ms per request, per process, idle use taken out (median over the plateaus)."),
    generator_ms_per_request: nullableNumber.describe("k6's own CPU ms per request."),
    predicted_capacity_per_core_rps: nullableNumber.describe("1000 ÷ the service's ms per request: what one event loop can serve."),
    measured_capacity_rps: nullableNumber,
    measured_over_predicted: nullableNumber,
  })
  .meta({ id: "LayerCost" });

export const flowCostSchema = z
  .strictObject({
    flow: z.enum(["full-send", "full-verify"]),
    process: z.literal("service"),
    total_ms: z.number().min(0),
    parts: z.array(
      z.strictObject({
        id: z.string().min(1),
        label: z.string(),
        layer: z.string().nullable(),
        ms: nullableNumber,
        share: nullableNumber,
      }),
    ),
    other_processes_ms: z.strictObject({
      worker: nullableNumber,
      postgres: nullableNumber,
      redis: nullableNumber,
      mockSms: nullableNumber,
    }),
  })
  .meta({ id: "FlowCost", description: "A flow's service CPU per request decomposed into its layers plus a named residual." });

export const resourceBoundSchema = z
  .strictObject({
    resource: z.enum([...processNameSchema.options, "host"]),
    ms_per_request: z.number().min(0),
    cores: z.number().min(0),
    predicted_capacity_rps: z.number().min(0),
  })
  .meta({ id: "ResourceBound" });

export const costModelSchema = z
  .strictObject({
    idle_cores: perProcessSchema.describe("Each process's CPU with no load offered, taken out of every cost."),
    layers: z.array(layerCostSchema),
    flows: z.array(flowCostSchema),
    bounds: z
      .strictObject({ "full-send": z.array(resourceBoundSchema).optional(), "full-verify": z.array(resourceBoundSchema).optional() })
      .describe("Per flow: every resource with the capacity its cost allows, lowest first."),
  })
  .meta({ id: "CostModel" });

const shareSchema = z.number().min(0).max(1);

export const profileResultSchema = z
  .strictObject({
    script: z.string().min(1),
    layer: layerResultSchema.shape.layer,
    file: z.string().min(1).describe("The .cpuprofile of the plateau, relative to the run's folder (Chrome DevTools, speedscope)."),
    offered_rps: z.number().min(0),
    achieved_rps: z.number().min(0),
    duration_ms: z.number().min(0),
    samples: z.int().min(0),
    busy_ms: z.number().min(0),
    busy_ms_per_request: z.number().min(0).describe("Busy (non-idle) time per request while profiled, the profiler's overhead included."),
    categories: z.array(z.strictObject({ id: z.string(), label: z.string(), self_ms: z.number().min(0), share_of_busy: shareSchema })),
    top_functions: z.array(
      z.strictObject({
        function_name: z.string(),
        url: z.string(),
        line: z.int(),
        category: z.string(),
        self_ms: z.number().min(0),
        share_of_busy: shareSchema,
      }),
    ),
  })
  .meta({ id: "ProfileResult" });

export const comparisonResultSchema = z
  .strictObject({
    id: z.enum(["worker-split", "telemetry"]),
    title: z.string(),
    question: z.string(),
    variants: z.array(
      z.strictObject({
        id: z.string().min(1),
        label: z.string(),
        env: z.record(z.string(), z.string()).describe("What the variant changes in the service's environment."),
        separate_worker: z.boolean(),
        idle_cores: perProcessSchema,
        layers: z.array(layerResultSchema),
        costs: z.array(layerCostSchema),
      }),
    ),
  })
  .meta({ id: "ComparisonResult", description: "The same scripts under each service variant, measured side by side in this run." });

export const targetSchema = z
  .strictObject({
    id: z.string().min(1),
    title: z.string(),
    target_text: z.string(),
    how: z.string().describe("The command that measures it."),
    measured: z.number().nullable(),
    measured_text: z.string(),
    met: z.boolean().nullable().describe("null when this run does not measure it."),
    why_missed: z.string().nullable().describe("Where the cost goes when the target is missed, from this run's figures."),
  })
  .meta({ id: "Target" });

export const replicaSampleSchema = z
  .strictObject({
    t_s: z.number().min(0).describe("Seconds since the step's first TestRun started."),
    ready_replicas: nullableCount,
    desired_replicas: nullableCount.describe("The HPA's desiredReplicas."),
    offered_rps: nullableNumber.describe("Offered rate of the plateau running then; null in warm-up or between passes."),
    p99_ms: nullableNumber.describe("That plateau's p99 over all runners."),
  })
  .meta({ id: "ReplicaSample" });

export const clusterRunSchema = z
  .strictObject({
    benchmark: z.string().min(1).describe("namespace/name of the CapacityBenchmark that ran it."),
    scaling_mode: z.enum(["Fixed", "Autoscaled"]),
    fixed_replicas: z.int().min(1).nullable().describe("Fixed mode: the replicas the HPA was pinned to."),
    runners: z.int().min(1).describe("k6 runners per TestRun (parallelism)."),
    replicas_over_time: z.array(
      z.strictObject({
        script: z.string().min(1),
        samples: z.array(replicaSampleSchema),
        time_to_scale_up_s: nullableNumber.describe(
          "From the first sample where the HPA wanted more replicas than were ready to the first where that many were ready.",
        ),
        replicas_at_knee: nullableCount.describe("Ready replicas (highest) during the knee plateau."),
        min_pod_request_share: fraction
          .nullable()
          .describe("Lowest over plateaus of: the least-loaded pod's share of requests × ready pods (1 = evenly spread)."),
      }),
    ),
  })
  .meta({ id: "ClusterRun", description: "Present when the run was a CapacityBenchmark on a cluster: replicas over time." });

export const benchResultsSchema = z
  .strictObject({
    schema_version: z.literal(RESULTS_SCHEMA_VERSION),
    run_id: z.string().min(1),
    profile: z.enum(["smoke", "default", "full"]),
    mode: z.enum(["ladder", "worker-split", "telemetry"]).describe("ladder: the default run; otherwise the comparison it ran."),
    started_at: z.string().min(1).describe("ISO 8601 timestamp"),
    finished_at: z.string().min(1).describe("ISO 8601 timestamp"),
    environment: z.strictObject({
      host: z.strictObject({
        cores: z.int().min(1),
        memory_gib: z.number().min(0),
        kernel: z.string(),
        cpu_model: z.string(),
      }),
      versions: z.record(z.string(), z.string()),
      config: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    }),
    slo: z.strictObject({
      p99_ms: z.number().min(0),
      error_rate: fraction,
    }),
    target_rps: z.number().min(0),
    baselines: z.array(baselineSchema),
    layers: z.array(layerResultSchema),
    bottleneck: z
      .strictObject({
        flow: z.string(),
        bounded_by: z.string().nullable(),
        headroom_ratio: nullableNumber.describe("Measured capacity ÷ the capacity the bottleneck's cost allows."),
        explanation: z.string(),
        resources: z.array(resourceBoundSchema),
        symptoms: z.array(z.string()).describe("Signals seen only where the event loop was saturated: effects, not causes."),
      })
      .describe("The flow's bottleneck from the cost model: the resource whose CPU per request allows the least."),
    cost_model: costModelSchema,
    profiles: z.array(profileResultSchema),
    comparison: comparisonResultSchema.nullable(),
    targets: z.array(targetSchema),
    recommendations: z.array(recommendationSchema),
    validity: z.array(validityCheckSchema),
    cluster: clusterRunSchema.optional(),
  })
  .meta({
    title: `BenchResults v${RESULTS_SCHEMA_VERSION}`,
    description:
      "What the benchmark runner writes to reports/<run-id>/results.json. Generated from the zod schema in k6/runner/results.ts: do not edit by hand.",
  });

export type ServerSignals = z.infer<typeof serverSignalsSchema>;
/** One stable plateau of one script: a constant arrival rate held for a fixed time. */
export type PlateauResult = z.infer<typeof plateauResultSchema>;
export type LimitedBy = z.infer<typeof limitedBySchema>;
export type LayerResult = z.infer<typeof layerResultSchema>;
export type Baseline = z.infer<typeof baselineSchema>;
export type Recommendation = z.infer<typeof recommendationSchema>;
export type ValidityCheck = z.infer<typeof validityCheckSchema>;
export type BenchResults = z.infer<typeof benchResultsSchema>;
export type LayerCost = z.infer<typeof layerCostSchema>;
export type FlowCost = z.infer<typeof flowCostSchema>;
export type ResourceBound = z.infer<typeof resourceBoundSchema>;
export type CostModel = z.infer<typeof costModelSchema>;
export type ProfileResult = z.infer<typeof profileResultSchema>;
export type ComparisonResult = z.infer<typeof comparisonResultSchema>;
export type Target = z.infer<typeof targetSchema>;
export type ClusterRun = z.infer<typeof clusterRunSchema>;
