// What the measured figures mean: the bottleneck of each flow from the cost model, recommendations
// whose expected gain is computed from it, and the checks that say whether the figures can be
// trusted. Pure functions.

import type { BenchResults, FlowCost, LayerCost, LayerResult, PlateauResult, Recommendation, ValidityCheck } from "./results.ts";

type Inputs = Pick<BenchResults, "layers" | "target_rps" | "environment" | "slo" | "cost_model" | "profiles" | "comparison">;

const byLayer = (results: Pick<BenchResults, "layers">, layer: LayerResult["layer"]) => results.layers.find((l) => l.layer === layer);
const fmt = (rps: number) => `${Math.round(rps).toLocaleString("en-US")} req/s`;
const ms = (value: number) => `${value.toFixed(value < 1 ? 3 : 2)} ms`;
const pct = (share: number) => `${Math.round(share * 100)}%`;
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
const RESOURCE_TEXT: Record<string, string> = {
  service: "the service's event loop (1 core)",
  worker: "the SMS worker's event loop (1 core)",
  postgres: "PostgreSQL",
  redis: "Redis (1 core)",
  mockSms: "the mock SMS provider",
  host: "the host as a whole (every process, k6 included)",
};

export function atCapacity(layer: LayerResult | undefined): PlateauResult | undefined {
  if (!layer || layer.capacity_rps === null) return undefined;
  return layer.plateaus.find((p) => p.offeredRps === layer.capacity_rps);
}

/** The first plateau above a layer's capacity: where and why it stopped meeting the SLO. */
export function firstAboveCapacity(layer: LayerResult | undefined): PlateauResult | undefined {
  if (!layer || layer.capacity_rps === null) return undefined;
  const capacity = layer.capacity_rps;
  return [...layer.plateaus].sort((a, b) => a.offeredRps - b.offeredRps).find((p) => p.offeredRps > capacity);
}

/**
 * An event loop this busy already queues callbacks for several times their own run time (M/M/1: wait ≈
 * ρ/(1−ρ) × service time): what waits behind it — pool checkouts, Redis replies — is its symptom.
 */
export const BUSY_CORES = 0.8;
const saturated = (p: PlateauResult) => (p.server.cpuCores.service ?? 0) >= BUSY_CORES;

/**
 * Signals that look like causes but appear only where the event loop was already saturated: pool
 * waiting, Redis command latency. They are named as symptoms so nobody tunes them first.
 */
export function symptoms(results: Pick<BenchResults, "layers">): string[] {
  const found: string[] = [];
  for (const layer of results.layers) {
    for (const p of layer.plateaus) {
      if ((p.server.pgPoolWaitingMax ?? 0) > 0 && saturated(p)) {
        found.push(
          `${layer.name} at ${fmt(p.offeredRps)}: up to ${p.server.pgPoolWaitingMax} requests waited for a PostgreSQL connection while the service used ${p.server.cpuCores.service?.toFixed(2)} cores — a symptom of a busy event loop (callbacks queue behind CPU work), not a pool too small.`,
        );
        break;
      }
    }
  }
  return found;
}

function flowSentence(flow: FlowCost, cost: LayerCost | undefined): string {
  const ranked = [...flow.parts].filter((p) => p.ms !== null && p.ms > 0).sort((a, b) => (b.ms ?? 0) - (a.ms ?? 0));
  const parts = ranked.map((p) => `${p.id === "residual" ? "residual" : p.label} ${ms(p.ms ?? 0)} (${pct(p.share ?? 0)})`).join("; ");
  const basis = cost ? ` (plateaus ${cost.plateaus_rps.map((r) => fmt(r)).join(" and ")})` : "";
  return `Its ${ms(flow.total_ms)} of service CPU per request${basis} decompose into: ${parts}.`;
}

