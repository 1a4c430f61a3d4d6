// The CapacityBenchmark controller's logic as a pure state machine: (benchmark, observations) → (actions,
// next status). No I/O here: controller.ts observes, calls `reconcile`, and executes the actions in order.
// Status is the only memory, so a controller restarted at any point picks up where the last one stopped:
//   - TestRun names are derived from the UID, generation, step, pass and attempt (plan.ts), and status is
//     written BEFORE a TestRun is created, so a restart re-derives the same name: AlreadyExists, not a twin;
//   - the HPA's own bounds are saved in status BEFORE they are changed, so a restart restores the originals,
//     not the pinned values.
// Anything the controller cannot act on (target missing, Prometheus unreachable, TestRun stuck or in error)
// becomes a condition with a reason and an Event, and a requeue — never a throw.
import { refinementRates } from "../../../k6/runner/capacity.ts";
import { conditionOf, setCondition } from "./conditions.ts";
import { judgeFigures, type PlateauFigures, ruleOf, stepStatus, toPlateauResult } from "./figures.ts";
import { mainSeconds, plateauAt, resolveStep, testIdFor, testRunName } from "./plan.ts";
import { type CapacityBenchmark, type Current, FINALIZER, type Sample, type Spec, type Status } from "./schema.ts";

export interface HpaObservation {
  minReplicas: number | null;
  maxReplicas: number;
  currentReplicas: number | null;
  desiredReplicas: number | null;
}

export type TestRunStage = "initialization" | "initialized" | "created" | "started" | "stopped" | "finished" | "error";

export interface Observation {
  now: string;
  /** null: the HPA does not exist. */
  hpa: HpaObservation | null;
  /** Ready replicas of the target Deployment; null: the Deployment does not exist. */
  readyReplicas: number | null;
  /** The TestRun named in status.current; null when it does not exist. */
  testRun: { name: string; stage?: TestRunStage } | null;
  /** TestRuns whose ownerReference is this benchmark (the only ones it may delete). */
  ownedTestRuns: string[];
  /** Prometheus figures of the current TestRun's plateaus, fetched once it is `finished`. */
  figures?: { ok: true; plateaus: PlateauFigures[] } | { ok: false; error: string };
}

export interface TestRunRequest {
  name: string;
  testId: string;
  script: string;
  rates: number[];
  warmupSeconds: number;
  plateauSeconds: number;
  /** Autoscaled: fresh connections per iteration, so replicas added mid-plateau receive load. */
  noConnectionReuse: boolean;
}

export type Action =
  | { type: "addFinalizer" }
  | { type: "removeFinalizer" }
  | { type: "createTestRun"; request: TestRunRequest }
  | { type: "deleteTestRun"; name: string }
  | { type: "setHpaBounds"; minReplicas: number | null; maxReplicas: number; why: "pin" | "restore" }
  | { type: "patchStatus"; status: Status }
  | { type: "event"; eventType: "Normal" | "Warning"; reason: string; message: string }
  | { type: "writeResults" }
  | { type: "deleteBenchmark" };

export interface Decision {
  actions: Action[];
  status: Status;
  /** When to look again (seconds); null: only on the next change. */
  requeueAfterSeconds: number | null;
}

/** TestRun attempts per pass before the benchmark fails. */
export const MAX_ATTEMPTS = 3;
/** Time a TestRun may take beyond its main phase (scheduling, image pull, initializer, teardown). */
export const TESTRUN_GRACE_SECONDS = 300;
export const POLL_SECONDS = 5;
const MAX_SAMPLES = 2000;

const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

export function reconcile(benchmark: CapacityBenchmark, obs: Observation): Decision {
  return new Reconciler(benchmark, obs).run();
}

class Reconciler {
  readonly actions: Action[] = [];
  readonly spec: Spec;
  status: Status;
  readonly generation: number;
  readonly benchmark: CapacityBenchmark;
  readonly obs: Observation;

