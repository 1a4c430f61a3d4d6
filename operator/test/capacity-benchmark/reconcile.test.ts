// The state machine, driven by a simulated cluster (world.ts): pinning and restoring the HPA, resuming after
// a crash without a second TestRun, deletion, stuck and failed TestRuns, a saturated generator, and the
// capacity found being exactly what make bench's analysis finds on the same plateaus.
import { describe, expect, it } from "vitest";
import { layerResult } from "../../../k6/runner/capacity.ts";
import { LADDER } from "../../../k6/runner/ladder.ts";
import { judgeFigures, ruleOf, toPlateauResult } from "../../src/capacity-benchmark/figures.ts";
import { FINALIZER } from "../../src/capacity-benchmark/schema.ts";
import { baseSpec, defaultFigures, World } from "./world.ts";

const condition = (world: World, type: string) => world.benchmark.status?.conditions?.find((c) => c.type === type);

describe("Fixed mode", () => {
  it("pins the HPA to min = max = N, waits for N ready and the settle time, then restores the HPA", () => {
    const world = new World(baseSpec());
    world.step(); // finalizer, start, save + pin
    expect(world.benchmark.metadata.finalizers).toContain(FINALIZER);
    expect(world.hpaWrites).toEqual([{ minReplicas: 3, maxReplicas: 3, why: "pin" }]);
    expect(world.benchmark.status?.hpaSaved).toEqual({ minReplicas: 1, maxReplicas: 5 });
    expect(world.benchmark.status?.phase).toBe("Settling");
    world.advance(5);
    world.step(); // 1 of 3 ready: still settling, no TestRun
    expect(world.created).toEqual([]);
    expect(condition(world, "Progressing")?.reason).toBe("WaitingForReplicas");
    world.actAsHpa();
    world.step(); // 3 ready: settle clock starts
    expect(world.created).toEqual([]);
    world.advance(10);
    world.step();
    expect(world.created).toHaveLength(1);
    world.runToEnd();
    expect(world.benchmark.status?.phase).toBe("Succeeded");
    expect(world.hpaWrites.at(-1)).toEqual({ minReplicas: 1, maxReplicas: 5, why: "restore" });
    expect(world.benchmark.status?.hpaSaved).toBeUndefined();
    expect(world.results).toBe(1);
    expect(world.testRuns.size).toBe(0);
    expect(condition(world, "Succeeded")?.status).toBe("True");
  });

  it("finds the capacity make bench's analysis finds on the same plateaus, with refinement", () => {
    const world = new World(baseSpec({ capacitySearch: { refinementSteps: 3 } }));
    world.runToEnd();
    const step = world.benchmark.status?.steps?.[0];
    expect(world.created).toHaveLength(2); // ladder + refinement
    expect(step?.plateaus.map((p) => p.offeredRps)).toEqual([200, 400, 600, 650, 700, 750, 800, 1000]);
    // make bench's path: the same judged plateaus through k6/runner's layerResult.
    const rule = ruleOf(world.benchmark.spec, "02-express-hello");
    const fig = defaultFigures();
    const local = layerResult(
      LADDER.find((s) => s.script === "02-express-hello") as (typeof LADDER)[number],
      [200, 400, 600, 650, 700, 750, 800, 1000].map((rate, i) => toPlateauResult(judgeFigures(fig(rate, "a", "b"), i, rule), i)),
      [],
    );
    expect(step?.capacity_rps).toBe(local.capacity_rps);
    expect(step?.capacity_rps).toBe(600);
    expect(step?.limited_by).toBe(local.limited_by);
    expect(step?.knee_index).toBe(local.knee_index);
    expect(world.benchmark.status?.summary).toContain("02-express-hello 600 (slo_latency)");
  });
});