/** Each flow's bottleneck: the resource whose cost predicts the lowest capacity, and what that cost is made of. */
export function findBottleneck(results: Inputs): BenchResults["bottleneck"] {
  const flowName = byLayer(results, "full-send") ? "full-send" : "full-verify";
  const flow = byLayer(results, flowName);
  const bounds = results.cost_model.bounds[flowName] ?? [];
  const cost = results.cost_model.layers.find((c) => c.layer === flowName);
  const decomposition = results.cost_model.flows.find((f) => f.flow === flowName);
  const found = symptoms(results);
  const first = bounds[0];
  if (!flow || !first || !cost) {
    return {
      flow: flowName,
      bounded_by: null,
      headroom_ratio: null,
      explanation: "The flows have no cost in this run (no plateau with CPU figures).",
      resources: bounds,
      symptoms: found,
    };
  }
  const measured = flow.capacity_rps;
  const ratio = measured !== null ? round(measured / first.predicted_capacity_rps, 2) : null;
  const others = bounds
    .slice(1)
    .map((b) => `${RESOURCE_TEXT[b.resource] ?? b.resource} ${ms(b.ms_per_request)} per request (~${fmt(b.predicted_capacity_rps)})`)
    .join(", ");
  const profile = results.profiles.find((p) => p.layer === flowName);
  const profileText = profile
    ? ` Its CPU profile at ${fmt(profile.offered_rps)} attributes the busy time to: ${profile.categories
        .filter((c) => c.id !== "idle")
        .slice(0, 5)
        .map((c) => `${c.label.split(":")[0]} ${pct(c.share_of_busy)}`)
        .join(", ")}.`
    : "";
  return {
    flow: flowName,
    bounded_by: first.resource,
    headroom_ratio: ratio,
    explanation:
      `${flow.name}: ${RESOURCE_TEXT[first.resource] ?? first.resource} spends ${ms(first.ms_per_request)} of CPU per request, so it cannot serve more than ~${fmt(first.predicted_capacity_rps)}` +
      (measured !== null
        ? `; the flow met the SLO up to ${fmt(measured)} (×${ratio?.toFixed(2)} of that ceiling: queueing raises p99 before the core is fully busy).`
        : "; the flow met the SLO at no tested rate.") +
      (others ? ` The other resources would allow more: ${others}.` : "") +
      (decomposition ? ` ${flowSentence(decomposition, cost)}` : "") +
      profileText,
    resources: bounds,
    symptoms: found,
  };
}

function severity(gain: number): Recommendation["severity"] {
  return gain >= 1.5 ? "high" : gain >= 1.15 ? "medium" : "low";
}

function recommendation(base: Omit<Recommendation, "severity">): Recommendation | null {
  // A change whose model-predicted gain is not above 1 is not worth recommending.
  if (!(base.gain_ratio > 1.01)) return null;
  return { ...base, gain_ratio: round(base.gain_ratio, 2), severity: severity(base.gain_ratio) };
}

