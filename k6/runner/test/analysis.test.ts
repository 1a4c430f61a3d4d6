import { describe, expect, it } from "vitest";
import { findBottleneck, recommend, validityChecks } from "../analysis.ts";
import type { BenchResults } from "../results.ts";
import { layer, plateau } from "./synthetic.ts";

function results(layers: BenchResults["layers"], config: Record<string, string | number> = {}): Parameters<typeof recommend>[0] {
  return {
    layers,
    target_rps: 1000,
    slo: { p99_ms: 50, error_rate: 0.01 },
    environment: {
      host: { cores: 2, memory_gib: 24, kernel: "6", cpu_model: "x" },
      versions: {},
      config: { TENANT_CACHE_TTL_MS: 0, SEND_LOG_BATCH_SIZE: 100, PG_POOL_MAX: 10, ...config },
    },
  };
}

const ladder = () => [
  layer("framework", 2400),
  layer("cpu", 2200),
  layer("redis", 1500),
  layer("postgres-select", 1000),
  layer("postgres-insert", 900),
  layer("full-send", 600),
];

describe("findBottleneck", () => {
  it("names the weakest synchronous layer of the send flow and the flow's share of it", () => {
    expect(findBottleneck(results(ladder()))).toMatchObject({ flow: "full-send", bounded_by: "postgres-select", headroom_ratio: 0.6 });
  });

  it("says when the weakest layer's figure is only a lower bound", () => {
    const parts = ladder().map((l) => (l.layer === "full-send" ? l : { ...l, limited_by: "highest_rate_tested" as const }));
    expect(findBottleneck(results(parts)).explanation).toContain("is a lower bound");
    expect(findBottleneck(results(ladder())).explanation).not.toContain("lower bound");
  });

  it("says so when the send flow has no capacity", () => {
    expect(findBottleneck(results([layer("cpu", 1000), layer("full-send", null)])).bounded_by).toBeNull();
  });
});

describe("recommend", () => {
  it("recommends caching tenant settings when the SELECT bounds the flow, with the gain from the next layer", () => {
    const rec = recommend(results(ladder())).find((r) => r.id === "cache-tenant-settings");
    expect(rec?.expected_gain).toContain("×1.5");
    expect(rec?.expected_gain).toContain("~900 req/s");
    expect(rec?.severity).toBe("high");
  });

  it("does not recommend the cache when it is already on or the SELECT is not the weakest layer", () => {
    expect(recommend(results(ladder(), { TENANT_CACHE_TTL_MS: 5000 })).some((r) => r.id === "cache-tenant-settings")).toBe(false);
    const selectFast = [
      layer("framework", 2400),
      layer("cpu", 900),
      layer("redis", 1500),
      layer("postgres-select", 3000),
      layer("full-send", 600),
    ];
    expect(recommend(results(selectFast)).some((r) => r.id === "cache-tenant-settings")).toBe(false);
  });

  it("sizes the scale-out for the target rate at 70% utilisation", () => {
    const rec = recommend(results(ladder())).find((r) => r.id === "scale-out");
    // 1000 / (600 × 0.7) = 2.38 → 3 replicas
    expect(rec?.title).toBe("Scale out to 3 replicas for 1,000 req/s");
    expect(rec?.severity).toBe("high");
  });

  it("flags single-row inserts as high when they are slower than the send flow", () => {
    const slowInsert = [...ladder().filter((l) => l.layer !== "postgres-insert"), layer("postgres-insert", 300)];
    expect(recommend(results(slowInsert)).find((r) => r.id === "batch-inserts")?.severity).toBe("high");
    expect(recommend(results(ladder())).find((r) => r.id === "batch-inserts")?.severity).toBe("low");
  });

  it("recommends a bigger pool when requests queued for connections just above capacity", () => {
    const waiting = layer("postgres-select", 1000);
    (waiting.plateaus[2] as (typeof waiting.plateaus)[number]).server.pgPoolWaitingMax = 48;
    const recs = recommend(results([...ladder().filter((l) => l.layer !== "postgres-select"), waiting]));
    expect(recs.find((r) => r.id === "pg-pool-postgres-select")?.evidence).toContain("Up to 48 requests waited");
  });

  it("recommends a bigger pool when requests waited for connections at capacity", () => {
    const waiting = layer("postgres-select", 1000);
    (waiting.plateaus[1] as (typeof waiting.plateaus)[number]).server.pgPoolWaitingMax = 6;
    const recs = recommend(results([...ladder().filter((l) => l.layer !== "postgres-select"), waiting]));
    expect(recs.find((r) => r.id === "pg-pool-postgres-select")?.expected_gain).toContain("Try 20");
  });

  it("calls the service CPU-bound when one event loop is saturated just above the send flow's capacity", () => {
    const send = layer("full-send", 600);
    (send.plateaus[2] as (typeof send.plateaus)[number]).server.cpuCores.service = 0.97;
    const rec = recommend(results([...ladder().filter((l) => l.layer !== "full-send"), send])).find((r) => r.id === "cpu-bound");
    expect(rec?.evidence).toContain("900 req/s");
    expect(rec?.evidence).toContain("0.97 cores");
    expect(recommend(results(ladder())).some((r) => r.id === "cpu-bound")).toBe(false);
  });

  it("orders recommendations by severity", () => {
    const severities = recommend(results(ladder())).map((r) => r.severity);
    expect(severities).toEqual([...severities].sort((a, b) => ["high", "medium", "low"].indexOf(a) - ["high", "medium", "low"].indexOf(b)));
  });
});

describe("validityChecks", () => {
  it("passes a clean run and fails the checks a generator-limited, noisy, contended run breaks", () => {
    const clean = validityChecks({ ...results(ladder()), baselines: new Array(5).fill({}) }, 2);
    expect(clean.every((c) => c.passed)).toBe(true);

    const limited = layer("cpu", null, { generator_limited: true });
    const noisy = layer("redis", 500, { plateaus: [plateau(250, 5), plateau(500, 20), plateau(750, 90), plateau(1000, 30)] });
    const contended = layer("framework", 2000);
    (contended.plateaus[1] as (typeof contended.plateaus)[number]).server.cpuCores = { service: 1, postgres: 0.3, redis: 0.1 };
    (contended.plateaus[1] as (typeof contended.plateaus)[number]).generatorCpuCores = 0.6;
    const checks = validityChecks({ ...results([limited, noisy, contended]), baselines: [] }, 2);
    const failed = checks.filter((c) => !c.passed).map((c) => c.id);
    expect(failed).toEqual(["generator-not-bottleneck", "monotonic", "host-cpu-headroom", "baselines-same-run"]);
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
