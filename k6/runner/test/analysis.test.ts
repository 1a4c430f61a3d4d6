import { describe, expect, it } from "vitest";
import { findBottleneck, recommend, validityChecks } from "../analysis.ts";
import { buildCostModel } from "../cost-model.ts";
import type { BenchResults } from "../results.ts";
import { costedLayer, layer, plateau, variant } from "./synthetic.ts";

type Inputs = Parameters<typeof recommend>[0];

function results(layers: BenchResults["layers"], config: Record<string, string | number> = {}, extra: Partial<Inputs> = {}): Inputs {
  return {
    layers,
    target_rps: 1000,
    slo: { p99_ms: 50, error_rate: 0.01 },
    environment: {
      host: { cores: 2, memory_gib: 24, kernel: "6", cpu_model: "x" },
      versions: {},
      config: { TENANT_CACHE_TTL_MS: 0, SEND_LOG_BATCH_SIZE: 100, PG_POOL_MAX: 10, ...config },
    },
    cost_model: buildCostModel(layers, {}, 2),
    profiles: [],
    comparison: null,
    ...extra,
  };
}

const ladder = () => [
  costedLayer("baseline", 5000, { service: 0.05 }),
  costedLayer("framework", 2400, { service: 0.25 }),
  costedLayer("cpu", 2000, { service: 0.3 }),
  costedLayer("redis", 1600, { service: 0.36, redis: 0.02 }),
  costedLayer("postgres-select", 1600, { service: 0.4, postgres: 0.1 }),
  costedLayer("full-send", 600, { service: 1.4, postgres: 0.3, redis: 0.05 }),
];

describe("findBottleneck", () => {
  it("names the resource whose CPU per request allows the least, and how close the flow got to it", () => {
    const bottleneck = findBottleneck(results(ladder()));
    expect(bottleneck).toMatchObject({ flow: "full-send", bounded_by: "service", headroom_ratio: 0.84 });
    expect(bottleneck.resources.map((r) => r.resource)).toEqual(["service", "host", "postgres", "redis"]);
    expect(bottleneck.explanation).toContain("1.40 ms of CPU per request");
    expect(bottleneck.explanation).toContain("~714 req/s");
    // The decomposition, largest first: the residual (0.84 ms) before the floor (0.25 ms).
    expect(bottleneck.explanation).toMatch(/residual 0\.840 ms \(60%\); Express \+ middleware/);
  });

  it("calls pool waiting on a saturated event loop a symptom, not a cause", () => {
    const send = costedLayer("full-send", 600, { service: 1.4 });
    const saturated = send.plateaus[3] as BenchResults["layers"][number]["plateaus"][number];
    saturated.server.pgPoolWaitingMax = 7;
    const { symptoms } = findBottleneck(results([...ladder().slice(0, -1), send]));
    expect(symptoms).toHaveLength(1);
    expect(symptoms[0]).toContain("symptom of a busy event loop");
    expect(recommend(results([...ladder().slice(0, -1), send])).some((r) => r.id.startsWith("pg-pool"))).toBe(false);
  });

  it("says so when no flow has a cost", () => {
    expect(findBottleneck(results([layer("cpu", 1000), layer("full-send", null, { plateaus: [] })])).bounded_by).toBeNull();
  });
});