export function recommend(results: Inputs): Recommendation[] {
  const recs: (Recommendation | null)[] = [];
  const send = byLayer(results, "full-send");
  const sendCost = results.cost_model.layers.find((c) => c.layer === "full-send");
  const sendMs = sendCost?.ms_per_request.service ?? null;
  const sendFlow = results.cost_model.flows.find((f) => f.flow === "full-send");
  const part = (id: string) => sendFlow?.parts.find((p) => p.id === id)?.ms ?? null;
  const capacity = send?.capacity_rps ?? null;
  const after = (gain: number) => (capacity !== null ? ` (from ${fmt(capacity)} to ~${fmt(capacity * gain)})` : "");

  // 1. The SMS worker in its own process, from the worker-split comparison.
  if (results.comparison?.id === "worker-split") {
    const [inProcess, split] = results.comparison.variants.map((v) => v.costs.find((c) => c.layer === "full-send"));
    const inMs = inProcess?.ms_per_request.service;
    const apiMs = split?.ms_per_request.service;
    const workerMs = split?.ms_per_request.worker;
    if (inMs && apiMs) {
      recs.push(
        recommendation({
          id: "separate-sms-worker",
          title: "Run the SMS worker as its own Deployment (SMS_WORKER_ENABLED=false on the API)",
          evidence: `With the worker in the API process a send costs that process ${ms(inMs)} of CPU; with the worker in its own process the API pays ${ms(apiMs)} and the worker ${ms(workerMs ?? 0)}.`,
          expected_gain: `The API's capacity per core ×${(inMs / apiMs).toFixed(2)} (${fmt(1000 / inMs)} → ${fmt(1000 / apiMs)} per event loop); delivery scales on its own.`,
          gain_ratio: inMs / apiMs,
          rerun: "make bench-worker-split",
        }),
      );
    }
  }

  // 2. Telemetry, from the comparison when there is one, else from the flow's profile (an upper bound).
  const telemetry = results.comparison?.id === "telemetry" ? results.comparison : null;
  const onMs = telemetry?.variants.find((v) => v.id === "on")?.costs.find((c) => c.layer === "full-send")?.ms_per_request.service;
  const offMs = telemetry?.variants.find((v) => v.id === "off")?.costs.find((c) => c.layer === "full-send")?.ms_per_request.service;
  const sendProfile = results.profiles.find((p) => p.layer === "full-send");
  const telemetryShare = sendProfile?.categories
    .filter((c) => c.id === "opentelemetry" || c.id === "pino")
    .reduce((sum, c) => sum + c.share_of_busy, 0);
  if (onMs && offMs) {
    recs.push(
      recommendation({
        id: "telemetry-cost",
        title: "Cut the per-request telemetry cost (head sampling, fewer spans per request, leaner access log)",
        evidence: `A send costs ${ms(onMs)} with tracing and the access log on and ${ms(offMs)} with both off, measured side by side in this run.`,
        expected_gain: `Up to ×${(onMs / offMs).toFixed(2)} send capacity per core if telemetry were free; sampling keeps most of it.`,
        gain_ratio: onMs / offMs,
        rerun: "make bench-telemetry",
      }),
    );
  } else if (sendProfile && telemetryShare && telemetryShare > 0.05) {
    recs.push(
      recommendation({
        id: "telemetry-cost",
        title: "Measure and cut the per-request telemetry cost",
        evidence: `OpenTelemetry and pino account for ${pct(telemetryShare)} of the service's busy time in the send flow's CPU profile at ${fmt(sendProfile.offered_rps)}.`,
        expected_gain: `At most ×${(1 / (1 - telemetryShare)).toFixed(2)} send capacity per core if that time went to zero${after(1 / (1 - telemetryShare))}.`,
        gain_ratio: 1 / (1 - telemetryShare),
        rerun: "make bench-telemetry",
      }),
    );
  }

  // 3. The tenant-settings SELECT, which the in-process cache removes from every send.
  const selectMs = part("tenant-select");
  const cacheOff = Number(results.environment.config.TENANT_CACHE_TTL_MS ?? 0) === 0;
  if (cacheOff && sendMs && selectMs && selectMs > 0 && selectMs < sendMs) {
    const gain = sendMs / (sendMs - selectMs);
    recs.push(
      recommendation({
        id: "cache-tenant-settings",
        title: "Cache tenant settings in process (TENANT_CACHE_TTL_MS)",
        evidence: `The tenant-settings SELECT costs the service ${ms(selectMs)} per send (the SELECT layer above the /hello floor), ${pct(selectMs / sendMs)} of the send's ${ms(sendMs)}; PostgreSQL's own share is in the cost model.`,
        expected_gain: `Send capacity per core ×${gain.toFixed(2)}${after(gain)}.`,
        gain_ratio: gain,
        rerun: "TENANT_CACHE_TTL_MS=60000 BENCH_ONLY=11-send-flow make bench",
      }),
    );
  }

  // 4. The framework floor every request pays, against bare node:http.
  const bareMs = results.cost_model.layers.find((c) => c.layer === "baseline")?.ms_per_request.service;
  const helloMs = part("framework");
  if (sendMs && bareMs && helloMs && helloMs > 2 * bareMs) {
    const saved = helloMs - 2 * bareMs;
    const gain = sendMs / (sendMs - saved);
    recs.push(
      recommendation({
        id: "framework-floor",
        title: "Trim the per-request floor (middleware, per-request logging and span work)",
        evidence: `GET /hello costs ${ms(helloMs)} of CPU against ${ms(bareMs)} for bare node:http (×${(helloMs / bareMs).toFixed(1)}); every request pays it.`,
        expected_gain: `Bringing the floor to 2× bare node:http saves ${ms(saved)} per send: ×${gain.toFixed(2)} send capacity per core${after(gain)}.`,
        gain_ratio: gain,
        rerun: "BENCH_ONLY=01-bare-node-hello,02-express-hello,11-send-flow make bench",
      }),
    );
  }

  // 5. Scale out: the event loop bounds the flow while the dependencies have headroom.
  const bounds = results.cost_model.bounds["full-send"] ?? [];
  const serviceBound = bounds[0];
  if (capacity && serviceBound && (serviceBound.resource === "service" || serviceBound.resource === "host")) {
    const utilisation = 0.7;
    const replicas = Math.ceil(results.target_rps / (capacity * utilisation));
    const dependency = bounds.find((b) => b.resource === "redis" || b.resource === "postgres");
    const ceiling = dependency ? dependency.predicted_capacity_rps : Number.POSITIVE_INFINITY;
    const served = Math.min(replicas * capacity * utilisation, ceiling);
    if (replicas > 1) {
      recs.push(
        recommendation({
          id: "scale-out",
          title: `Scale out to ${replicas} replicas for ${fmt(results.target_rps)}`,
          evidence: `One instance sends ${fmt(capacity)} within the SLO, bounded by ${RESOURCE_TEXT[serviceBound.resource] ?? serviceBound.resource}${dependency ? `; ${RESOURCE_TEXT[dependency.resource]} would allow ~${fmt(dependency.predicted_capacity_rps)} at ${ms(dependency.ms_per_request)} per send` : ""}.`,
          expected_gain: `${replicas} replicas at ${utilisation * 100}% of measured capacity serve ~${fmt(served)}${served < replicas * capacity * utilisation ? ` (capped by ${dependency?.resource})` : ""}.`,
          gain_ratio: served / capacity,
          rerun: "make bench-cluster (the ladder as distributed TestRuns against the scaled Deployment)",
        }),
      );
    }
  }

  // 6. Pool waiting where the event loop still had headroom: then connections really are short.
  for (const layer of [byLayer(results, "postgres-select"), send]) {
    if (!layer || layer.capacity_rps === null) continue;
    const above = firstAboveCapacity(layer);
    if (!above || saturated(above) || (above.server.pgPoolWaitingMax ?? 0) === 0) continue;
    const poolMax = Number(results.environment.config.PG_POOL_MAX ?? 10);
    recs.push(
      recommendation({
        id: `pg-pool-${layer.layer}`,
        title: `Raise PG_POOL_MAX (${layer.name})`,
        evidence: `At ${fmt(above.offeredRps)}, just above the capacity of ${fmt(layer.capacity_rps)}, up to ${above.server.pgPoolWaitingMax} requests waited for one of ${poolMax} connections while the service used only ${above.server.cpuCores.service?.toFixed(2)} cores.`,
        expected_gain: `That plateau could pass: capacity ×${(above.offeredRps / layer.capacity_rps).toFixed(2)} (${fmt(layer.capacity_rps)} → ${fmt(above.offeredRps)}).`,
        gain_ratio: above.offeredRps / layer.capacity_rps,
        rerun: `PG_POOL_MAX=${poolMax * 2} BENCH_ONLY=${layer.script} make bench`,
      }),
    );
  }

  return recs.filter((r): r is Recommendation => r !== null).sort((a, b) => b.gain_ratio - a.gain_ratio || a.id.localeCompare(b.id));
}

