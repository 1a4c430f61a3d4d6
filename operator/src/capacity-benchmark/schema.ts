// The CapacityBenchmark resource (otp-lab.dev/v1alpha1) as one zod schema: spec and status. The CRD is
// generated from it (crd.ts), the controller parses with it. Cross-field rules that JSON Schema cannot say
// are CEL expressions in CEL_RULES, attached by the CRD generator at the node they name.
// CRD structural-schema constraints shape this file: no oneOf/anyOf with properties (so scaling is one flat
// object with a `mode` and CEL rules, not a discriminated union), nullable instead of union-with-null.
import { z } from "zod";
import { LADDER } from "../../../k6/runner/ladder.ts";

export const GROUP = "otp-lab.dev";
export const VERSION = "v1alpha1";
export const KIND = "CapacityBenchmark";
export const PLURAL = "capacitybenchmarks";
export const API_VERSION = `${GROUP}/${VERSION}`;
export const FINALIZER = `${GROUP}/capacity-benchmark`;

/** Ladder scripts that load the service (01 loads a bare node:http server, which a cluster does not run). */
export const CLUSTER_SCRIPTS = LADDER.filter((step) => step.target === "service").map((step) => step.script) as [string, ...string[]];

const dnsLabel = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
const seconds = (max: number) => z.int().min(0).max(max);

export const targetSchema = z
  .strictObject({
    deployment: dnsLabel.describe("The Deployment under test, in the benchmark's namespace."),
    hpa: dnsLabel.describe("Its HorizontalPodAutoscaler (autoscaling/v2); Fixed mode pins it, Autoscaled mode watches it."),
    serviceUrl: z
      .string()
      .regex(/^https?:\/\/\S+$/)
      .describe("Base URL the runners send to, e.g. http://otp-otp-service.otp.svc.cluster.local:8080."),
  })
  .describe("What is measured.");

export const stepSchema = z
  .strictObject({
    script: z.enum(CLUSTER_SCRIPTS).describe("A ladder script id of k6/runner/ladder.ts, e.g. 11-send-flow."),
    rates: z
      .array(z.int().min(1).max(1_000_000))
      .min(1)
      .max(30)
      .optional()
      .describe("Total offered rates (req/s) of the plateaus, strictly increasing; split between the runners. Exclusive with profile."),
    profile: z.enum(["smoke", "default", "full"]).optional().describe("Take rates from the ladder's profile instead of listing them."),
    warmupSeconds: seconds(600).optional().describe("Warm-up before the first plateau; default: the profile's (default profile: 4)."),
    plateauSeconds: z.int().min(1).max(3600).optional().describe("Length of each plateau; default: the profile's (default profile: 7)."),
  })
  .describe("One ladder step: one script at increasing constant arrival rates.");

export const scalingSchema = z
  .strictObject({
    mode: z
      .enum(["Fixed", "Autoscaled"])
      .describe(
        "Fixed: pin the HPA to min = max = replicas, wait for them ready and settleSeconds, restore it afterwards (per-replica capacity). Autoscaled: let the HPA act (HPA behaviour).",
      ),
    replicas: z.int().min(1).max(1000).optional().describe("Fixed: the replica count the HPA is pinned to. Required in Fixed mode."),
    settleSeconds: seconds(3600).default(30).describe("Fixed: wait after the replicas are ready, before the first TestRun."),
    holdSeconds: seconds(3600)
      .default(60)
      .describe("Autoscaled: each plateau lasts at least this long, so the HPA (15 s sync, scale-up stabilisation) can react."),
    minReplicas: z.int().min(1).max(1000).optional().describe("Autoscaled: HPA minReplicas for the run (restored afterwards)."),
    maxReplicas: z.int().min(1).max(1000).optional().describe("Autoscaled: HPA maxReplicas for the run (restored afterwards)."),
  })
  .describe("How replicas are handled while measuring.");

const tolerationSchema = z.strictObject({
  key: z.string().optional(),
  operator: z.enum(["Equal", "Exists"]).optional(),
  value: z.string().optional(),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
});
const quantity = z.union([z.string(), z.int()]).meta({ "x-kubernetes-int-or-string": true });