describe("restart", () => {
  it("a controller killed between writing status and creating the TestRun re-creates the same name, once", () => {
    const world = new World(baseSpec({ scaling: { mode: "Autoscaled" } }));
    // [addFinalizer, event Started, patchStatus(current), createTestRun, …]: crash right after the status patch.
    const decision = world.step();
    expect(world.created).toHaveLength(1);
    const name = world.created[0] as string;
    // Replay the crash: forget the TestRun and run the first decision again only up to its status patch.
    world.testRuns.clear();
    world.created.length = 0;
    const upToPatch = decision.actions.findIndex((a) => a.type === "createTestRun");
    for (const action of decision.actions.slice(0, upToPatch)) world.apply(action);
    world.step(); // the new controller: status names a TestRun that does not exist yet → create it
    world.step(); // and again: it exists now → no second create
    expect(world.created).toEqual([name]);
  });

  it("a controller killed mid-plateau resumes with the same TestRun, and the run creates one TestRun per pass", () => {
    const world = new World(baseSpec({ scaling: { mode: "Autoscaled" } }));
    for (let i = 0; i < 5; i++) {
      world.step();
      world.actAsK6Operator();
      world.advance(5);
    }
    const running = world.benchmark.status?.current?.testRun;
    expect(world.benchmark.status?.current?.rate).toBeGreaterThan(0);
    // A fresh controller: only the stored object (status) survives.
    world.benchmark = structuredClone(world.benchmark);
    world.step();
    expect(world.benchmark.status?.current?.testRun).toBe(running);
    world.runToEnd();
    expect(world.created).toEqual([running]);
    expect(new Set(world.created).size).toBe(world.created.length);
  });

  it("Autoscaled runners do not reuse connections and plateaus last at least holdSeconds", () => {
    const world = new World(baseSpec({ scaling: { mode: "Autoscaled", holdSeconds: 45 } }));
    world.step();
    expect([...world.testRuns.values()][0]?.noConnectionReuse).toBe(true);
    expect(world.benchmark.status?.current?.plateauSeconds).toBe(45);
    expect(world.hpaWrites).toEqual([]); // the HPA is left alone
  });
});

describe("deletion", () => {
  it("deletes owned TestRuns, restores the HPA, then removes the finalizer", () => {
    const world = new World(baseSpec());
    world.actAsHpa();
    for (let i = 0; i < 6; i++) {
      world.step();
      world.actAsHpa();
      world.actAsK6Operator();
      world.advance(5);
    }
    expect(world.testRuns.size).toBe(1);
    world.benchmark.metadata.deletionTimestamp = new Date(world.now).toISOString();
    // The TestRun is gone only once the API server has deleted it: first pass deletes, keeps the finalizer.
    const decision = reconcile1(world);
    expect(decision.map((a) => a.type)).toEqual(["deleteTestRun", "setHpaBounds", "event"]);
    expect(world.testRuns.size).toBe(0);
    expect(world.hpa?.minReplicas).toBe(1);
    expect(world.hpa?.maxReplicas).toBe(5);
    expect(world.benchmark.metadata.finalizers).toContain(FINALIZER);
    world.step();
    expect(world.benchmark.metadata.finalizers).not.toContain(FINALIZER);
  });
});

function reconcile1(world: World) {
  return world.step().actions;
}

