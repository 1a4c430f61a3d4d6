// Synthetic measurements for the pure analysis functions: a plateau with sensible defaults.
import { judgePlateau, type MeasuredPlateau } from "../capacity.ts";
import { layerCost } from "../cost-model.ts";
import type { BenchResults, LayerResult, PlateauResult, ServerSignals } from "../results.ts";

export const RULE = { sloP99Ms: 50, sloErrorRate: 0.01, generatorCpuLimit: 0.9 };

const quietServer: ServerSignals = {
  eventLoopLagP99Ms: 11,
  pgPoolWaitingMax: 0,
  redisCommandP99Ms: 0.5,
  streamLagMax: 0,
  streamPendingMax: 0,
  cpuCores: { service: 0.3, worker: null, postgres: 0.1, redis: 0.05, mockSms: 0.02 },
  pssMiB: { service: 90, worker: null, postgres: 60, redis: 8, mockSms: 50 },
  serviceRssMiB: 110,
  serviceHeapMiB: { used: 30, total: 45, external: 4 },
};

export function plateau(offeredRps: number, p99: number, overrides: Partial<MeasuredPlateau> = {}): PlateauResult {
  const requests = offeredRps * 10;
  return judgePlateau(
    {
      name: `p${offeredRps}`,
      offeredRps,
      achievedRps: offeredRps,
      durationS: 10,
      requests,
      failedRequests: 0,
      errorRate: 0,
      droppedIterations: 0,
      latencyMs: { avg: p99 / 4, p50: p99 / 5, p95: p99 / 2, p99, max: p99 * 2 },
      vusMax: 20,
      vusCap: 400,
      checksPassRate: 1,
      server: structuredClone(quietServer),
      generatorCpuCores: 0.2,
      ...overrides,
    },
    RULE,
  );
}

export function layer(layerName: LayerResult["layer"], capacity: number | null, overrides: Partial<LayerResult> = {}): LayerResult {
  const plateaus = capacity === null ? [plateau(100, 80)] : [plateau(capacity / 2, 5), plateau(capacity, 20), plateau(capacity * 1.5, 120)];
  return {
    script: layerName,
    name: layerName,
    layer: layerName,
    endpoint: "/",
    capacity_rps: capacity,
    limited_by: capacity === null ? "no_plateau_met_slo" : "slo_latency",
    p99_ms_at_capacity: capacity === null ? null : 20,
    error_rate_at_capacity: capacity === null ? null : 0,
    dropped_iterations_at_capacity: capacity === null ? null : 0,
    knee_index: capacity === null ? null : 2,
    baseline: null,
    ratio_to_baseline: null,
    plateaus,
    generator_limited: false,
    ...overrides,
  };
}

/**
 * A layer whose processes spend a fixed CPU cost per request (ms) on top of their idle use, with
 * plateaus at half, three quarters, all and 1.5× its capacity; the knee is the last one.
 */
export function costedLayer(
  layerName: LayerResult["layer"],
  capacity: number,
  msPerRequest: Partial<Record<keyof ServerSignals["cpuCores"], number>>,
  idle: Partial<Record<keyof ServerSignals["cpuCores"], number>> = {},
): LayerResult {
  const rates = [capacity / 2, (capacity * 3) / 4, capacity, capacity * 1.5];
  const plateaus = rates.map((rate, i) => {
    const p = plateau(rate, i === 3 ? 120 : 5 + i * 5);
    p.server.cpuCores = Object.fromEntries(
      Object.keys(quietServer.cpuCores).map((name) => {
        const ms = msPerRequest[name as keyof typeof msPerRequest];
        if (ms === undefined) return [name, null];
        return [name, Math.min(name === "service" ? 1 : 2, (idle[name as keyof typeof idle] ?? 0) + (ms * rate) / 1000)];
      }),
    ) as ServerSignals["cpuCores"];
    return p;
  });
  return layer(layerName, capacity, { plateaus, knee_index: 3, capacity_rps: capacity });
}

/** One variant of a comparison run (idle cores zero), its costs from the layers' own plateaus. */
export function variant(id: string, layers: LayerResult[]): NonNullable<BenchResults["comparison"]>["variants"][number] {
  return {
    id,
    label: id,
    env: {},
    separate_worker: id === "separate-worker",
    idle_cores: { service: 0, worker: null, postgres: null, redis: null, mockSms: null },
    layers,
    costs: layers.map((l) => layerCost(l, {})),
  };
}
