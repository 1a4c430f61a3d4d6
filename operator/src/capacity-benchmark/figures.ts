// One plateau's figures as the cluster measures them (Prometheus over all runners, plus the controller's own
// replica samples), judged by THE capacity rule of k6/runner/capacity.ts, and mapped back to results.json's
// PlateauResult so the same layerResult/report code applies. Pure.
import { type CapacityRule, judgePlateau, layerResult, type MeasuredPlateau, ruleForStep } from "../../../k6/runner/capacity.ts";
import type { LayerResult, PlateauResult } from "../../../k6/runner/results.ts";
import { ladderStep } from "./plan.ts";
import type { PlateauStatus, Spec, StepStatus } from "./schema.ts";

export interface PlateauFigures {
  offeredRps: number;
  startedAt: string;
  endedAt: string;
  durationS: number;
  requests: number;
  failedRequests: number;
  droppedIterations: number;
  latencyMs: { avg: number; p50: number; p95: number; p99: number; max: number };
  serviceCpuCores: number | null;
  /** Busiest runner, cores. */
  runnerCpuCores: number;
  runnerCpuCoresTotal: number;
  hpaDesiredReplicas: number | null;
  readyReplicasMin: number | null;
  readyReplicasMax: number | null;
  podRequestShareMin: number | null;
}

/** The capacity rule of a benchmark for one step (the step's deliberate latency added, as make bench does). */
export function ruleOf(spec: Spec, script: string): CapacityRule {
  return ruleForStep(
    {
      sloP99Ms: spec.slo.p99Ms,
      sloErrorRate: spec.slo.errorRate,
      // Per runner: each runner is its own k6 process on its own CPU budget.
      generatorCpuLimit: spec.generatorGuard.runnerCpuCores,
    },
    ladderStep(script),
  );
}

const NO_SERVER = {
  eventLoopLagP99Ms: null,
  pgPoolWaitingMax: null,
  redisCommandP99Ms: null,
  streamLagMax: null,
  streamPendingMax: null,
  pssMiB: { service: null, worker: null, postgres: null, redis: null, mockSms: null },
  serviceRssMiB: null,
  serviceHeapMiB: { used: null, total: null, external: null },
};

function measured(f: Pick<PlateauStatus, keyof PlateauFigures>, index: number): MeasuredPlateau {
  return {
    name: `p${String(index).padStart(2, "0")}`,
    offeredRps: f.offeredRps,
    achievedRps: f.durationS > 0 ? f.requests / f.durationS : 0,
    durationS: f.durationS,
    requests: f.requests,
    failedRequests: f.failedRequests,
    errorRate: f.requests === 0 ? 0 : f.failedRequests / f.requests,
    droppedIterations: f.droppedIterations,
    latencyMs: f.latencyMs,
    vusMax: 0,
    vusCap: 0,
    checksPassRate: null,
    server: { ...NO_SERVER, cpuCores: { service: f.serviceCpuCores, worker: null, postgres: null, redis: null, mockSms: null } },
    generatorCpuCores: f.runnerCpuCores,
  };
}

export function judgeFigures(f: PlateauFigures, index: number, rule: CapacityRule): PlateauStatus {
  const judged = judgePlateau(measured(f, index), rule);
  return {
    ...f,
    achievedRps: judged.achievedRps,
    errorRate: judged.errorRate,
    meetsSlo: judged.meetsSlo,
    generatorSaturated: judged.generatorSaturated,
    failedBecause: judged.failedBecause,
  };
}

export function toPlateauResult(p: PlateauStatus, index: number): PlateauResult {
  return { ...measured(p, index), generatorSaturated: p.generatorSaturated, meetsSlo: p.meetsSlo, failedBecause: p.failedBecause };
}

/** The step's layer, by the same function `make bench` uses. */
export function stepLayer(script: string, plateaus: PlateauStatus[]): LayerResult {
  const ordered = [...plateaus].sort((a, b) => a.offeredRps - b.offeredRps);
  return layerResult(ladderStep(script), ordered.map(toPlateauResult), []);
}

export function stepStatus(script: string, plateaus: PlateauStatus[], done: boolean): StepStatus {
  const ordered = [...plateaus].sort((a, b) => a.offeredRps - b.offeredRps);
  const layer = stepLayer(script, ordered);
  return {
    script,
    capacity_rps: layer.capacity_rps,
    limited_by: layer.limited_by,
    p99_ms_at_capacity: layer.p99_ms_at_capacity,
    error_rate_at_capacity: layer.error_rate_at_capacity,
    knee_index: layer.knee_index,
    generator_limited: layer.generator_limited,
    done,
    plateaus: ordered,
  };
}