  constructor(benchmark: CapacityBenchmark, obs: Observation) {
    this.benchmark = benchmark;
    this.obs = obs;
    this.spec = benchmark.spec;
    this.status = structuredClone(benchmark.status ?? {});
    this.generation = benchmark.metadata.generation ?? 0;
  }

  run(): Decision {
    if (this.benchmark.metadata.deletionTimestamp) return this.finalize();
    if (!this.benchmark.metadata.finalizers?.includes(FINALIZER)) this.actions.push({ type: "addFinalizer" });
    const s = this.status;
    if (s.observedGeneration !== undefined && s.observedGeneration !== this.generation) this.restart();
    if (s.phase === "Succeeded" || s.phase === "Failed") return this.afterFinish();
    if (!s.phase) this.start();
    s.observedGeneration = this.generation;

    if (!this.targetPresent()) return this.done(30);
    this.clearDegraded("TargetMissing");
    if (s.phase === "Settling" || s.phase === "Running") this.sample();
    if (this.pinHpa()) return this.done(POLL_SECONDS);
    if (s.phase === "Pending") s.phase = this.spec.scaling.mode === "Fixed" ? "Settling" : "Running";
    if (s.phase === "Settling") {
      const wait = this.settle();
      if (wait !== null) return this.done(wait);
    }
    return s.current ? this.follow(s.current) : this.launchNext();
  }

  // -- lifecycle ---------------------------------------------------------------------------------------------

  start(): void {
    const s = this.status;
    s.phase = "Pending";
    s.startedAt = this.obs.now;
    s.steps = this.spec.steps.map((step) => stepStatus(step.script, [], false));
    s.samples = [];
    this.progress("True", "Started", `${this.spec.steps.length} step(s), ${this.spec.scaling.mode} mode`);
    this.event("Normal", "Started", `benchmark started: ${this.spec.steps.map((step) => step.script).join(", ")}`);
  }

  /** A spec change restarts the measurement: figures of the old spec would not answer the new one. */
  restart(): void {
    const s = this.status;
    if (s.current) this.actions.push({ type: "deleteTestRun", name: s.current.testRun });
    const saved = s.hpaSaved;
    this.status = { conditions: s.conditions, ...(saved ? { hpaSaved: saved } : {}) };
    this.event("Normal", "SpecChanged", `generation ${this.generation}: measuring again from the first step`);
  }

  afterFinish(): Decision {
    const ttl = this.spec.ttlSecondsAfterFinished;
    if (ttl === undefined || !this.status.finishedAt) return this.done(null);
    const left = ttl - seconds(this.status.finishedAt, this.obs.now);
    if (left > 0) return this.done(Math.ceil(left));
    this.actions.push({ type: "deleteBenchmark" });
    return { actions: this.actions, status: this.status, requeueAfterSeconds: null };
  }

  finish(phase: "Succeeded" | "Failed", reason: string, message: string): Decision {
    const s = this.status;
    this.restoreHpa();
    s.phase = phase;
    s.finishedAt = this.obs.now;
    delete s.current;
    s.summary = summary(s);
    this.condition("Succeeded", phase === "Succeeded" ? "True" : "False", reason, message);
    this.progress("False", reason, message);
    this.actions.push({ type: "writeResults" });
    this.event(phase === "Succeeded" ? "Normal" : "Warning", reason, message);
    return this.done(this.spec.ttlSecondsAfterFinished ?? null);
  }

  /** Deletion: delete owned TestRuns, restore the HPA, then let go (remove the finalizer). */
  finalize(): Decision {
    for (const name of this.obs.ownedTestRuns) this.actions.push({ type: "deleteTestRun", name });
    if (this.obs.hpa) this.restoreHpa();
    if (!this.benchmark.metadata.finalizers?.includes(FINALIZER))
      return { actions: this.actions, status: this.status, requeueAfterSeconds: null };
    if (this.obs.ownedTestRuns.length > 0) return { actions: this.actions, status: this.status, requeueAfterSeconds: 2 };
    this.actions.push({ type: "removeFinalizer" });
    return { actions: this.actions, status: this.status, requeueAfterSeconds: null };
  }

