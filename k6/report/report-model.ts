// What both renderers derive from results.json in the same way: the wording of capacities and
// limits, the plateau at capacity, the bottleneck comparison, the validity summary, the plateau rows.
import type { BenchResults, LayerResult, LimitedBy, PlateauResult, Recommendation } from "../runner/results.ts";
import { formatCpuMs, resourceLabel } from "./cost-view.ts";
import { formatCores, formatCount, formatMiB, formatMs, formatRate, formatRatio, formatRps, NONE } from "./format.ts";

export const GENERATOR_LIMITED_TEXT = "not measured: the load generator was the limit";

export const LIMITED_BY_TEXT: Record<LimitedBy, string> = {
  slo_latency: "p99 latency SLO",
  slo_errors: "error-rate SLO",
  dropped_iterations: "dropped iterations",
  load_generator: "load generator",
  highest_rate_tested: "highest rate tested, not saturated",
  no_plateau_met_slo: "no plateau met the SLO",
};

export const FLOW_LAYERS: ReadonlySet<LayerResult["layer"]> = new Set(["full-send", "full-verify"]);

export function isFlow(layer: LayerResult): boolean {
  return FLOW_LAYERS.has(layer.layer);
}

export function isBaselineLayer(layer: LayerResult): boolean {
  return layer.layer === "baseline";
}

/** The plateau whose offered rate is the capacity, or null when no capacity was found. */
export function plateauAtCapacity(layer: LayerResult): PlateauResult | null {
  if (layer.capacity_rps === null) return null;
  return layer.plateaus.find((p) => p.offeredRps === layer.capacity_rps) ?? null;
}

/** The capacity as a reader should read it: a figure, a lower bound, or why there is none. */
export function capacityText(layer: LayerResult): string {
  if (layer.generator_limited) return GENERATOR_LIMITED_TEXT;
  if (layer.capacity_rps === null) return NONE;
  const figure = formatRps(layer.capacity_rps);
  return layer.limited_by === "highest_rate_tested" ? `≥ ${figure}` : figure;
}

/** The capacity for a sentence: "14,000 req/s", "≥ 10,000 req/s", "none", or why it was not measured. */
export function capacityPhrase(layer: LayerResult): string {
  if (layer.generator_limited) return GENERATOR_LIMITED_TEXT;
  if (layer.capacity_rps === null) return "none";
  return `${capacityText(layer)} req/s`;
}

/** "×0.42 of pgbench-select", or an em dash when the layer has no physical limit to compare with. */
export function baselineRatioText(layer: LayerResult): string {
  if (layer.baseline === null) return NONE;
  if (layer.ratio_to_baseline === null) return `${NONE} (vs ${layer.baseline})`;
  return `${formatRatio(layer.ratio_to_baseline)} of ${layer.baseline}`;
}

/** Largest expected gain first; the runner already orders them so, a hand-edited file may not. */
export function sortedRecommendations(results: BenchResults): Recommendation[] {
  return results.recommendations
    .map((r, index) => ({ r, index }))
    .sort((a, b) => b.r.gain_ratio - a.r.gain_ratio || a.index - b.index)
    .map(({ r }) => r);
}

export interface ValiditySummary {
  passed: number;
  total: number;
  failing: string[];
  text: string;
}

export function validitySummary(results: BenchResults): ValiditySummary {
  const total = results.validity.length;
  const failing = results.validity.filter((c) => !c.passed).map((c) => c.id);
  const passed = total - failing.length;
  let text: string;
  if (total === 0) text = "Validity: no checks were recorded for this run.";
  else if (failing.length === 0) text = `Validity: ✓ all ${total} checks passed.`;
  else
    text = `Validity: ✗ ${passed} of ${total} checks passed; failing: ${failing.join(", ")} (see Validity checks before trusting these figures).`;
  return { passed, total, failing, text };
}

/** Finds a layer by its layer kind, script id or name (the runner may use any of them as a key). */
export function findLayer(results: BenchResults, key: string | null): LayerResult | null {
  if (key === null) return null;
  return results.layers.find((l) => l.layer === key) ?? results.layers.find((l) => l.script === key || l.name === key) ?? null;
}

/** The flow the bottleneck section is about, and what bounds it, as labels. */
export function bottleneckLabels(results: BenchResults): { flow: LayerResult | null; flowLabel: string; boundedByLabel: string } {
  const flow = findLayer(results, results.bottleneck.flow);
  const bound = results.bottleneck.resources[0];
  return {
    flow,
    flowLabel: flow ? `${flow.name} (${flow.endpoint})` : results.bottleneck.flow,
    boundedByLabel:
      bound && results.bottleneck.bounded_by
        ? `${resourceLabel(bound.resource)}: ${formatCpuMs(bound.ms_per_request)} ms of CPU per request → at most ~${formatRps(bound.predicted_capacity_rps)} req/s`
        : "not determined",
  };
}

/** Server signals of a plateau as short "a / b / c" cells, for service, PostgreSQL and Redis. */
export function perProcess(
  values: { service: number | null; worker: number | null; postgres: number | null; redis: number | null },
  format: (v: number | null) => string,
) {
  return `${format(values.service)} / ${format(values.worker)} / ${format(values.postgres)} / ${format(values.redis)}`;
}

export const PLATEAU_HEADERS = [
  "Plateau",
  "Offered (req/s)",
  "Achieved (req/s)",
  "p50 (ms)",
  "p95 (ms)",
  "p99 (ms)",
  "Errors",
  "Dropped",
  "Gen CPU (cores)",
  "EL lag p99 (ms)",
  "PG pool waiting",
  "Redis p99 (ms)",
  "Stream lag",
  "CPU svc/wkr/PG/Redis (cores)",
  "PSS svc/wkr/PG/Redis (MiB)",
  "Heap used (MiB)",
  "SLO",
];

export function plateauCells(p: PlateauResult): string[] {
  const s = p.server;
  return [
    formatRps(p.offeredRps),
    formatRps(p.achievedRps),
    formatMs(p.latencyMs.p50, false),
    formatMs(p.latencyMs.p95, false),
    formatMs(p.latencyMs.p99, false),
    formatRate(p.errorRate),
    formatCount(p.droppedIterations),
    `${formatCores(p.generatorCpuCores)}${p.generatorSaturated ? " ⚠" : ""}`,
    formatMs(s.eventLoopLagP99Ms, false),
    formatCount(s.pgPoolWaitingMax),
    formatMs(s.redisCommandP99Ms, false),
    formatCount(s.streamLagMax),
    perProcess(s.cpuCores, formatCores),
    perProcess(s.pssMiB, formatMiB),
    formatMiB(s.serviceHeapMiB.used),
    p.meetsSlo ? "✓" : "✗",
  ];
}

export const PLATEAU_MARKS = { knee: "◆ knee", capacity: "● capacity" } as const;

/** The marks a plateau's row carries: where the knee is, and the plateau the capacity is taken from. */
export function plateauMarks(layer: LayerResult, p: PlateauResult, index: number): (keyof typeof PLATEAU_MARKS)[] {
  const marks: (keyof typeof PLATEAU_MARKS)[] = [];
  if (index === layer.knee_index) marks.push("knee");
  if (!layer.generator_limited && layer.capacity_rps !== null && p.offeredRps === layer.capacity_rps) marks.push("capacity");
  return marks;
}

export function kneeText(layer: LayerResult): string {
  const knee = layer.knee_index !== null ? layer.plateaus[layer.knee_index] : undefined;
  return knee ? `knee at ${formatRps(knee.offeredRps)} req/s (${knee.name})` : "no knee within the tested rates";
}
