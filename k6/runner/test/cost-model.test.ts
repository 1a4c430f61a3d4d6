import { describe, expect, it } from "vitest";
import { buildCostModel, comparableCosts, costPlateaus, flowCost, layerCost, msPerRequest, resourceBounds } from "../cost-model.ts";
import { costedLayer, plateau } from "./synthetic.ts";

describe("layerCost", () => {
  it("takes CPU per request from the two highest plateaus below saturation, idle use taken out", () => {
    const send = costedLayer("full-send", 600, { service: 1.4, postgres: 0.3, redis: 0.05 }, { service: 0.02, postgres: 0.01 });
    const cost = layerCost(send, { service: 0.02, postgres: 0.01 });
    expect(cost.basis).toBe("below-saturation");
    expect(cost.plateaus_rps).toEqual([450, 600]);
    expect(cost.ms_per_request).toEqual({ service: 1.4, worker: null, postgres: 0.3, redis: 0.05, mockSms: null });
    expect(cost.predicted_capacity_per_core_rps).toBe(714);
    expect(cost.measured_over_predicted).toBe(0.84);
  });

  it("leaves out plateaus failing the SLO or with a saturated event loop or generator, not those past the latency knee", () => {
    const hello = costedLayer("framework", 2000, { service: 0.25 });
    expect(costPlateaus(hello).map((p) => p.offeredRps)).toEqual([1000, 1500, 2000]);
    // 0.5 ms × 2000 req/s = 1.0 core: the capacity plateau's CPU is a ceiling, not a cost.
    const busy = costedLayer("framework", 2000, { service: 0.5 });
    expect(costPlateaus(busy).map((p) => p.offeredRps)).toEqual([1000, 1500]);
    // p99 leaves its floor early on a shared host; CPU per request still holds there.
    expect(costPlateaus({ ...hello, knee_index: 1 }).map((p) => p.offeredRps)).toEqual([1000, 1500, 2000]);
    const limited = costedLayer("framework", 2000, { service: 0.25 });
    const last = limited.plateaus[2] as (typeof limited.plateaus)[number];
    last.generatorSaturated = true;
    expect(costPlateaus(limited).map((p) => p.offeredRps)).toEqual([1000, 1500]);
  });

  it("falls back to the lowest plateau, and says so, when no plateau is clean", () => {
    const failing = costedLayer("cpu", 1000, { service: 0.3 });
    for (const p of failing.plateaus) p.meetsSlo = false;
    const cost = layerCost(failing, {});
    expect(cost.basis).toBe("lowest-plateau");
    expect(cost.plateaus_rps).toEqual([500]);
    expect(cost.ms_per_request.service).toBe(0.3);
  });

  it("never reports a negative cost and has none without requests", () => {
    expect(msPerRequest(0.01, 0.05, 100)).toBe(0);
    expect(msPerRequest(0.5, 0, 0)).toBeNull();
    expect(msPerRequest(null, 0, 100)).toBeNull();
    expect(layerCost({ ...costedLayer("cpu", 100, { service: 1 }), plateaus: [plateau(100, 5, { requests: 0 })] }, {}).basis).toBe("none");
  });
});

describe("flowCost", () => {
  const costs = [
    costedLayer("framework", 2400, { service: 0.25 }),
    costedLayer("postgres-select", 1600, { service: 0.36 }),
    costedLayer("cpu", 2000, { service: 0.3 }),
    costedLayer("redis", 1600, { service: 0.36 }),
    costedLayer("full-send", 600, { service: 1.4, postgres: 0.2 }),
  ].map((l) => layerCost(l, {}));

  it("decomposes the send into the floor, each layer above the floor, and a named residual", () => {
    const send = flowCost("full-send", costs);
    expect(send?.total_ms).toBe(1.4);
    expect(send?.parts.map((p) => [p.id, p.ms])).toEqual([
      ["framework", 0.25],
      ["tenant-select", 0.11],
      ["code-hmac", 0.05],
      ["redis", 0.11],
      ["residual", 0.88],
    ]);
    expect(send?.parts.at(-1)?.label).toContain("SMS worker");
    expect(send?.parts.reduce((sum, p) => sum + (p.share ?? 0), 0)).toBeCloseTo(1, 2);
    expect(send?.other_processes_ms.postgres).toBe(0.2);
  });

  it("has no decomposition for a flow that was not measured", () => {
    expect(flowCost("full-verify", costs)).toBeNull();
  });
});