export const loadSchema = z
  .strictObject({
    parallelism: z.int().min(1).max(32).default(2).describe("k6 runners; each gets its --execution-segment of every rate."),
    image: z.string().min(1).optional().describe("Runner image; default grafana/k6 at the lab's pinned version."),
    nodeSelector: z.record(z.string(), z.string()).optional().describe("Where runners go; default the load-generator node."),
    tolerations: z.array(tolerationSchema).max(16).optional().describe("Runner tolerations; default the load-generator taint."),
    resources: z
      .strictObject({
        requests: z.record(z.string(), quantity).optional(),
        limits: z.record(z.string(), quantity).optional(),
      })
      .optional()
      .describe("Runner resources; default requests 500m/256Mi, no CPU limit (a throttled generator blames the service)."),
  })
  .describe("The load generator: k6-operator TestRuns.");

export const specSchema = z
  .strictObject({
    target: targetSchema,
    steps: z.array(stepSchema).min(1).max(16).describe("Measured in order, one or two TestRuns each (ladder, refinement)."),
    capacitySearch: z
      .strictObject({
        refinementSteps: z
          .int()
          .min(0)
          .max(10)
          .default(0)
          .describe("Extra plateaus between the last passing and the first failing rate (make bench's rule)."),
      })
      .default({ refinementSteps: 0 })
      .describe(
        "Capacity: the highest plateau meeting the SLO with zero dropped iterations and no runner above the CPU ceiling, every lower plateau passing.",
      ),
    slo: z
      .strictObject({
        p99Ms: z.number().gt(0).default(50).describe("p99 latency over all runners, ms."),
        errorRate: z.number().min(0).max(1).default(0.01).describe("Failed requests / requests, 0..1."),
      })
      .default({ p99Ms: 50, errorRate: 0.01 }),
    scaling: scalingSchema,
    load: loadSchema.default({ parallelism: 2 }),
    generatorGuard: z
      .strictObject({
        runnerCpuCores: z
          .number()
          .gt(0)
          .max(64)
          .default(0.9)
          .describe("CPU ceiling per runner, cores: a plateau where any runner reaches it counts as generator-limited."),
      })
      .default({ runnerCpuCores: 0.9 }),
    prometheus: z.strictObject({
      url: z
        .string()
        .regex(/^https?:\/\/\S+$/)
        .describe("Prometheus base URL (queries) — the runners remote-write to <url>/api/v1/write."),
    }),
    ttlSecondsAfterFinished: z.int().min(0).optional().describe("Delete the benchmark this long after it finished (kept if unset)."),
  })
  .describe("A capacity benchmark of a Deployment through k6-operator TestRuns.");

export const conditionSchema = z.strictObject({
  type: z.enum(["Progressing", "Succeeded", "GeneratorLimited", "SLOViolated", "Degraded"]),
  status: z.enum(["True", "False", "Unknown"]),
  reason: z.string().regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/),
  message: z.string().max(32768),
  lastTransitionTime: z.string(),
  observedGeneration: z.int().min(0).optional(),
});

const n = z.number().min(0);
const nullableN = n.nullable();

export const plateauStatusSchema = z
  .strictObject({
    offeredRps: n,
    achievedRps: n,
    durationS: n,
    requests: z.int().min(0),
    failedRequests: z.int().min(0),
    errorRate: z.number().min(0).max(1),
    droppedIterations: z.int().min(0),
    latencyMs: z.strictObject({ avg: n, p50: n, p95: n, p99: n, max: n }).describe("Aggregated over all runners (native histograms)."),
    readyReplicasMin: z.int().min(0).nullable(),
    readyReplicasMax: z.int().min(0).nullable(),
    hpaDesiredReplicas: z.int().min(0).nullable().describe("Highest HPA desiredReplicas seen during the plateau."),
    serviceCpuCores: nullableN.describe("CPU of all the Deployment's pods together."),
    runnerCpuCores: n.describe("CPU of the busiest runner (the generator guard compares it with the ceiling)."),
    runnerCpuCoresTotal: n,
    podRequestShareMin: z
      .number()
      .min(0)
      .max(1)
      .nullable()
      .describe("Smallest pod's share of requests × ready pods (1 = even); shows that new replicas receive load."),
    meetsSlo: z.boolean(),
    generatorSaturated: z.boolean(),
    failedBecause: z.array(z.string()),
    startedAt: z.string(),
    endedAt: z.string(),
  })
  .describe("One plateau, measured across every runner.");

export const stepStatusSchema = z.strictObject({
  script: z.string(),
  capacity_rps: nullableN,
  limited_by: z
    .enum(["slo_latency", "slo_errors", "dropped_iterations", "load_generator", "highest_rate_tested", "no_plateau_met_slo"])
    .nullable(),
  p99_ms_at_capacity: nullableN,
  error_rate_at_capacity: nullableN,
  knee_index: z.int().min(0).nullable(),
  generator_limited: z.boolean(),
  done: z.boolean(),
  plateaus: z.array(plateauStatusSchema),
});