  // -- target and replicas -----------------------------------------------------------------------------------

  targetPresent(): boolean {
    const missing = [
      this.obs.readyReplicas === null ? `Deployment ${this.spec.target.deployment}` : null,
      this.obs.hpa === null ? `HorizontalPodAutoscaler ${this.spec.target.hpa}` : null,
    ].filter((m): m is string => m !== null);
    if (missing.length === 0) return true;
    this.degraded("TargetMissing", `${missing.join(" and ")} not found in the benchmark's namespace; waiting`);
    return false;
  }

  /** HPA bounds the run wants: Fixed pins min = max = N; Autoscaled may set its own; null: leave the HPA alone. */
  wantedBounds(): { minReplicas: number | null; maxReplicas: number } | null {
    const scaling = this.spec.scaling;
    const hpa = this.obs.hpa as HpaObservation;
    if (scaling.mode === "Fixed") return { minReplicas: scaling.replicas ?? 1, maxReplicas: scaling.replicas ?? 1 };
    if (scaling.minReplicas === undefined && scaling.maxReplicas === undefined) return null;
    const original = this.status.hpaSaved ?? hpa;
    return { minReplicas: scaling.minReplicas ?? original.minReplicas, maxReplicas: scaling.maxReplicas ?? original.maxReplicas };
  }

  /** True when the HPA had to be (re)pinned in this pass: status first (the originals), then the HPA. */
  pinHpa(): boolean {
    const hpa = this.obs.hpa as HpaObservation;
    const wanted = this.wantedBounds();
    if (!wanted || (hpa.minReplicas === wanted.minReplicas && hpa.maxReplicas === wanted.maxReplicas)) return false;
    const s = this.status;
    if (!s.hpaSaved) s.hpaSaved = { minReplicas: hpa.minReplicas, maxReplicas: hpa.maxReplicas };
    if (s.phase === "Settling" || this.spec.scaling.mode === "Fixed") {
      s.phase = "Settling";
      delete s.settleStartedAt;
    }
    this.actions.push({ type: "patchStatus", status: structuredClone(s) });
    this.actions.push({ type: "setHpaBounds", ...wanted, why: "pin" });
    this.event(
      "Normal",
      "HpaPinned",
      `HPA ${this.spec.target.hpa}: min ${wanted.minReplicas ?? "default"}, max ${wanted.maxReplicas} (was ${s.hpaSaved.minReplicas ?? "default"}–${s.hpaSaved.maxReplicas}; restored at the end)`,
    );
    this.progress("True", "PinningHpa", `HPA bounds set to ${wanted.minReplicas}–${wanted.maxReplicas}`);
    return true;
  }

  restoreHpa(): void {
    const saved = this.status.hpaSaved;
    if (!saved) return;
    this.actions.push({ type: "setHpaBounds", minReplicas: saved.minReplicas, maxReplicas: saved.maxReplicas, why: "restore" });
    this.event(
      "Normal",
      "HpaRestored",
      `HPA ${this.spec.target.hpa}: min ${saved.minReplicas ?? "default"}, max ${saved.maxReplicas} again`,
    );
    delete this.status.hpaSaved;
  }