describe("resourceBounds", () => {
  it("ranks resources by the capacity their cost allows: one core per event loop and for Redis, every core for PostgreSQL and the host", () => {
    const cost = layerCost(costedLayer("full-send", 600, { service: 1.4, postgres: 0.5, redis: 0.1 }), {});
    const bounds = resourceBounds({ ...cost, generator_ms_per_request: 0.4 }, 2);
    expect(bounds.map((b) => [b.resource, b.predicted_capacity_rps])).toEqual([
      ["service", 714],
      ["host", 833],
      ["postgres", 4000],
      ["redis", 10000],
    ]);
  });

  it("makes the host the bottleneck when all processes together need more than the cores", () => {
    const cost = layerCost(costedLayer("full-send", 400, { service: 0.9, postgres: 1.2, redis: 0.2 }), {});
    expect(resourceBounds({ ...cost, generator_ms_per_request: 0.5 }, 2)[0]?.resource).toBe("host");
  });
});

describe("buildCostModel", () => {
  it("costs every layer, decomposes both flows when measured and bounds each flow", () => {
    const model = buildCostModel(
      [costedLayer("framework", 2400, { service: 0.25 }), costedLayer("full-verify", 1000, { service: 0.7, redis: 0.05 })],
      { service: 0.01 },
      2,
    );
    expect(model.layers.map((c) => c.layer)).toEqual(["framework", "full-verify"]);
    expect(model.flows.map((f) => f.flow)).toEqual(["full-verify"]);
    expect(model.bounds["full-verify"]?.[0]?.resource).toBe("service");
    expect(model.idle_cores).toEqual({ service: 0.01, worker: null, postgres: null, redis: null, mockSms: null });
  });
});

describe("comparableCosts", () => {
  it("reads every variant at the highest rates clean in all of them", () => {
    // "on" is clean up to 400 req/s, "off" up to 600: both are read at 300 and 400.
    const on = costedLayer("full-send", 400, { service: 2 });
    const off = costedLayer("full-send", 600, { service: 1.2 });
    expect(costPlateaus(on).map((p) => p.offeredRps)).toEqual([200, 300, 400]);
    expect(costPlateaus(off).map((p) => p.offeredRps)).toEqual([300, 450, 600]);
    const [a, b] = comparableCosts([
      { layer: on, idle: {} },
      { layer: off, idle: {} },
    ]);
    expect(a?.plateaus_rps).toEqual([300]);
    expect(b?.plateaus_rps).toEqual([300]);
    expect([a?.ms_per_request.service, b?.ms_per_request.service]).toEqual([2, 1.2]);
  });

  it("falls back to each variant's own plateaus when they share no clean rate", () => {
    const [a, b] = comparableCosts([
      { layer: costedLayer("full-send", 400, { service: 2 }), idle: {} },
      { layer: costedLayer("full-send", 1000, { service: 0.5 }), idle: {} },
    ]);
    expect(a?.plateaus_rps).toEqual([300, 400]);
    expect(b?.plateaus_rps).toEqual([750, 1000]);
  });
});

describe("buildCostModel and the bare node:http baseline", () => {
  it("takes the service's idle use out of the service's layers only, not out of the baseline's own process", () => {
    const model = buildCostModel(
      [costedLayer("baseline", 4000, { service: 0.05 }), costedLayer("framework", 2000, { service: 0.25 }, { service: 0.05 })],
      { service: 0.05 },
      2,
    );
    expect(model.layers.map((c) => c.ms_per_request.service)).toEqual([0.05, 0.25]);
  });
});
