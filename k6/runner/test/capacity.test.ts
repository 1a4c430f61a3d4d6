import { describe, expect, it } from "vitest";
import { findCapacity, findKnee, judgePlateau, refinementRates } from "../capacity.ts";
import { plateau, RULE } from "./synthetic.ts";

describe("judgePlateau", () => {
  it("passes a plateau within the SLO with nothing dropped", () => {
    expect(plateau(500, 20)).toMatchObject({ meetsSlo: true, failedBecause: [], generatorSaturated: false });
  });

  it("names every reason a plateau fails", () => {
    const judged = plateau(500, 80, { errorRate: 0.05, droppedIterations: 12, generatorCpuCores: 1.2 });
    expect(judged.meetsSlo).toBe(false);
    expect(judged.failedBecause).toEqual([
      "p99 80 ms > SLO 50 ms",
      "error rate 5.00% > SLO 1.00%",
      "12 dropped iterations",
      "load generator saturated (k6 at 1.20 cores)",
    ]);
  });

  it("fails a plateau that completed no requests", () => {
    const { meetsSlo, failedBecause } = judgePlateau({ ...plateau(100, 1), requests: 0 }, RULE);
    expect(meetsSlo).toBe(false);
    expect(failedBecause).toContain("no requests completed");
  });
});

describe("findCapacity", () => {
  it("is the highest plateau meeting the SLO, limited by latency above it", () => {
    const plateaus = [plateau(200, 5), plateau(400, 8), plateau(800, 30), plateau(1600, 240)];
    expect(findCapacity(plateaus)).toEqual({ capacityIndex: 2, limitedBy: "slo_latency", generatorLimited: false });
  });

  it("ignores a lucky pass above a failing plateau", () => {
    const plateaus = [plateau(200, 5), plateau(400, 90), plateau(800, 30)];
    expect(findCapacity(plateaus).capacityIndex).toBe(0);
  });

  it("reports errors and dropped iterations as the limit when they come first", () => {
    expect(findCapacity([plateau(100, 5), plateau(200, 10, { errorRate: 0.2 })]).limitedBy).toBe("slo_errors");
    expect(findCapacity([plateau(100, 5), plateau(200, 10, { droppedIterations: 3 })]).limitedBy).toBe("dropped_iterations");
  });

  it("claims no capacity when the load generator was the limit", () => {
    const plateaus = [plateau(1000, 5), plateau(2000, 8, { generatorCpuCores: 1.4 })];
    expect(findCapacity(plateaus)).toEqual({ capacityIndex: null, limitedBy: "load_generator", generatorLimited: true });
  });

  it("says so when the highest rate tested still passed, and when nothing passed", () => {
    expect(findCapacity([plateau(100, 5), plateau(200, 6)])).toEqual({
      capacityIndex: 1,
      limitedBy: "highest_rate_tested",
      generatorLimited: false,
    });
    expect(findCapacity([plateau(100, 70), plateau(200, 90)])).toEqual({
      capacityIndex: null,
      limitedBy: "no_plateau_met_slo",
      generatorLimited: false,
    });
  });

  it("does not depend on the order plateaus are listed in", () => {
    const plateaus = [plateau(800, 300), plateau(200, 5), plateau(400, 9)];
    expect(findCapacity(plateaus).capacityIndex).toBe(2);
  });
});

describe("findKnee", () => {
  it("is where p99 leaves its floor", () => {
    const plateaus = [plateau(100, 4), plateau(200, 5), plateau(400, 6), plateau(800, 14), plateau(1600, 200)];
    expect(findKnee(plateaus)).toBe(3);
  });

  it("is where the service stops keeping up, even before latency rises", () => {
    const plateaus = [plateau(100, 4), plateau(200, 4), plateau(400, 5, { achievedRps: 350 })];
    expect(findKnee(plateaus)).toBe(2);
  });

  it("ignores small absolute rises at tiny latencies", () => {
    expect(findKnee([plateau(100, 0.5), plateau(200, 0.6), plateau(400, 1.5)])).toBeNull();
  });
});

describe("refinementRates", () => {
  it("fills the gap between the last pass and the first failure", () => {
    const plateaus = [plateau(400, 8), plateau(800, 20), plateau(1600, 300)];
    expect(refinementRates(plateaus, 3)).toEqual([1000, 1200, 1400]);
  });

  it("has nothing to refine without both a pass and a failure", () => {
    expect(refinementRates([plateau(100, 5), plateau(200, 5)], 3)).toEqual([]);
    expect(refinementRates([plateau(100, 90)], 3)).toEqual([]);
  });
});
