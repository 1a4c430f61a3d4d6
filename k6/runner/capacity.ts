// Capacity search on measured plateaus: which plateaus meet the SLO, the capacity, what limited it,
// and where the latency curve has its knee. Pure functions, unit-tested on synthetic results.
// The ONE capacity rule: `make bench` (bench.ts) and the CapacityBenchmark controller
// (operator/src/capacity-benchmark) both judge plateaus and build layers with these functions.
import type { LadderStep } from "./ladder.ts";
import type { Baseline, LayerResult, LimitedBy, PlateauResult } from "./results.ts";

export interface CapacityRule {
  sloP99Ms: number;
  sloErrorRate: number;
  /** Cores the load generator may use before its own figures are suspect. */
  generatorCpuLimit: number;
}

/** The rule for one ladder step: latency the endpoint adds on purpose (delayed-hello's sleep) is added to the p99. */
export function ruleForStep(rule: CapacityRule, step: Pick<LadderStep, "sloAllowanceMs">): CapacityRule {
  return { ...rule, sloP99Ms: rule.sloP99Ms + (step.sloAllowanceMs ?? 0) };
}

/** One step's plateaus from its passes (ladder, then refinement), in offered-rate order. */
export function mergePasses(...passes: PlateauResult[][]): PlateauResult[] {
  return passes.flat().sort((a, b) => a.offeredRps - b.offeredRps);
}

export type MeasuredPlateau = Omit<PlateauResult, "meetsSlo" | "failedBecause" | "generatorSaturated">;

export function judgePlateau(plateau: MeasuredPlateau, rule: CapacityRule): PlateauResult {
  const failedBecause: string[] = [];
  const generatorSaturated = plateau.generatorCpuCores >= rule.generatorCpuLimit;
  if (plateau.requests === 0) failedBecause.push("no requests completed");
  if (plateau.latencyMs.p99 > rule.sloP99Ms) failedBecause.push(`p99 ${round(plateau.latencyMs.p99)} ms > SLO ${rule.sloP99Ms} ms`);
  if (plateau.errorRate > rule.sloErrorRate)
    failedBecause.push(`error rate ${(plateau.errorRate * 100).toFixed(2)}% > SLO ${(rule.sloErrorRate * 100).toFixed(2)}%`);
  if (plateau.droppedIterations > 0) failedBecause.push(`${plateau.droppedIterations} dropped iterations`);
  if (generatorSaturated) failedBecause.push(`load generator saturated (k6 at ${plateau.generatorCpuCores.toFixed(2)} cores)`);
  return { ...plateau, generatorSaturated, meetsSlo: failedBecause.length === 0, failedBecause };
}

export interface CapacityFinding {
  capacityIndex: number | null;
  limitedBy: LimitedBy;
  generatorLimited: boolean;
}

/**
 * Capacity is the highest plateau that meets the SLO with every lower plateau meeting it too: a
 * lucky pass above a failure is noise, not capacity. What limited it is the first failing
 * plateau's most fundamental reason; when the generator was that reason, no capacity is claimed.
 */
export function findCapacity(plateaus: PlateauResult[]): CapacityFinding {
  const ordered = [...plateaus].sort((a, b) => a.offeredRps - b.offeredRps);
  let capacity: number | null = null;
  for (let i = 0; i < ordered.length; i++) {
    if (!ordered[i]?.meetsSlo) break;
    capacity = i;
  }
  const firstFailure = ordered[capacity === null ? 0 : capacity + 1];
  const capacityIndex = capacity === null ? null : plateaus.indexOf(ordered[capacity] as PlateauResult);
  if (!firstFailure)
    return { capacityIndex, limitedBy: capacity === null ? "no_plateau_met_slo" : "highest_rate_tested", generatorLimited: false };
  if (firstFailure.generatorSaturated) return { capacityIndex: null, limitedBy: "load_generator", generatorLimited: true };
  if (capacity === null) return { capacityIndex: null, limitedBy: "no_plateau_met_slo", generatorLimited: false };
  const reasons = firstFailure.failedBecause.join(" ");
  const limitedBy: LimitedBy = reasons.includes("error rate")
    ? "slo_errors"
    : reasons.includes("p99")
      ? "slo_latency"
      : "dropped_iterations";
  return { capacityIndex, limitedBy, generatorLimited: false };
}

/**
 * The knee: the first plateau where latency leaves its low-load floor (p99 above twice the floor
 * and at least 5 ms more) or the service stops keeping up (achieved below 95% of offered).
 * The floor is the lowest p99 of the first two plateaus.
 */
export function findKnee(plateaus: PlateauResult[]): number | null {
  const ordered = [...plateaus].sort((a, b) => a.offeredRps - b.offeredRps);
  const floor = Math.min(...ordered.slice(0, 2).map((p) => p.latencyMs.p99));
  if (!Number.isFinite(floor)) return null;
  const knee = ordered.find(
    (p, i) => i > 0 && ((p.latencyMs.p99 > 2 * floor && p.latencyMs.p99 - floor >= 5) || p.achievedRps < 0.95 * p.offeredRps),
  );
  return knee ? plateaus.indexOf(knee) : null;
}

/** Rates for a refinement pass: evenly between the last passing and the first failing rate. */
export function refinementRates(plateaus: PlateauResult[], steps: number): number[] {
  if (steps <= 0) return [];
  const ordered = [...plateaus].sort((a, b) => a.offeredRps - b.offeredRps);
  const lastPass = [...ordered].reverse().find((p) => p.meetsSlo);
  const firstFail = ordered.find((p) => !p.meetsSlo && (!lastPass || p.offeredRps > lastPass.offeredRps));
  if (!lastPass || !firstFail) return [];
  const gap = firstFail.offeredRps - lastPass.offeredRps;
  return Array.from({ length: steps }, (_, i) => Math.round(lastPass.offeredRps + (gap * (i + 1)) / (steps + 1))).filter(
    (rate, i, all) => rate > lastPass.offeredRps && rate < firstFail.offeredRps && all.indexOf(rate) === i,
  );
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** One step's LayerResult (results.json) from its judged plateaus: capacity, what limited it, the knee. */
export function layerResult(
  step: Pick<LadderStep, "script" | "name" | "layer" | "endpoint" | "baseline">,
  plateaus: PlateauResult[],
  baselines: Baseline[],
): LayerResult {
  const { capacityIndex, limitedBy, generatorLimited } = findCapacity(plateaus);
  const atCapacity = capacityIndex === null ? undefined : plateaus[capacityIndex];
  const baseline = step.baseline ? baselines.find((b) => b.name === step.baseline) : undefined;
  const capacity = atCapacity?.offeredRps ?? null;
  return {
    script: step.script,
    name: step.name,
    layer: step.layer,
    endpoint: step.endpoint,
    capacity_rps: capacity,
    limited_by: limitedBy,
    p99_ms_at_capacity: atCapacity?.latencyMs.p99 ?? null,
    error_rate_at_capacity: atCapacity?.errorRate ?? null,
    dropped_iterations_at_capacity: atCapacity?.droppedIterations ?? null,
    knee_index: findKnee(plateaus),
    baseline: baseline?.name ?? null,
    ratio_to_baseline: baseline && capacity !== null ? Math.round((capacity / baseline.ops_per_second) * 1000) / 1000 : null,
    plateaus,
    generator_limited: generatorLimited,
  };
}
