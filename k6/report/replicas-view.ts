// The "Replicas over time" section, when results.json has a `cluster` part (a CapacityBenchmark run in which
// replicas could vary): per step, ready and desired replicas with the offered rate and p99 at that moment,
// what the HPA did (time to scale up, replicas at the knee) and whether new replicas received load.
// Both renderers use this view, as they do cost-view.ts.
import type { BenchResults, ClusterRun } from "../runner/results.ts";
import type { TableView } from "./cost-view.ts";
import { formatCount, formatRps, NONE } from "./format.ts";

export interface ReplicasView {
  intro: string;
  steps: { script: string; summary: string; table: TableView }[];
}

/** At most this many rows per step: samples are thinned evenly, first and last kept. */
const MAX_ROWS = 40;

function thin<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const step = (items.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => items[Math.round(i * step)] as T);
}

function intro(cluster: ClusterRun): string {
  const mode =
    cluster.scaling_mode === "Fixed"
      ? `Fixed mode: the HPA was pinned to ${cluster.fixed_replicas} replica(s) for the run and restored afterwards, so the capacities are per ${cluster.fixed_replicas} replica(s).`
      : "Autoscaled mode: the HPA acted during the run; runners opened a fresh connection per request so new replicas received load.";
  return `CapacityBenchmark ${cluster.benchmark}, ${cluster.runners} k6 runner(s) per TestRun; p99 over all runners from native histograms. ${mode}`;
}

export function replicasView(results: Pick<BenchResults, "cluster">): ReplicasView | null {
  const cluster = results.cluster;
  if (!cluster) return null;
  return {
    intro: intro(cluster),
    steps: cluster.replicas_over_time.map((step) => {
      const readies = step.samples.map((s) => s.ready_replicas).filter((v): v is number => v !== null);
      const parts = [
        readies.length ? `ready replicas ${Math.min(...readies)}–${Math.max(...readies)}` : "no replica samples",
        step.time_to_scale_up_s === null ? "no scale-up" : `time to scale up ${Math.round(step.time_to_scale_up_s)} s`,
        `replicas at the knee ${formatCount(step.replicas_at_knee)}`,
        step.min_pod_request_share === null
          ? null
          : `least-loaded pod at ${Math.round(step.min_pod_request_share * 100)}% of an even share`,
      ].filter((p): p is string => p !== null);
      return {
        script: step.script,
        summary: `${parts.join("; ")}.`,
        table: {
          headers: ["t (s)", "Ready", "Desired (HPA)", "Offered req/s", "p99 ms"],
          numeric: [true, true, true, true, true],
          rows: thin(step.samples, MAX_ROWS).map((s) => [
            String(Math.round(s.t_s)),
            formatCount(s.ready_replicas),
            formatCount(s.desired_replicas),
            formatRps(s.offered_rps),
            s.p99_ms === null ? NONE : s.p99_ms.toFixed(1),
          ]),
        },
      };
    }),
  };
}