describe("recommend", () => {
  it("computes the tenant cache's gain from the SELECT's share of the send's cost", () => {
    const rec = recommend(results(ladder())).find((r) => r.id === "cache-tenant-settings");
    // The SELECT layer is 0.15 ms above the 0.25 ms floor: 1.4 / (1.4 − 0.15).
    expect(rec?.gain_ratio).toBe(1.12);
    expect(rec?.expected_gain).toContain("from 600 req/s to ~672 req/s");
    expect(rec?.rerun).toContain("TENANT_CACHE_TTL_MS=");
    expect(recommend(results(ladder(), { TENANT_CACHE_TTL_MS: 5000 })).some((r) => r.id === "cache-tenant-settings")).toBe(false);
  });

  it("trims the floor only when /hello costs more than twice bare node:http, with the gain for the send", () => {
    const rec = recommend(results(ladder())).find((r) => r.id === "framework-floor");
    // Floor 0.25 ms vs 2 × 0.05 ms: 0.15 ms saved per send.
    expect(rec?.gain_ratio).toBe(1.12);
    const lean = ladder().map((l) => (l.layer === "framework" ? costedLayer("framework", 2400, { service: 0.09 }) : l));
    expect(recommend(results(lean)).some((r) => r.id === "framework-floor")).toBe(false);
  });

  it("sizes the scale-out for the target at 70% utilisation while the event loop bounds the flow", () => {
    const rec = recommend(results(ladder())).find((r) => r.id === "scale-out");
    expect(rec?.title).toBe("Scale out to 3 replicas for 1,000 req/s");
    expect(rec?.gain_ratio).toBe(2.1);
  });

  it("recommends a bigger pool only where requests waited while the event loop had headroom", () => {
    const select = costedLayer("postgres-select", 1600, { service: 0.4 });
    (select.plateaus[3] as BenchResults["layers"][number]["plateaus"][number]).server.pgPoolWaitingMax = 4;
    const recs = recommend(results([...ladder().filter((l) => l.layer !== "postgres-select"), select]));
    // The plateau above capacity is at 2,400 req/s × 0.4 ms = 0.96 cores: saturated, so no pool advice.
    expect(recs.some((r) => r.id === "pg-pool-postgres-select")).toBe(false);
    const light = costedLayer("postgres-select", 1600, { service: 0.2 });
    (light.plateaus[3] as BenchResults["layers"][number]["plateaus"][number]).server.pgPoolWaitingMax = 4;
    const rec = recommend(results([...ladder().filter((l) => l.layer !== "postgres-select"), light])).find(
      (r) => r.id === "pg-pool-postgres-select",
    );
    expect(rec).toMatchObject({ gain_ratio: 1.5, rerun: "PG_POOL_MAX=20 BENCH_ONLY=postgres-select make bench" });
  });

  it("recommends the separate worker from the worker-split comparison, with the API's gain", () => {
    const inProcess = costedLayer("full-send", 600, { service: 1.4 });
    const split = costedLayer("full-send", 900, { service: 0.8, worker: 0.5 });
    const comparison = {
      id: "worker-split" as const,
      title: "t",
      question: "q",
      variants: [variant("in-process", [inProcess]), variant("separate-worker", [split])],
    };
    const rec = recommend(results(ladder(), {}, { comparison })).find((r) => r.id === "separate-sms-worker");
    expect(rec).toMatchObject({ gain_ratio: 1.75, severity: "high", rerun: "make bench-worker-split" });
    expect(rec?.evidence).toContain("the API pays 0.800 ms and the worker 0.500 ms");
  });

  it("bounds the telemetry gain by its share of the send's profile when no comparison ran", () => {
    const profile = {
      script: "11-send-flow",
      layer: "full-send" as const,
      file: "profiles/11-send-flow.cpuprofile",
      offered_rps: 450,
      achieved_rps: 450,
      duration_ms: 6000,
      samples: 6000,
      busy_ms: 4000,
      busy_ms_per_request: 1.48,
      categories: [
        { id: "opentelemetry", label: "OpenTelemetry", self_ms: 600, share_of_busy: 0.15 },
        { id: "pino", label: "pino", self_ms: 200, share_of_busy: 0.05 },
      ],
      top_functions: [],
    };
    const rec = recommend(results(ladder(), {}, { profiles: [profile] })).find((r) => r.id === "telemetry-cost");
    expect(rec?.gain_ratio).toBe(1.25);
    expect(rec?.evidence).toContain("20% of the service's busy time");
  });

  it("never recommends a change without a gain above 1, and ranks by gain", () => {
    const recs = recommend(results(ladder()));
    expect(recs.length).toBeGreaterThan(2);
    for (const r of recs) expect(r.gain_ratio).toBeGreaterThan(1);
    expect(recs.map((r) => r.gain_ratio)).toEqual([...recs.map((r) => r.gain_ratio)].sort((a, b) => b - a));
  });
});

describe("validityChecks", () => {
  it("passes a clean run and fails the checks a generator-limited, noisy, contended run breaks", () => {
    const clean = validityChecks({ ...results(ladder()), baselines: new Array(5).fill({}) }, 2);
    expect(clean.filter((c) => !c.passed)).toEqual([]);

    const limited = layer("cpu", null, { generator_limited: true });
    const noisy = layer("redis", 500, { plateaus: [plateau(250, 5), plateau(500, 20), plateau(750, 90), plateau(1000, 30)] });
    const contended = layer("framework", 2000);
    (contended.plateaus[1] as (typeof contended.plateaus)[number]).server.cpuCores = {
      service: 1,
      worker: null,
      postgres: 0.3,
      redis: 0.1,
      mockSms: null,
    };
    (contended.plateaus[1] as (typeof contended.plateaus)[number]).generatorCpuCores = 0.6;
    const checks = validityChecks({ ...results([limited, noisy, contended]), baselines: [] }, 2);
    const failed = checks.filter((c) => !c.passed).map((c) => c.id);
    expect(failed).toEqual([
      "generator-not-bottleneck",
      "monotonic",
      "host-cpu-headroom",
      "cost-from-clean-plateaus",
      "baselines-same-run",
    ]);
  });

  it("fails when a script produced no plateaus at all", () => {
    const checks = validityChecks(
      { ...results([...ladder(), layer("full-verify", null, { plateaus: [] })]), baselines: new Array(5).fill({}) },
      2,
    );
    expect(checks.find((c) => c.id === "every-script-measured")).toMatchObject({
      passed: false,
      detail: expect.stringContaining("full-verify"),
    });
  });
});
