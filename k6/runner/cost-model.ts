// The cost model: what one request costs in CPU, per process, per layer and per flow. On a host where
// one event loop serves every layer in sequence, capacity follows from cost: a process that spends
// c ms of CPU per request cannot serve more than 1000 / c req/s per core it can use. The model turns
// the plateaus' CPU figures into those costs, decomposes each flow into the layers it is made of
// plus a named residual, and ranks the resources by the capacity their cost predicts. Pure functions.
import type { CostModel, FlowCost, LayerCost, LayerResult, PlateauResult, ResourceBound } from "./results.ts";
import { PROCESSES, type ProcessName } from "./sampler.ts";

/** A plateau where the event loop used more than this many cores is saturated: its CPU per request is not a cost. */
export const SATURATED_CORES = 0.9;
/** How many of the highest unsaturated plateaus the cost is taken from: near capacity, where per-turn overheads are amortised. */
export const COST_PLATEAUS = 2;

export type IdleCores = Partial<Record<ProcessName, number | null>>;

/**
 * The plateaus a cost can be read from: the SLO met, the generator and the event loop unsaturated.
 * Not the latency knee: p99 leaves its floor long before the CPU runs out (at a third of capacity for
 * the cheap layers here), and CPU per request keeps falling up to saturation as each event-loop turn
 * serves more requests. The highest such plateaus are the ones that predict capacity.
 */