  /** Fixed: wait for N ready pods and the HPA at N, then the settle time. Seconds to wait, or null when done. */
  settle(): number | null {
    const s = this.status;
    const replicas = this.spec.scaling.replicas ?? 1;
    const hpa = this.obs.hpa as HpaObservation;
    if ((this.obs.readyReplicas ?? 0) < replicas || (hpa.currentReplicas !== null && hpa.currentReplicas !== replicas)) {
      delete s.settleStartedAt;
      this.progress("True", "WaitingForReplicas", `${this.obs.readyReplicas ?? 0}/${replicas} replicas ready`);
      return POLL_SECONDS;
    }
    s.settleStartedAt ??= this.obs.now;
    const left = this.spec.scaling.settleSeconds - seconds(s.settleStartedAt, this.obs.now);
    if (left > 0) {
      this.progress("True", "Settling", `${replicas} replicas ready; settling ${Math.ceil(left)} s more`);
      return Math.min(POLL_SECONDS, Math.ceil(left));
    }
    s.phase = "Running";
    return null;
  }

  sample(): void {
    const s = this.status;
    const samples: Sample[] = s.samples ?? [];
    samples.push({ at: this.obs.now, ready: this.obs.readyReplicas, desired: this.obs.hpa?.desiredReplicas ?? null });
    // Bounded status: halve the resolution of the older half when full.
    s.samples =
      samples.length > MAX_SAMPLES
        ? [...samples.slice(0, MAX_SAMPLES / 2).filter((_, i) => i % 2 === 0), ...samples.slice(MAX_SAMPLES / 2)]
        : samples;
  }

  // -- TestRuns ----------------------------------------------------------------------------------------------

  /** The next pass: the first step not done, its ladder pass or (once measured) its refinement. */
  nextPass(): { step: number; pass: "ladder" | "refine"; rates: number[] } | null {
    for (const [index, step] of (this.status.steps ?? []).entries()) {
      if (step.done) continue;
      const resolved = resolveStep(this.spec, index);
      if (step.plateaus.length === 0) return { step: index, pass: "ladder", rates: resolved.rates };
      const rates = refinementRates(step.plateaus.map(toPlateauResult), this.spec.capacitySearch.refinementSteps);
      return { step: index, pass: "refine", rates };
    }
    return null;
  }

  launchNext(attempt = 1): Decision {
    const next = this.nextPass();
    if (!next) return this.finish("Succeeded", "Completed", summary(this.status));
    const resolved = resolveStep(this.spec, next.step);
    const uid = this.benchmark.metadata.uid ?? this.benchmark.metadata.name;
    const name = testRunName(uid, this.generation, next.step, next.pass, attempt);
    const current: Current = {
      step: next.step,
      script: resolved.ladder.script,
      pass: next.pass,
      attempt,
      rates: next.rates,
      warmupSeconds: resolved.warmupSeconds,
      plateauSeconds: resolved.plateauSeconds,
      testRun: name,
      testId: testIdFor(this.benchmark.metadata.name, name),
      createdAt: this.obs.now,
    };
    this.status.current = current;
    this.status.summary = summary(this.status);
    this.progress(
      "True",
      "TestRunCreated",
      `step ${next.step + 1}/${this.spec.steps.length} ${current.script} (${next.pass}): TestRun ${name}`,
    );
    // Status first: a crash between the two leaves a name to re-create, never an unknown TestRun.
    this.actions.push({ type: "patchStatus", status: structuredClone(this.status) });
    this.createTestRun(current);
    this.event("Normal", "TestRunCreated", `${name}: ${current.script} at ${current.rates.join(", ")} req/s (${next.pass})`);
    return this.done(POLL_SECONDS);
  }

  createTestRun(current: Current): void {
    this.actions.push({
      type: "createTestRun",
      request: {
        name: current.testRun,
        testId: current.testId,
        script: current.script,
        rates: current.rates,
        warmupSeconds: current.warmupSeconds,
        plateauSeconds: current.plateauSeconds,
        noConnectionReuse: this.spec.scaling.mode === "Autoscaled",
      },
    });
  }

