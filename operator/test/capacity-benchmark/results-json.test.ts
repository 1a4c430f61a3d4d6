// A finished benchmark's results.json: valid against make bench's schema, the same layers (capacity, limited
// by, knee) as the status, and rendered by the same report with its Replicas over time section.
import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../../../k6/report/render-markdown.ts";
import { validateResults } from "../../../k6/report/validate-results.ts";
import {
  CONFIGMAP_DATA_LIMIT,
  RESULTS_KEY,
  ResultsTooLargeError,
  resultsConfigMap,
} from "../../src/capacity-benchmark/results-configmap.ts";
import { timeToScaleUp, toBenchResults } from "../../src/capacity-benchmark/results-json.ts";
import { baseSpec, World } from "./world.ts";

describe("results.json of a CapacityBenchmark", () => {
  it("validates, carries the status's layers, and renders with the replicas section", () => {
    const world = new World(baseSpec({ scaling: { mode: "Autoscaled", holdSeconds: 20 }, capacitySearch: { refinementSteps: 1 } }));
    let scaled = false;
    const act = world.actAsHpa.bind(world);
    // The HPA scales 1 → 3 once the load passes 600 req/s.
    world.actAsHpa = () => {
      const rate = world.benchmark.status?.current?.rate ?? 0;
      if (rate >= 800 && world.hpa) {
        world.hpa = { ...world.hpa, desiredReplicas: 3 };
        if (scaled) world.readyReplicas = 3;
        scaled = true;
        return;
      }
      act();
    };
    world.runToEnd();
    const results = toBenchResults(world.benchmark, { k6Image: "grafana/k6:1.8.1" });
    expect(validateResults(JSON.parse(JSON.stringify(results))).ok).toBe(true);
    const step = world.benchmark.status?.steps?.[0];
    expect(results.layers[0]?.capacity_rps).toBe(step?.capacity_rps);
    expect(results.layers[0]?.limited_by).toBe(step?.limited_by);
    expect(results.layers[0]?.knee_index).toBe(step?.knee_index);
    const replicas = results.cluster?.replicas_over_time[0];
    expect(replicas?.samples.length).toBeGreaterThan(10);
    expect(replicas?.time_to_scale_up_s).toBeGreaterThan(0);
    expect(Math.max(...(replicas?.samples.map((s) => s.ready_replicas ?? 0) ?? []))).toBe(3);
    const md = renderMarkdown(results);
    expect(md).toContain("## Replicas over time");
    expect(md).toContain("## Capacity per layer");
  });

  it("the results ConfigMap: owned by the benchmark, key results.json; above 1 MiB refused, never truncated", () => {
    const world = new World(baseSpec());
    world.runToEnd();
    const results = toBenchResults(world.benchmark, { k6Image: "grafana/k6:1.8.1" });
    const cm = resultsConfigMap(world.benchmark, results);
    expect(cm.metadata).toMatchObject({
      name: "bench-results",
      namespace: "otp",
      ownerReferences: [{ kind: "CapacityBenchmark", controller: true }],
    });
    expect(JSON.parse(cm.data?.[RESULTS_KEY] ?? "")).toEqual(JSON.parse(JSON.stringify(results)));
    const huge = { ...results, run_id: "x".repeat(CONFIGMAP_DATA_LIMIT) };
    expect(() => resultsConfigMap(world.benchmark, huge)).toThrow(ResultsTooLargeError);
  });

  it("time to scale up: from the HPA wanting more to that many ready", () => {
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
    expect(
      timeToScaleUp([
        { at: at(0), ready: 1, desired: 1 },
        { at: at(5), ready: 1, desired: 3 },
        { at: at(20), ready: 2, desired: 3 },
        { at: at(35), ready: 3, desired: 3 },
      ]),
    ).toBe(30);
    expect(timeToScaleUp([{ at: at(0), ready: 2, desired: 2 }])).toBeNull();
  });
});
