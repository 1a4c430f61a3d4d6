// What the measured figures mean: the bottleneck of the full send flow, recommendations with an
// expected gain, and the checks that say whether the figures can be trusted. Pure functions.
import type { BenchResults, LayerResult, PlateauResult, Recommendation, ValidityCheck } from "./results.ts";

type Layers = Pick<BenchResults, "layers" | "target_rps" | "environment" | "slo">;

const SEND_FLOW_PARTS = ["framework", "cpu", "redis", "postgres-select"] as const;

const byLayer = (results: Layers, layer: LayerResult["layer"]) => results.layers.find((l) => l.layer === layer);
const fmt = (rps: number) => `${Math.round(rps).toLocaleString("en-US")} req/s`;

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

/** The send flow against the layers it is made of: which bounds it, and how close it gets. */
export function findBottleneck(results: Layers): BenchResults["bottleneck"] {
  const send = byLayer(results, "full-send");
  const parts = SEND_FLOW_PARTS.map((layer) => byLayer(results, layer)).filter((l): l is LayerResult => l?.capacity_rps != null);
  if (!send || send.capacity_rps === null || parts.length === 0) {
    return {
      flow: "full-send",
      bounded_by: null,
      headroom_ratio: null,
      explanation: "The send flow or its layers have no measured capacity in this run.",
    };
  }
  const weakest = parts.reduce((a, b) => ((a.capacity_rps as number) <= (b.capacity_rps as number) ? a : b));
  const ratio = send.capacity_rps / (weakest.capacity_rps as number);
  const lowerBound = weakest.limited_by === "highest_rate_tested";
  return {
    flow: "full-send",
    bounded_by: weakest.layer,
    headroom_ratio: round(ratio, 2),
    explanation:
      `The send flow reaches ${fmt(send.capacity_rps)}, ${Math.round(ratio * 100)}% of its weakest layer alone, ` +
      `${weakest.name} (${fmt(weakest.capacity_rps as number)}). A request pays for every layer in turn on one event loop, ` +
      `so the flow's capacity is below the weakest layer's; the gap is the cost of the other layers.` +
      (lowerBound
        ? ` No layer saturated at the rates tested (${weakest.name}'s figure is a lower bound): the flow is bounded by paying for all of them on one core, not by one of them alone.`
        : ""),
  };
}