  follow(current: Current): Decision {
    const testRun = this.obs.testRun;
    if (!testRun) {
      // Never seen: the create did not happen (or is not visible yet). The name is deterministic: create again.
      if (!current.stage) {
        this.createTestRun(current);
        return this.done(POLL_SECONDS);
      }
      return this.retry(current, "TestRunVanished", `TestRun ${current.testRun} disappeared while ${current.stage}`);
    }
    if (testRun.stage) current.stage = testRun.stage;
    if (testRun.stage === "started" || testRun.stage === "finished") current.startedAt ??= this.obs.now;
    if (testRun.stage === "error") return this.retry(current, "TestRunError", `TestRun ${current.testRun} is in stage error`);
    const deadline = mainSeconds(current) + TESTRUN_GRACE_SECONDS;
    if (testRun.stage !== "finished" && seconds(current.createdAt, this.obs.now) > deadline) {
      return this.retry(
        current,
        "TestRunStuck",
        `TestRun ${current.testRun} still ${testRun.stage ?? "without a stage"} after ${deadline} s`,
      );
    }
    if (current.startedAt) {
      const index = plateauAt(current, seconds(current.startedAt, this.obs.now));
      if (index === null) delete current.rate;
      else current.rate = current.rates[index];
    }
    if (testRun.stage !== "finished") {
      this.status.summary = summary(this.status);
      this.progress(
        "True",
        "Running",
        `${current.script} (${current.pass}) ${current.rate ? `at ${current.rate} req/s` : `stage ${testRun.stage ?? "pending"}`}`,
      );
      return this.done(POLL_SECONDS);
    }
    return this.measure(current);
  }

  measure(current: Current): Decision {
    const figures = this.obs.figures;
    if (!figures) return this.done(1);
    if (!figures.ok) {
      this.degraded("PrometheusUnreachable", `figures of ${current.testRun} not available: ${figures.error}; retrying`);
      return this.done(30);
    }
    this.clearDegraded("PrometheusUnreachable");
    const rule = ruleOf(this.spec, current.script);
    const steps = this.status.steps ?? [];
    const previous = steps[current.step]?.plateaus ?? [];
    const judged = figures.plateaus.map((f, i) => judgeFigures(this.withReplicas(f), previous.length + i, rule));
    const merged = [...previous, ...judged];
    const wantsRefine = current.pass === "ladder" && this.spec.capacitySearch.refinementSteps > 0;
    const refine = wantsRefine ? refinementRates(merged.map(toPlateauResult), this.spec.capacitySearch.refinementSteps) : [];
    steps[current.step] = stepStatus(current.script, merged, refine.length === 0);
    this.status.steps = steps;
    const step = steps[current.step];
    this.actions.push({ type: "deleteTestRun", name: current.testRun });
    delete this.status.current;
    this.clearDegraded("TestRunError", "TestRunStuck", "TestRunVanished");
    this.verdictConditions();
    this.event(
      "Normal",
      "PassMeasured",
      `${current.script} (${current.pass}): ${step?.capacity_rps === null ? "no capacity" : `${step?.capacity_rps} req/s`} (${step?.limited_by})`,
    );
    return this.launchNext();
  }

  /** Ready/desired replicas of a plateau from the controller's own samples when Prometheus has none. */
  withReplicas(f: PlateauFigures): PlateauFigures {
    const inside = (this.status.samples ?? []).filter((x) => x.at >= f.startedAt && x.at <= f.endedAt);
    const ready = inside.map((x) => x.ready).filter((v): v is number => v !== null);
    const desired = inside.map((x) => x.desired).filter((v): v is number => v !== null);
    return {
      ...f,
      readyReplicasMin: f.readyReplicasMin ?? (ready.length ? Math.min(...ready) : null),
      readyReplicasMax: f.readyReplicasMax ?? (ready.length ? Math.max(...ready) : null),
      hpaDesiredReplicas: f.hpaDesiredReplicas ?? (desired.length ? Math.max(...desired) : null),
    };
  }