export function costPlateaus(layer: LayerResult): PlateauResult[] {
  return [...layer.plateaus]
    .filter(
      (p) =>
        p.meetsSlo && !p.generatorSaturated && p.achievedRps >= 0.97 * p.offeredRps && (p.server.cpuCores.service ?? 0) < SATURATED_CORES,
    )
    .sort((a, b) => a.offeredRps - b.offeredRps);
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** CPU ms per request of one process on one plateau, its idle use taken out; null when it did not run. */
export function msPerRequest(cores: number | null | undefined, idle: number | null | undefined, achievedRps: number): number | null {
  if (cores === null || cores === undefined || achievedRps <= 0) return null;
  return (Math.max(0, cores - (idle ?? 0)) * 1000) / achievedRps;
}

/** `rates`: read the cost only at these offered rates (a comparison reads every variant at the same ones). */
export function layerCost(layer: LayerResult, idle: IdleCores, rates?: number[]): LayerCost {
  const clean = costPlateaus(layer).filter((p) => !rates || rates.includes(p.offeredRps));
  // With no clean plateau, the lowest one still says something; the basis field says it is weaker.
  const lowest = [...layer.plateaus].filter((p) => p.requests > 0).sort((a, b) => a.offeredRps - b.offeredRps)[0];
  const basis = clean.length > 0 ? clean.slice(-COST_PLATEAUS) : lowest ? [lowest] : [];
  const perProcess = Object.fromEntries(
    PROCESSES.map((name) => {
      const values = basis
        .map((p) => msPerRequest(p.server.cpuCores[name], idle[name], p.achievedRps))
        .filter((v): v is number => v !== null);
      const value = median(values);
      return [name, value === null ? null : round3(value)];
    }),
  ) as LayerCost["ms_per_request"];
  const generator = median(basis.map((p) => (p.generatorCpuCores * 1000) / Math.max(p.achievedRps, 1e-9)));
  const service = perProcess.service;
  const predicted = service && service > 0 ? Math.round(1000 / service) : null;
  return {
    script: layer.script,
    layer: layer.layer,
    name: layer.name,
    basis: clean.length > 0 ? "below-saturation" : basis.length > 0 ? "lowest-plateau" : "none",
    plateaus_rps: basis.map((p) => p.offeredRps),
    ms_per_request: perProcess,
    generator_ms_per_request: generator === null ? null : round3(generator),
    predicted_capacity_per_core_rps: predicted,
    measured_capacity_rps: layer.capacity_rps,
    measured_over_predicted: predicted && layer.capacity_rps ? round3(layer.capacity_rps / predicted) : null,
  };
}

interface FlowPart {
  id: string;
  label: string;
  /** The layer whose cost, less the framework floor, this part is; null for the floor itself. */
  layer: LayerResult["layer"] | null;
}

/** What each flow is made of, in the order a request pays for it. */
export const FLOW_PARTS: Record<"full-send" | "full-verify", { parts: FlowPart[]; residual: string }> = {
  "full-send": {
    parts: [
      { id: "framework", label: "Express + middleware + telemetry floor (/hello)", layer: "framework" },
      { id: "tenant-select", label: "tenant settings SELECT (pg client)", layer: "postgres-select" },
      { id: "code-hmac", label: "code from the CSPRNG + HMAC", layer: "cpu" },
      { id: "redis", label: "Redis client (the layer's SET + GET)", layer: "redis" },
    ],
    residual:
      "not isolated by any layer: the in-process SMS worker (stream read, provider call, send-log batch), API-key auth, body validation, the send Lua script's arguments and reply, and the spans and log lines of a longer request",
  },
  "full-verify": {
    parts: [
      { id: "framework", label: "Express + middleware + telemetry floor (/hello)", layer: "framework" },
      { id: "tenant-select", label: "tenant settings SELECT (pg client)", layer: "postgres-select" },
      { id: "redis", label: "Redis client (the layer's SET + GET)", layer: "redis" },
    ],
    residual:
      "not isolated by any layer: API-key auth, body validation, the code's HMAC, the verify Lua script's arguments and reply, and the spans and log lines of a longer request",
  },
};

export function flowCost(flow: "full-send" | "full-verify", costs: LayerCost[]): FlowCost | null {
  const byLayer = (layer: string) => costs.find((c) => c.layer === layer);
  const total = byLayer(flow)?.ms_per_request.service;
  if (total === null || total === undefined) return null;
  const floor = byLayer("framework")?.ms_per_request.service ?? null;
  const parts = FLOW_PARTS[flow].parts.map((part) => {
    const own = part.layer === null ? null : byLayer(part.layer)?.ms_per_request.service;
    // A layer endpoint pays the framework floor too: its own part is what it costs above /hello.
    const ms = own === null || own === undefined ? null : part.id === "framework" ? own : floor === null ? null : Math.max(0, own - floor);
    return { id: part.id, label: part.label, layer: part.layer, ms: ms === null ? null : round3(ms) };
  });
  const known = parts.reduce((sum, p) => sum + (p.ms ?? 0), 0);
  const residual = round3(Math.max(0, total - known));
  const all = [...parts, { id: "residual", label: FLOW_PARTS[flow].residual, layer: null, ms: residual }];
  return {
    flow,
    process: "service",
    total_ms: total,
    parts: all.map((p) => ({ ...p, share: p.ms === null ? null : round3(p.ms / total) })),
    other_processes_ms: Object.fromEntries(
      PROCESSES.filter((p) => p !== "service").map((p) => [p, byLayer(flow)?.ms_per_request[p] ?? null]),
    ) as FlowCost["other_processes_ms"],
  };
}

/**
 * Each resource the flow uses, with the capacity its cost predicts: an event loop (service, worker) or
 * Redis has one core; PostgreSQL's backends and the host as a whole have every core. The lowest
 * prediction is the bottleneck; the host line says when everything together, k6 included, runs out first.
 */
export function resourceBounds(cost: LayerCost, cores: number): ResourceBound[] {
  const coresOf: Record<ProcessName, number> = { service: 1, worker: 1, redis: 1, postgres: cores, mockSms: 1 };
  const bounds: ResourceBound[] = PROCESSES.flatMap((name) => {
    const ms = cost.ms_per_request[name];
    if (ms === null || ms <= 0) return [];
    return [{ resource: name, ms_per_request: ms, cores: coresOf[name], predicted_capacity_rps: Math.round((coresOf[name] * 1000) / ms) }];
  });
  const hostMs = PROCESSES.reduce((sum, name) => sum + (cost.ms_per_request[name] ?? 0), 0) + (cost.generator_ms_per_request ?? 0);
  if (hostMs > 0) {
    bounds.push({ resource: "host", ms_per_request: round3(hostMs), cores, predicted_capacity_rps: Math.round((cores * 1000) / hostMs) });
  }
  return bounds.sort((a, b) => a.predicted_capacity_rps - b.predicted_capacity_rps);
}

export function buildCostModel(layers: LayerResult[], idle: IdleCores, cores: number): CostModel {
  // The bare node:http baseline is its own process, not the service: the service's idle use is not its.
  const costs = layers.map((layer) => layerCost(layer, layer.layer === "baseline" ? { ...idle, service: 0 } : idle));
  const flows = (["full-send", "full-verify"] as const).map((flow) => flowCost(flow, costs)).filter((f): f is FlowCost => f !== null);
  const bounds: CostModel["bounds"] = {};
  for (const cost of costs) {
    if (cost.layer === "full-send" || cost.layer === "full-verify") bounds[cost.layer] = resourceBounds(cost, cores);
  }
  return {
    idle_cores: Object.fromEntries(PROCESSES.map((p) => [p, idle[p] ?? null])) as CostModel["idle_cores"],
    layers: costs,
    flows,
    bounds,
  };
}

/**
 * The costs of one script under each variant of a comparison, read at the same offered rates: CPU per
 * request falls with the rate, so costs from different rates would compare the rates, not the variants.
 * The rates are the highest ones clean in every variant; with none in common each variant uses its own.
 */
export function comparableCosts(variants: { layer: LayerResult; idle: IdleCores }[]): LayerCost[] {
  const cleanRates = variants.map((v) => new Set(costPlateaus(v.layer).map((p) => p.offeredRps)));
  const common = [...(cleanRates[0] ?? [])].filter((rate) => cleanRates.every((set) => set.has(rate))).sort((a, b) => a - b);
  const rates = common.length > 0 ? common.slice(-COST_PLATEAUS) : undefined;
  return variants.map((v) => layerCost(v.layer, v.idle, rates));
}
