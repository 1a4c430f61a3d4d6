// A finished CapacityBenchmark as results.json, in the SAME schema as `make bench` (k6/runner/results.ts,
// validated with its zod schema), so k6/report renders it. Layers come from the shared layerResult; the
// bottleneck text and validity checks from k6/runner/analysis.ts. What a cluster run has and a local one
// has not (replicas over time) goes in the optional `cluster` part.
import { findBottleneck, validityChecks } from "../../../k6/runner/analysis.ts";
import {
  type BenchResults,
  benchResultsSchema,
  type ClusterRun,
  type LayerResult,
  RESULTS_SCHEMA_VERSION,
} from "../../../k6/runner/results.ts";
import { stepLayer } from "./figures.ts";
import type { CapacityBenchmark, PlateauStatus, Sample } from "./schema.ts";

/** Checks about the local host, which a cluster run does not have (no baselines, no shared host). */
const LOCAL_ONLY_CHECKS = new Set(["host-cpu-headroom", "baselines-same-run", "cost-from-clean-plateaus"]);

const EMPTY_PER_PROCESS = { service: null, worker: null, postgres: null, redis: null, mockSms: null };

export function toBenchResults(benchmark: CapacityBenchmark, options: { k6Image: string }): BenchResults {
  const { spec, metadata } = benchmark;
  const status = benchmark.status ?? {};
  const steps = (status.steps ?? []).filter((step) => step.plateaus.length > 0);
  const layers: LayerResult[] = steps.map((step) => stepLayer(step.script, step.plateaus));
  const base = {
    layers,
    target_rps: 0,
    environment: {
      // The figures are the Deployment's, measured from outside it; the host of this controller says nothing.
      host: { cores: 1, memory_gib: 0, kernel: "n/a (Kubernetes)", cpu_model: "n/a (Kubernetes)" },
      versions: { k6: options.k6Image },
      config: {
        profile: spec.steps[0]?.profile ?? "default",
        scaling_mode: spec.scaling.mode,
        replicas: spec.scaling.replicas ?? 0,
        parallelism: spec.load.parallelism,
        generator_cpu_limit: spec.generatorGuard.runnerCpuCores,
        refinement_steps: spec.capacitySearch.refinementSteps,
        prometheus: spec.prometheus.url,
        target: `${metadata.namespace}/${spec.target.deployment}`,
      },
    },
    slo: { p99_ms: spec.slo.p99Ms, error_rate: spec.slo.errorRate },
    cost_model: { idle_cores: EMPTY_PER_PROCESS, layers: [], flows: [], bounds: {} },
    profiles: [],
    comparison: null,
    baselines: [],
  } satisfies Partial<BenchResults>;
  const results: BenchResults = {
    schema_version: RESULTS_SCHEMA_VERSION,
    run_id: `${metadata.name}-${(metadata.uid ?? "").slice(0, 8)}`,
    profile: spec.steps[0]?.profile ?? "default",
    mode: "ladder",
    started_at: status.startedAt ?? "",
    finished_at: status.finishedAt ?? status.startedAt ?? "",
    ...base,
    bottleneck: findBottleneck(base),
    targets: [],
    recommendations: [],
    validity: validityChecks(base, 1).filter((check) => !LOCAL_ONLY_CHECKS.has(check.id)),
    cluster: clusterPart(benchmark),
  };
  return benchResultsSchema.parse(results);
}

function clusterPart(benchmark: CapacityBenchmark): ClusterRun {
  const { spec, metadata } = benchmark;
  const samples = benchmark.status?.samples ?? [];
  return {
    benchmark: `${metadata.namespace}/${metadata.name}`,
    scaling_mode: spec.scaling.mode,
    fixed_replicas: spec.scaling.mode === "Fixed" ? (spec.scaling.replicas ?? null) : null,
    runners: spec.load.parallelism,
    replicas_over_time: (benchmark.status?.steps ?? [])
      .filter((step) => step.plateaus.length > 0)
      .map((step) => {
        const ordered = [...step.plateaus].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
        const from = ordered[0]?.startedAt ?? "";
        const to = ordered.at(-1)?.endedAt ?? "";
        const inside = samples.filter((s) => s.at >= from && s.at <= to);
        const knee = step.knee_index === null ? undefined : [...step.plateaus].sort((a, b) => a.offeredRps - b.offeredRps)[step.knee_index];
        const shares = step.plateaus.map((p) => p.podRequestShareMin).filter((v): v is number => v !== null);
        return {
          script: step.script,
          samples: inside.map((s) => {
            const plateau = ordered.find((p) => s.at >= p.startedAt && s.at <= p.endedAt);
            return {
              t_s: Math.max(0, (Date.parse(s.at) - Date.parse(from)) / 1000),
              ready_replicas: s.ready,
              desired_replicas: s.desired,
              offered_rps: plateau?.offeredRps ?? null,
              p99_ms: plateau?.latencyMs.p99 ?? null,
            };
          }),
          time_to_scale_up_s: timeToScaleUp(inside),
          replicas_at_knee: knee ? kneeReplicas(knee) : null,
          min_pod_request_share: shares.length ? Math.min(...shares) : null,
        };
      }),
  };
}

/** From the first sample where the HPA wanted more than were ready to the first where that many were ready. */
export function timeToScaleUp(samples: Sample[]): number | null {
  const start = samples.find((s) => s.desired !== null && s.ready !== null && s.desired > s.ready);
  if (!start || start.desired === null) return null;
  const wanted = start.desired;
  const reached = samples.find((s) => s.at > start.at && (s.ready ?? 0) >= wanted);
  return reached ? (Date.parse(reached.at) - Date.parse(start.at)) / 1000 : null;
}

function kneeReplicas(p: PlateauStatus): number | null {
  return p.readyReplicasMax ?? p.readyReplicasMin;
}