  retry(current: Current, reason: string, message: string): Decision {
    this.actions.push({ type: "deleteTestRun", name: current.testRun });
    delete this.status.current;
    if (current.attempt >= MAX_ATTEMPTS) {
      this.degraded(reason, `${message}; ${MAX_ATTEMPTS} attempts, giving up`);
      return this.finish("Failed", reason, `${message} (attempt ${current.attempt} of ${MAX_ATTEMPTS})`);
    }
    this.degraded(reason, `${message}; attempt ${current.attempt + 1} of ${MAX_ATTEMPTS}`);
    return this.launchNext(current.attempt + 1);
  }

  // -- conditions, events ------------------------------------------------------------------------------------

  verdictConditions(): void {
    const steps = (this.status.steps ?? []).filter((step) => step.plateaus.length > 0);
    const anyLimited = steps.filter((step) => step.generator_limited);
    if (anyLimited.length > 0) {
      const message = `a runner reached the ${this.spec.generatorGuard.runnerCpuCores}-core ceiling before the service failed: ${anyLimited.map((s) => s.script).join(", ")} (no capacity claimed; add parallelism)`;
      if (conditionOf(this.status.conditions, "GeneratorLimited")?.status !== "True") this.event("Warning", "GeneratorLimited", message);
      this.condition("GeneratorLimited", "True", "RunnerCpuCeiling", message);
    } else {
      this.condition("GeneratorLimited", "False", "BelowCeiling", "every runner stayed below its CPU ceiling where it counted");
    }
    const violated = steps.filter((step) => step.limited_by === "no_plateau_met_slo");
    if (violated.length > 0) {
      const message = `no tested rate met the SLO (p99 ≤ ${this.spec.slo.p99Ms} ms, errors ≤ ${this.spec.slo.errorRate}) for ${violated.map((s) => s.script).join(", ")}`;
      if (conditionOf(this.status.conditions, "SLOViolated")?.status !== "True") this.event("Warning", "SLOViolated", message);
      this.condition("SLOViolated", "True", "NoPlateauMetSLO", message);
    } else {
      this.condition("SLOViolated", "False", "LowestPlateauMetSLO", "every measured step met the SLO at its lowest rate");
    }
  }

  degraded(reason: string, message: string): void {
    const previous = conditionOf(this.status.conditions, "Degraded");
    // One Event per new reason, not one per requeue.
    if (previous?.status !== "True" || previous.reason !== reason) this.event("Warning", reason, message);
    this.condition("Degraded", "True", reason, message);
  }

  clearDegraded(...reasons: string[]): void {
    const previous = conditionOf(this.status.conditions, "Degraded");
    if (previous?.status === "True" && reasons.includes(previous.reason))
      this.condition("Degraded", "False", "Recovered", `recovered from ${previous.reason}`);
  }

  condition(type: Parameters<typeof setCondition>[1], status: "True" | "False" | "Unknown", reason: string, message: string): void {
    this.status.conditions = setCondition(this.status.conditions, type, status, reason, message, this.obs.now, this.generation);
  }

  progress(status: "True" | "False", reason: string, message: string): void {
    this.condition("Progressing", status, reason, message);
  }

  event(eventType: "Normal" | "Warning", reason: string, message: string): void {
    this.actions.push({ type: "event", eventType, reason, message });
  }

  done(requeueAfterSeconds: number | null): Decision {
    this.actions.push({ type: "patchStatus", status: this.status });
    return { actions: this.actions, status: this.status, requeueAfterSeconds };
  }
}

/** One line for `kubectl get`: the step running now, or each measured step's capacity. */
export function summary(status: Status): string {
  const c = status.current;
  const measured = (status.steps ?? [])
    .filter((step) => step.plateaus.length > 0)
    .map((step) => `${step.script} ${step.capacity_rps === null ? "—" : `${step.capacity_rps}`} (${step.limited_by})`);
  const now = c ? `running ${c.script}${c.rate ? ` @${c.rate}` : ""}; ` : "";
  return `${now}${measured.join(", ")}`.slice(0, 200);
}