export function validityChecks(results: Inputs & Pick<BenchResults, "baselines">, cores: number): ValidityCheck[] {
  const checks: ValidityCheck[] = [];
  const measured = results.layers.filter((l) => l.plateaus.length > 0);
  const missing = results.layers.filter((l) => l.plateaus.length === 0);
  checks.push({
    id: "every-script-measured",
    passed: missing.length === 0,
    detail:
      missing.length === 0
        ? `All ${results.layers.length} scripts produced plateaus.`
        : `No data from: ${missing.map((l) => l.name).join(", ")} (k6 failed before its main phase; see its .k6.log in the run folder).`,
  });
  const generatorLimited = measured.filter((l) => l.generator_limited);
  checks.push({
    id: "generator-not-bottleneck",
    passed: generatorLimited.length === 0,
    detail:
      generatorLimited.length === 0
        ? "k6 stayed below its CPU limit on every plateau that counts towards a capacity."
        : `The load generator was the limit for: ${generatorLimited.map((l) => l.name).join(", ")}; no capacity is claimed for them (their CPU per request still holds).`,
  });
  const nonMonotonic = measured.filter((l) => {
    const ordered = [...l.plateaus].sort((a, b) => a.offeredRps - b.offeredRps);
    const firstFail = ordered.findIndex((p) => !p.meetsSlo);
    return firstFail >= 0 && ordered.slice(firstFail).some((p) => p.meetsSlo);
  });
  checks.push({
    id: "monotonic",
    passed: nonMonotonic.length === 0,
    detail:
      nonMonotonic.length === 0
        ? "Every layer passed the SLO up to a rate and failed above it."
        : `Noisy: a plateau passed above a failing one for ${nonMonotonic.map((l) => l.name).join(", ")} (capacity taken below the first failure).`,
  });
  const offTarget = measured.filter((l) => {
    const p = atCapacity(l);
    return p !== undefined && p.achievedRps < 0.97 * p.offeredRps;
  });
  checks.push({
    id: "achieved-matches-offered",
    passed: offTarget.length === 0,
    detail:
      offTarget.length === 0
        ? "At every capacity the achieved rate is within 3% of the offered rate."
        : `Achieved < 97% of offered at capacity for ${offTarget.map((l) => l.name).join(", ")}.`,
  });
  const contended = measured.filter((l) => {
    const p = atCapacity(l);
    if (!p) return false;
    const used = Object.values(p.server.cpuCores).reduce<number>((sum, v) => sum + (v ?? 0), 0);
    return used + p.generatorCpuCores > cores * 0.9;
  });
  checks.push({
    id: "host-cpu-headroom",
    passed: contended.length === 0,
    detail:
      contended.length === 0
        ? `At capacity the service, its databases and k6 together used under 90% of the host's ${cores} cores.`
        : `On ${cores} cores the service, its databases and k6 compete for CPU at capacity for ${contended.map((l) => l.name).join(", ")}: these capacities are of this host, not of the service alone; the cost model's CPU per request still holds.`,
  });
  const weakCosts = results.cost_model.layers.filter((c) => c.basis !== "below-saturation");
  checks.push({
    id: "cost-from-clean-plateaus",
    passed: weakCosts.length === 0,
    detail:
      weakCosts.length === 0
        ? "Every layer's CPU per request comes from plateaus that met the SLO with the event loop and the generator unsaturated."
        : `No clean plateau for ${weakCosts.map((c) => c.name).join(", ")}: their CPU per request comes from the lowest plateau and may include saturation.`,
  });
  checks.push({
    id: "baselines-same-run",
    passed: results.baselines.length >= 4,
    detail: `${results.baselines.length} physical-limit baselines measured in this run, on the same host, minutes apart from the layers.`,
  });
  return checks;
}
