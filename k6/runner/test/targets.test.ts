import { describe, expect, it } from "vitest";
import { buildCostModel } from "../cost-model.ts";
import type { BenchResults } from "../results.ts";
import { checkTargets } from "../targets.ts";
import { costedLayer, variant } from "./synthetic.ts";

const byId = (targets: ReturnType<typeof checkTargets>, id: string) => targets.find((t) => t.id === id);

function run(layers: BenchResults["layers"], comparison: BenchResults["comparison"] = null) {
  return checkTargets({ layers, cost_model: buildCostModel(layers, {}, 2), comparison, profiles: [] });
}

describe("checkTargets", () => {
  it("compares /hello's CPU per request with bare node:http's and the whole send with 0.9 ms", () => {
    const targets = run([
      costedLayer("baseline", 5000, { service: 0.05 }),
      costedLayer("framework", 2400, { service: 0.25 }),
      costedLayer("full-send", 600, { service: 0.8 }),
    ]);
    expect(byId(targets, "hello-vs-bare")).toMatchObject({
      measured: 5,
      met: false,
      measured_text: "×5.00 (0.250 ms at 1800/2400 vs 0.050 ms at 3750/5000 req/s)",
    });
    expect(byId(targets, "send-whole-cpu")).toMatchObject({ measured: 0.8, met: true });
    // Only the comparison runs measure these two.
    expect(byId(targets, "send-api-cpu")).toMatchObject({
      met: null,
      measured: null,
      measured_text: "measured by make bench-worker-split",
    });
    expect(byId(targets, "telemetry-tax")).toMatchObject({ met: null });
  });

  it("reads the API and the whole send from the worker-split comparison", () => {
    const inProcess = costedLayer("full-send", 600, { service: 1.1 });
    const split = costedLayer("full-send", 900, { service: 0.45, worker: 0.5 });
    const targets = run([inProcess], {
      id: "worker-split",
      title: "",
      question: "",
      variants: [variant("in-process", [inProcess]), variant("separate-worker", [split])],
    });
    expect(byId(targets, "send-api-cpu")).toMatchObject({ measured: 0.45, met: true });
    expect(byId(targets, "send-whole-cpu")).toMatchObject({ measured: 0.95, met: false });
  });

  it("takes the telemetry tax as throughput per CPU, on relative to off", () => {
    const on = costedLayer("full-send", 600, { service: 1 });
    const off = costedLayer("full-send", 700, { service: 0.8 });
    const targets = run([on], {
      id: "telemetry",
      title: "",
      question: "",
      variants: [variant("on", [on]), variant("tracing-off", [on]), variant("access-log-off", [on]), variant("off", [off])],
    });
    expect(byId(targets, "telemetry-tax")).toMatchObject({ measured: 0.8, met: false });
  });

  it("checks the service's RSS at the send flow's capacity, saying where it goes when missed", () => {
    const send = costedLayer("full-send", 600, { service: 0.8 });
    const atCapacity = send.plateaus.find((p) => p.offeredRps === 600);
    if (atCapacity) atCapacity.server.serviceRssMiB = 180;
    expect(byId(run([send]), "service-memory")).toMatchObject({
      measured: 180,
      met: false,
      why_missed: "the V8 heap reserves 45 MiB (30 used) and the rest of the 180 MiB is code, modules and buffers outside the heap",
    });
  });

  it("explains a missed CPU target with the flow's profile, and a met one not at all", () => {
    const layers = [costedLayer("baseline", 5000, { service: 0.05 }), costedLayer("framework", 2400, { service: 0.25 })];
    const category = (id: string, share: number) => ({ id, label: `${id}: detail`, self_ms: share * 1000, share_of_busy: share });
    const profile = {
      script: "02-express-hello",
      layer: "framework" as const,
      file: "profiles/02-express-hello.cpuprofile",
      offered_rps: 1800,
      achieved_rps: 1800,
      duration_ms: 6000,
      samples: 6000,
      busy_ms: 2700,
      busy_ms_per_request: 0.25,
      categories: [category("idle", 0), category("node-http-net", 0.47), category("http-express", 0.16), category("pino", 0.13)],
      top_functions: [],
    };
    const targets = checkTargets({ layers, cost_model: buildCostModel(layers, {}, 2), comparison: null, profiles: [profile] });
    expect(byId(targets, "hello-vs-bare")?.why_missed).toBe(
      "its CPU profile at 1800 req/s: node-http-net 47%, http-express 16%, pino 13% of the busy time",
    );
    const lean = [layers[0], costedLayer("framework", 2400, { service: 0.09 })] as typeof layers;
    expect(
      byId(checkTargets({ layers: lean, cost_model: buildCostModel(lean, {}, 2), comparison: null, profiles: [profile] }), "hello-vs-bare"),
    ).toMatchObject({
      met: true,
      why_missed: null,
    });
  });
});