export const currentSchema = z.strictObject({
  step: z.int().min(0),
  script: z.string(),
  pass: z.enum(["ladder", "refine"]),
  attempt: z.int().min(1),
  rates: z.array(z.int().min(1)),
  warmupSeconds: z.int().min(0),
  plateauSeconds: z.int().min(1),
  testRun: z.string(),
  testId: z.string(),
  createdAt: z.string(),
  stage: z.string().optional(),
  startedAt: z.string().optional().describe("When the TestRun was first seen `started`."),
  rate: z.int().min(0).optional().describe("Offered rate of the plateau running now (from elapsed time)."),
});

export const sampleSchema = z.strictObject({
  at: z.string(),
  ready: z.int().min(0).nullable(),
  desired: z.int().min(0).nullable(),
});

export const statusSchema = z.strictObject({
  phase: z.enum(["Pending", "Settling", "Running", "Succeeded", "Failed"]).optional(),
  observedGeneration: z.int().min(0).optional(),
  conditions: z.array(conditionSchema).optional(),
  summary: z.string().optional().describe("One line for kubectl get."),
  current: currentSchema.optional().describe("The TestRun in flight: the controller's memory across restarts."),
  hpaSaved: z
    .strictObject({ minReplicas: z.int().min(0).nullable(), maxReplicas: z.int().min(1) })
    .optional()
    .describe("The HPA bounds before the controller changed them; restored at the end or on deletion."),
  settleStartedAt: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  steps: z.array(stepStatusSchema).optional(),
  samples: z.array(sampleSchema).max(2000).optional().describe("Ready and desired replicas over time (one per reconcile, capped)."),
});

export const capacityBenchmarkSchema = z.object({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(KIND),
  metadata: z.object({
    name: z.string(),
    namespace: z.string().optional(),
    uid: z.string().optional(),
    generation: z.int().optional(),
    deletionTimestamp: z.string().optional(),
    finalizers: z.array(z.string()).optional(),
  }),
  spec: specSchema,
  status: statusSchema.optional(),
});

export type Spec = z.output<typeof specSchema>;
export type SpecInput = z.input<typeof specSchema>;
export type Status = z.output<typeof statusSchema>;
export type Condition = z.output<typeof conditionSchema>;
export type ConditionType = Condition["type"];
export type PlateauStatus = z.output<typeof plateauStatusSchema>;
export type StepStatus = z.output<typeof stepStatusSchema>;
export type Current = z.output<typeof currentSchema>;
export type Sample = z.output<typeof sampleSchema>;
export type CapacityBenchmark = z.output<typeof capacityBenchmarkSchema>;

/**
 * Cross-field rules, as CEL (x-kubernetes-validations) at the schema node `path` (property names; "[]" for
 * array items). The API server enforces them on admission, so the controller never sees a violation.
 */
export const CEL_RULES: { path: string[]; rule: string; message: string; fieldPath?: string; reason?: string }[] = [
  {
    path: ["spec", "steps", "[]", "rates"],
    rule: "self.isSorted() && self.all(r, self.indexOf(r) == self.lastIndexOf(r))",
    message: "rates must be strictly increasing",
  },
  {
    path: ["spec", "steps", "[]"],
    rule: "has(self.rates) != has(self.profile)",
    message: "give either rates or a profile",
  },
  {
    path: ["spec", "scaling"],
    rule: "self.mode != 'Fixed' || has(self.replicas)",
    message: "Fixed mode needs replicas",
    fieldPath: ".replicas",
    reason: "FieldValueRequired",
  },
  {
    path: ["spec", "scaling"],
    rule: "!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas",
    message: "minReplicas must be ≤ maxReplicas",
    fieldPath: ".minReplicas",
  },
];

/** Printer columns for `kubectl get capacitybenchmarks`. */
export const PRINTER_COLUMNS = [
  { name: "Phase", type: "string", jsonPath: ".status.phase" },
  { name: "Mode", type: "string", jsonPath: ".spec.scaling.mode" },
  { name: "Step", type: "string", jsonPath: ".status.current.script" },
  { name: "Rate", type: "integer", jsonPath: ".status.current.rate", description: "Offered req/s of the plateau running now" },
  { name: "TestRun", type: "string", jsonPath: ".status.current.testRun", priority: 1 },
  { name: "Summary", type: "string", jsonPath: ".status.summary" },
  { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
];