export function recommend(results: Layers): Recommendation[] {
  const recommendations: Recommendation[] = [];
  const send = byLayer(results, "full-send");
  const select = byLayer(results, "postgres-select");
  const insert = byLayer(results, "postgres-insert");
  const cpu = byLayer(results, "cpu");
  const redis = byLayer(results, "redis");
  const framework = byLayer(results, "framework");
  const cacheOff = Number(results.environment.config.TENANT_CACHE_TTL_MS ?? 0) === 0;

  // 1. Tenant settings: a SELECT per request that the cache would remove.
  if (send?.capacity_rps && select?.capacity_rps && cacheOff) {
    const others = [cpu, redis, framework].map((l) => l?.capacity_rps).filter((c): c is number => typeof c === "number");
    const next = others.length > 0 ? Math.min(...others) : null;
    if (next !== null && select.capacity_rps <= Math.min(...others) * 1.1) {
      const expected = send.capacity_rps * (next / select.capacity_rps);
      recommendations.push({
        id: "cache-tenant-settings",
        title: "Cache tenant settings in process (TENANT_CACHE_TTL_MS)",
        evidence: `The tenant-settings SELECT alone tops out at ${fmt(select.capacity_rps)}, the lowest of the send flow's synchronous layers; every send pays for it.`,
        expected_gain: `Send flow up to ×${round(next / select.capacity_rps, 2)} (from ${fmt(send.capacity_rps)} to ~${fmt(expected)}), then bounded by the next layer at ${fmt(next)}.`,
        severity: next / select.capacity_rps >= 1.3 ? "high" : "medium",
      });
    }
  }

  // 2. Inserts: one commit per row is the slowest storage path; keep it off the request path.
  if (insert?.capacity_rps && send?.capacity_rps) {
    const batch = Number(results.environment.config.SEND_LOG_BATCH_SIZE ?? 1);
    const needed = results.target_rps;
    recommendations.push({
      id: "batch-inserts",
      title: "Keep the send log batched and asynchronous",
      evidence: `A single-row INSERT with its own commit sustains ${fmt(insert.capacity_rps)}${needed > insert.capacity_rps ? `, below the target of ${fmt(needed)}` : ""}; the send flow writes its log asynchronously in batches of ${batch}, one commit per batch.`,
      expected_gain: `Batching divides commits by up to ${batch}: the log keeps up with ~${fmt(insert.capacity_rps * Math.max(batch, 1))} of sends instead of ${fmt(insert.capacity_rps)}.`,
      severity: insert.capacity_rps < send.capacity_rps ? "high" : "low",
    });
  }

  // 3. Scale out to the target rate.
  const flowCapacity = send?.capacity_rps;
  if (flowCapacity) {
    const utilisation = 0.7;
    const replicas = Math.ceil(results.target_rps / (flowCapacity * utilisation));
    if (flowCapacity < results.target_rps || replicas > 1) {
      recommendations.push({
        id: "scale-out",
        title: `Scale out to ${replicas} replicas for ${fmt(results.target_rps)}`,
        evidence: `One instance sends ${fmt(flowCapacity)} within the SLO (p99 ≤ ${results.slo.p99_ms} ms).`,
        expected_gain: `${replicas} replicas at ${utilisation * 100}% of measured capacity serve ${fmt(replicas * flowCapacity * utilisation)}, assuming PostgreSQL and Redis keep up (${fmt(select?.capacity_rps ?? 0)} SELECT, ${fmt(redis?.capacity_rps ?? 0)} Redis per instance measured here).`,
        severity: flowCapacity < results.target_rps ? "high" : "low",
      });
    }
  }

  // 4. CPU-bound event loop where the send flow stops meeting the SLO: more processes, not a bigger pool.
  const sendLimit = firstAboveCapacity(send);
  if (sendLimit?.server.cpuCores.service != null && sendLimit.server.cpuCores.service >= 0.85) {
    recommendations.push({
      id: "cpu-bound",
      title: "The service is CPU-bound on one core: add processes, not connections",
      evidence: `At ${fmt(sendLimit.offeredRps)}, the first rate above the send flow's capacity, the service used ${sendLimit.server.cpuCores.service.toFixed(2)} cores (one event loop saturates at 1.0) with event-loop lag p99 ${sendLimit.server.eventLoopLagP99Ms?.toFixed(1) ?? "?"} ms.`,
      expected_gain: "Throughput grows about linearly with replicas (one event loop each) until a shared dependency saturates.",
      severity: "medium",
    });
  }

  // 5. Requests queued for a connection at or just above capacity: connections, not CPU, are short.
  for (const layer of [select, send]) {
    if (!layer || layer.capacity_rps === null) continue;
    const where = [atCapacity(layer), firstAboveCapacity(layer)].find((p) => (p?.server.pgPoolWaitingMax ?? 0) > 0);
    if (where) {
      const poolMax = Number(results.environment.config.PG_POOL_MAX ?? 10);
      recommendations.push({
        id: `pg-pool-${layer.layer}`,
        title: "Raise PG_POOL_MAX",
        evidence: `Up to ${where.server.pgPoolWaitingMax} requests waited for a PostgreSQL connection at ${fmt(where.offeredRps)} (${layer.name}, capacity ${fmt(layer.capacity_rps)}) with PG_POOL_MAX=${poolMax}.`,
        expected_gain: `Less queueing before the query; expect p99 at that rate to fall towards the query's own latency. Try ${poolMax * 2} and rerun this layer.`,
        severity: "medium",
      });
    }
  }

  // 6. Framework overhead against bare node:http.
  if (framework?.capacity_rps && framework.ratio_to_baseline !== null && framework.ratio_to_baseline < 0.6) {
    recommendations.push({
      id: "framework-overhead",
      title: "Mind the framework and middleware cost",
      evidence: `Express with the full middleware stack serves ${fmt(framework.capacity_rps)}, ×${framework.ratio_to_baseline.toFixed(2)} of bare node:http.`,
      expected_gain: "Trimming per-request work (access-log level, tracing sample rate) moves every layer's ceiling up by the same factor.",
      severity: "low",
    });
  }
  const order = { high: 0, medium: 1, low: 2 };
  return recommendations.sort((a, b) => order[a.severity] - order[b.severity]);
}

export function validityChecks(results: Layers & Pick<BenchResults, "baselines">, cores: number): ValidityCheck[] {
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
        : `The load generator was the limit for: ${generatorLimited.map((l) => l.name).join(", ")}; no capacity is claimed for them.`,
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
    const { service, postgres, redis } = p.server.cpuCores;
    return (service ?? 0) + (postgres ?? 0) + (redis ?? 0) + p.generatorCpuCores > cores * 0.9;
  });
  checks.push({
    id: "host-cpu-headroom",
    passed: contended.length === 0,
    detail:
      contended.length === 0
        ? `At capacity the service, its databases and k6 together used under 90% of the host's ${cores} cores.`
        : `On ${cores} cores the service, its databases and k6 compete for CPU at capacity for ${contended.map((l) => l.name).join(", ")}: these capacities are of this host, not of the service alone.`,
  });
  checks.push({
    id: "baselines-same-run",
    passed: results.baselines.length >= 4,
    detail: `${results.baselines.length} physical-limit baselines measured in this run, on the same host, minutes apart from the layers.`,
  });
  return checks;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
