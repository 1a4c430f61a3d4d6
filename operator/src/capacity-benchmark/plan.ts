// What a step runs: its rates and timing resolved from the spec and the ladder, the deterministic names of
// its TestRuns, and which plateau a moment falls in. Pure.
import { LADDER, type LadderStep, PROFILE_TIMING } from "../../../k6/runner/ladder.ts";
import type { Spec } from "./schema.ts";

export interface ResolvedStep {
  ladder: LadderStep;
  rates: number[];
  warmupSeconds: number;
  plateauSeconds: number;
}

export function ladderStep(script: string): LadderStep {
  const step = LADDER.find((candidate) => candidate.script === script);
  if (!step) throw new Error(`unknown ladder script ${script}`);
  return step;
}

export function resolveStep(spec: Spec, index: number): ResolvedStep {
  const step = spec.steps[index];
  if (!step) throw new Error(`no step ${index}`);
  const ladder = ladderStep(step.script);
  const profile = step.profile ?? "default";
  const timing = PROFILE_TIMING[profile];
  const plateau = step.plateauSeconds ?? timing.plateauSeconds;
  return {
    ladder,
    rates: step.rates ?? ladder.rates[profile],
    warmupSeconds: step.warmupSeconds ?? timing.warmupSeconds,
    // Autoscaled: a plateau shorter than the HPA's reaction time would measure the old replica count.
    plateauSeconds: spec.scaling.mode === "Autoscaled" ? Math.max(plateau, spec.scaling.holdSeconds) : plateau,
  };
}

/**
 * TestRun name from the benchmark's UID, its generation, the step, the pass and the attempt: a controller restarted at any
 * point derives the same name, so creating it again is an AlreadyExists, never a second TestRun.
 * ≤ 50 characters: the operator derives Job and Service names from it (63-character limit).
 */
export function testRunName(uid: string, generation: number, step: number, pass: "ladder" | "refine", attempt: number): string {
  return `cb-${uid.replace(/-/g, "").slice(0, 12)}-g${generation}-s${step}-${pass === "ladder" ? "l" : "r"}${attempt}`;
}

/** The k6 testid tag: unique per TestRun, so Prometheus series of different runs never mix. */
export function testIdFor(benchmarkName: string, testRun: string): string {
  return `${benchmarkName.slice(0, 30)}-${testRun}`;
}

/** Seconds of main phase: warm-up plus every plateau. */
export function mainSeconds(run: { rates: number[]; warmupSeconds: number; plateauSeconds: number }): number {
  return run.warmupSeconds + run.rates.length * run.plateauSeconds;
}

/** The plateau (index into rates) running `elapsedS` after the main phase started; null in warm-up or after. */
export function plateauAt(run: { rates: number[]; warmupSeconds: number; plateauSeconds: number }, elapsedS: number): number | null {
  const index = Math.floor((elapsedS - run.warmupSeconds) / run.plateauSeconds);
  return index >= 0 && index < run.rates.length ? index : null;
}
