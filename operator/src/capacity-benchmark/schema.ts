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
      .array(z.int().min(1).max(1_000_000).describe("A total offered rate, req/s."))
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

const tolerationSchema = z
  .strictObject({
    key: z.string().optional().describe("The taint key the toleration applies to; empty with Exists: every taint."),
    operator: z.enum(["Equal", "Exists"]).optional().describe("Equal (default): key and value match; Exists: any value."),
    value: z.string().optional().describe("The taint value (Equal)."),
    effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional().describe("The taint effect; empty: all effects."),
  })
  .describe("A runner Pod toleration (core/v1 Toleration).");
const quantity = z
  .union([z.string(), z.int()])
  .meta({ "x-kubernetes-int-or-string": true })
  .describe("A resource quantity, e.g. 500m or 2Gi.");

export const loadSchema = z
  .strictObject({
    parallelism: z.int().min(1).max(32).default(2).describe("k6 runners; each gets its --execution-segment of every rate."),
    image: z.string().min(1).optional().describe("Runner image; default grafana/k6 at the lab's pinned version."),
    nodeSelector: z
      .record(z.string(), z.string().describe("A node label value."))
      .optional()
      .describe("Where runners go; default the load-generator node."),
    tolerations: z.array(tolerationSchema).max(16).optional().describe("Runner tolerations; default the load-generator taint."),
    resources: z
      .strictObject({
        requests: z.record(z.string(), quantity).optional().describe("Resource requests per runner, e.g. cpu: 500m."),
        limits: z.record(z.string(), quantity).optional().describe("Resource limits per runner, e.g. memory: 2Gi."),
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
      .default({ p99Ms: 50, errorRate: 0.01 })
      .describe("The SLO a plateau must meet to count towards capacity (make bench's defaults)."),
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
      .default({ runnerCpuCores: 0.9 })
      .describe("The generator guard: a plateau where a runner is CPU-bound measures k6, not the service."),
    prometheus: z
      .strictObject({
        url: z
          .string()
          .regex(/^https?:\/\/\S+$/)
          .describe("Prometheus base URL (queries) — the runners remote-write to <url>/api/v1/write."),
      })
      .describe("The Prometheus the runners remote-write to and the controller reads the figures from (native histograms on)."),
    ttlSecondsAfterFinished: z.int().min(0).optional().describe("Delete the benchmark this long after it finished (kept if unset)."),
  })
  .describe("A capacity benchmark of a Deployment through k6-operator TestRuns.");

export const conditionSchema = z
  .strictObject({
    type: z
      .enum(["Progressing", "Succeeded", "GeneratorLimited", "SLOViolated", "Degraded"])
      .describe("Progressing, Succeeded, GeneratorLimited, SLOViolated or Degraded."),
    status: z.enum(["True", "False", "Unknown"]).describe("True, False or Unknown."),
    reason: z
      .string()
      .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
      .describe("A CamelCase word for machines, e.g. TestRunError."),
    message: z.string().max(32768).describe("What happened, for people."),
    lastTransitionTime: z.string().describe("When status last changed (RFC 3339)."),
    observedGeneration: z.int().min(0).optional().describe("The metadata.generation the condition describes."),
  })
  .describe("A metav1.Condition.");

const n = z.number().min(0);
const nullableN = n.nullable();

export const plateauStatusSchema = z
  .strictObject({
    offeredRps: n.describe("Offered rate of all runners together, req/s."),
    achievedRps: n.describe("Requests / duration over all runners, req/s."),
    durationS: n.describe("Length of the plateau, s."),
    requests: z.int().min(0).describe("HTTP requests of all runners."),
    failedRequests: z.int().min(0).describe("Requests with an unexpected response."),
    errorRate: z.number().min(0).max(1).describe("failedRequests / requests."),
    droppedIterations: z.int().min(0).describe("Iterations k6 could not start (no VU free): the offered rate was not offered."),
    latencyMs: z
      .strictObject({
        avg: n.describe("Mean, ms."),
        p50: n.describe("Median, ms."),
        p95: n.describe("95th percentile, ms."),
        p99: n.describe("99th percentile, ms."),
        max: n.describe("Maximum (the histogram's highest bucket), ms."),
      })
      .describe("Aggregated over all runners (native histograms)."),
    readyReplicasMin: z.int().min(0).nullable().describe("Fewest ready replicas during the plateau."),
    readyReplicasMax: z.int().min(0).nullable().describe("Most ready replicas during the plateau."),
    hpaDesiredReplicas: z.int().min(0).nullable().describe("Highest HPA desiredReplicas seen during the plateau."),
    serviceCpuCores: nullableN.describe("CPU of all the Deployment's pods together."),
    runnerCpuCores: n.describe("CPU of the busiest runner (the generator guard compares it with the ceiling)."),
    runnerCpuCoresTotal: n.describe("CPU of all runners together, cores."),
    podRequestShareMin: z
      .number()
      .min(0)
      .max(1)
      .nullable()
      .describe("Smallest pod's share of requests × ready pods (1 = even); shows that new replicas receive load."),
    meetsSlo: z.boolean().describe("p99 and error rate within the SLO, no dropped iterations."),
    generatorSaturated: z.boolean().describe("A runner reached the generator guard's CPU ceiling."),
    failedBecause: z.array(z.string().describe("One reason.")).describe("Why the plateau does not count (empty when it passes)."),
    startedAt: z.string().describe("First sample of the plateau (RFC 3339)."),
    endedAt: z.string().describe("Last sample of the plateau (RFC 3339)."),
  })
  .describe("One plateau, measured across every runner.");

export const stepStatusSchema = z
  .strictObject({
    script: z.string().describe("The ladder script id."),
    capacity_rps: nullableN.describe("Highest passing plateau with every lower one passing, req/s; null: none passed."),
    limited_by: z
      .enum(["slo_latency", "slo_errors", "dropped_iterations", "load_generator", "highest_rate_tested", "no_plateau_met_slo"])
      .nullable()
      .describe("What ended the search (as results.json's limited_by)."),
    p99_ms_at_capacity: nullableN.describe("p99 at the capacity plateau, ms."),
    error_rate_at_capacity: nullableN.describe("Error rate at the capacity plateau."),
    knee_index: z.int().min(0).nullable().describe("Index (by rate) of the first failing plateau."),
    generator_limited: z.boolean().describe("The generator, not the service, failed first: no capacity is claimed."),
    done: z.boolean().describe("Every pass of this step (ladder, refinement) is measured."),
    plateaus: z.array(plateauStatusSchema).describe("Every measured plateau, by offered rate."),
  })
  .describe("One step's figures, as results.json's layer.");

export const currentSchema = z.strictObject({
  step: z.int().min(0).describe("Index into spec.steps."),
  script: z.string().describe("The ladder script id."),
  pass: z.enum(["ladder", "refine"]).describe("ladder: the step's rates; refine: rates between last pass and first fail."),
  attempt: z.int().min(1).describe("Attempt of this pass (a TestRun in error is retried)."),
  rates: z.array(z.int().min(1).describe("Offered req/s.")).describe("The TestRun's plateau rates."),
  warmupSeconds: z.int().min(0).describe("Warm-up before the first plateau, s."),
  plateauSeconds: z.int().min(1).describe("Length of each plateau, s."),
  testRun: z.string().describe("The TestRun's name (derived from uid, generation, step, pass, attempt)."),
  testId: z.string().describe("The k6 testid tag of its series in Prometheus."),
  createdAt: z.string().describe("When the controller created it (RFC 3339)."),
  stage: z.string().optional().describe("The TestRun's status.stage last seen."),
  startedAt: z.string().optional().describe("When the TestRun was first seen `started`."),
  rate: z.int().min(0).optional().describe("Offered rate of the plateau running now (from elapsed time)."),
});

export const sampleSchema = z
  .strictObject({
    at: z.string().describe("When (RFC 3339)."),
    ready: z.int().min(0).nullable().describe("The Deployment's ready replicas."),
    desired: z.int().min(0).nullable().describe("The HPA's desiredReplicas."),
  })
  .describe("One replica sample.");

export const statusSchema = z
  .strictObject({
    phase: z
      .enum(["Pending", "Settling", "Running", "Succeeded", "Failed"])
      .optional()
      .describe("Pending, Settling (Fixed: waiting for the pinned replicas), Running, Succeeded or Failed."),
    observedGeneration: z.int().min(0).optional().describe("The metadata.generation the status describes."),
    conditions: z
      .array(conditionSchema)
      .optional()
      .describe("Progressing, Succeeded, GeneratorLimited, SLOViolated, Degraded (each with a reason)."),
    summary: z.string().optional().describe("One line for kubectl get."),
    current: currentSchema.optional().describe("The TestRun in flight: the controller's memory across restarts."),
    hpaSaved: z
      .strictObject({
        minReplicas: z.int().min(0).nullable().describe("The HPA's minReplicas (null: unset)."),
        maxReplicas: z.int().min(1).describe("The HPA's maxReplicas."),
      })
      .optional()
      .describe("The HPA bounds before the controller changed them; restored at the end or on deletion."),
    settleStartedAt: z.string().optional().describe("Fixed: when the pinned replicas were first all ready (RFC 3339)."),
    startedAt: z.string().optional().describe("When the benchmark started (RFC 3339)."),
    finishedAt: z.string().optional().describe("When it succeeded or failed (RFC 3339)."),
    steps: z.array(stepStatusSchema).optional().describe("Per step, the figures of results.json's layers."),
    samples: z.array(sampleSchema).max(2000).optional().describe("Ready and desired replicas over time (one per reconcile, capped)."),
    resultsConfigMap: z
      .string()
      .optional()
      .describe("The ConfigMap (owned by this benchmark) holding results.json under the key results.json, once finished."),
  })
  .describe("What the controller measured and where it is.");

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
  { name: "Results", type: "string", jsonPath: ".status.resultsConfigMap", description: "ConfigMap with results.json", priority: 1 },
  { name: "Summary", type: "string", jsonPath: ".status.summary" },
  { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
];