describe("bad input and failures", () => {
  it("a TestRun stuck in error → Degraded with a reason, an Event, a new attempt; three strikes → Failed", () => {
    const world = new World(baseSpec({ scaling: { mode: "Autoscaled" } }));
    world.step();
    const first = world.created[0] as string;
    (world.testRuns.get(first) as { stage?: string }).stage = "error";
    world.advance(5);
    world.step();
    expect(condition(world, "Degraded")).toMatchObject({ status: "True", reason: "TestRunError" });
    expect(world.events.some((e) => e.reason === "TestRunError" && e.eventType === "Warning")).toBe(true);
    expect(world.deleted).toContain(first);
    expect(world.created).toHaveLength(2);
    expect(world.created[1]).toMatch(/-l2$/);
    for (const _ of [3, 4]) {
      (world.testRuns.get(world.created.at(-1) as string) as { stage?: string }).stage = "error";
      world.step();
    }
    expect(world.benchmark.status?.phase).toBe("Failed");
    expect(condition(world, "Succeeded")).toMatchObject({ status: "False", reason: "TestRunError" });
    expect(world.testRuns.size).toBe(0);
  });

  it("a TestRun that never starts → Degraded TestRunStuck after its main phase plus the grace time", () => {
    const world = new World(baseSpec({ scaling: { mode: "Autoscaled" } }));
    world.step();
    world.advance(4 + 5 * 60 + 300 + 1); // Autoscaled: plateaus last holdSeconds (default 60)
    world.step();
    expect(condition(world, "Degraded")).toMatchObject({ status: "True", reason: "TestRunStuck" });
    expect(world.created).toHaveLength(2);
  });

  it("target missing → Degraded TargetMissing, an Event once, no TestRun, recovers when it appears", () => {
    const world = new World(baseSpec());
    world.hpa = null;
    world.readyReplicas = null;
    world.step();
    world.advance(30);
    world.step();
    expect(condition(world, "Degraded")).toMatchObject({ status: "True", reason: "TargetMissing" });
    expect(world.events.filter((e) => e.reason === "TargetMissing")).toHaveLength(1);
    expect(world.created).toEqual([]);
    world.hpa = { minReplicas: 1, maxReplicas: 5, currentReplicas: 1, desiredReplicas: 1 };
    world.readyReplicas = 1;
    world.runToEnd();
    expect(condition(world, "Degraded")?.status).toBe("False");
    expect(world.benchmark.status?.phase).toBe("Succeeded");
  });

  it("Prometheus unreachable → Degraded PrometheusUnreachable, the TestRun kept, figures taken once it is back", () => {
    const world = new World(baseSpec({ scaling: { mode: "Autoscaled" } }));
    world.prometheusDown = true;
    for (let i = 0; i < 200 && condition(world, "Degraded")?.reason !== "PrometheusUnreachable"; i++) {
      world.step();
      world.actAsK6Operator();
      world.advance(5);
    }
    expect(condition(world, "Degraded")).toMatchObject({ status: "True", reason: "PrometheusUnreachable" });
    expect(world.testRuns.size).toBe(1);
    world.prometheusDown = false;
    world.runToEnd();
    expect(world.benchmark.status?.phase).toBe("Succeeded");
    expect(world.created).toHaveLength(1);
  });

  it("a runner at its CPU ceiling before the service fails → GeneratorLimited, no capacity claimed", () => {
    const world = new World(baseSpec({ scaling: { mode: "Autoscaled" } }));
    world.figuresFor = defaultFigures(
      () => 5,
      (rate) => (rate >= 800 ? 0.95 : 0.4),
    );
    world.runToEnd();
    const step = world.benchmark.status?.steps?.[0];
    expect(step?.generator_limited).toBe(true);
    expect(step?.capacity_rps).toBeNull();
    expect(step?.limited_by).toBe("load_generator");
    expect(condition(world, "GeneratorLimited")).toMatchObject({ status: "True", reason: "RunnerCpuCeiling" });
    expect(world.events.some((e) => e.reason === "GeneratorLimited")).toBe(true);
  });

  it("no plateau meets the SLO → SLOViolated", () => {
    const world = new World(baseSpec({ scaling: { mode: "Autoscaled" } }));
    world.figuresFor = defaultFigures(() => 200);
    world.runToEnd();
    expect(condition(world, "SLOViolated")).toMatchObject({ status: "True", reason: "NoPlateauMetSLO" });
  });

  it("ttlSecondsAfterFinished deletes the benchmark after it finished", () => {
    const world = new World(baseSpec({ scaling: { mode: "Autoscaled" }, ttlSecondsAfterFinished: 60 }));
    world.runToEnd();
    expect(world.step().requeueAfterSeconds).toBe(60);
    world.advance(61);
    world.step();
    expect(world.benchmarkDeleted).toBe(true);
  });
});
