// defineBenchmark: one call builds everything a k6 script exports (options, setup, the iteration,
// handleSummary) from the shared plan, so a script states only what it measures and cannot get the
// method wrong: open-model plateaus, phase tags, thresholds on phase:main only, sampled checks, the summary.
import exec from "k6/execution";
import type { Options } from "k6/options";
import { config } from "./env.ts";
import { inSetupPhase } from "./http.ts";
import {
  type BenchPlan,
  buildPlan,
  buildScenarios,
  buildThresholds,
  uniqueIterationIndex as indexIn,
  SUMMARY_TREND_STATS,
} from "./plan.ts";
import { buildScriptSummary, formatSummaryText, type K6SummaryData, type SetupEnvelope, type TrendColumn } from "./summary.ts";

/** Parallel requests per http.batch() in setup (k6's default of 6 per host would make a large setup crawl). */
export const SETUP_BATCH_SIZE = 50;

export interface BenchmarkDefinition<T> {
  /** Script id, e.g. "07-otp-code-capacity": the summary's `script`. */
  script: string;
  /** What is measured, e.g. "GET /layers/cpu", for the text summary. */
  endpoint: string;
  /** Typical latency of one iteration in ms, to size the VUs (rate × latency). */
  expectedLatencyMs: number;
  /** Added to the latency SLO and abort limit, for an endpoint that waits on purpose. */
  latencyAllowanceMs?: number;
  /** Script-specific preparation; its requests are tagged phase:"setup". Its result reaches every iteration. */
  setup?: (plan: BenchPlan) => T;
  /** Default 60 s; a function of the plan when setup's work grows with the run (the verify flow's codes). */
  setupTimeoutS?: number | ((plan: BenchPlan) => number);
  /** One iteration of the main phase (warm-up and plateaus). */
  iteration: (data: T) => void;
  /** Custom Trends reported per plateau in the text summary. */
  trends?: TrendColumn[];
}

export interface Benchmark<T> {
  plan: BenchPlan;
  options: Options;
  setup: () => SetupEnvelope<T>;
  iteration: (envelope: SetupEnvelope<T>) => void;
  handleSummary: (data: K6SummaryData) => Record<string, string>;
}

let activePlan: BenchPlan | undefined;

export function defineBenchmark<T = null>(definition: BenchmarkDefinition<T>): Benchmark<T> {
  const plan = buildPlan(config, {
    expectedLatencyMs: definition.expectedLatencyMs,
    latencyAllowanceMs: definition.latencyAllowanceMs,
    plateauTrends: (definition.trends ?? []).map((trend) => trend.metric),
  });
  activePlan = plan;
  const options: Options = {
    // Always explicit scenarios; no vus/duration/iterations/stages anywhere (env.ts refuses their K6_* variables).
    scenarios: buildScenarios(plan),
    thresholds: buildThresholds(plan),
    summaryTrendStats: SUMMARY_TREND_STATS,
    discardResponseBodies: true,
    batch: SETUP_BATCH_SIZE,
    batchPerHost: SETUP_BATCH_SIZE,
    setupTimeout: `${typeof definition.setupTimeoutS === "function" ? definition.setupTimeoutS(plan) : (definition.setupTimeoutS ?? 60)}s`,
  };

  return {
    plan,
    options,
    setup() {
      assertScenariosIntact(plan);
      // biome-ignore lint/suspicious/noConsole: k6's logger; printed once, from setup, not from every VU's init.
      for (const warning of plan.warnings) console.warn(warning);
      const data = definition.setup ? inSetupPhase(() => (definition.setup as (plan: BenchPlan) => T)(plan)) : (null as T);
      return { mainStartedAtMs: Date.now(), data };
    },
    iteration(envelope) {
      definition.iteration(envelope.data);
    },
    handleSummary(data) {
      const summary = buildScriptSummary(data, plan, definition.script, Date.now());
      const output: Record<string, string> = {
        stdout: formatSummaryText(summary, data, { endpoint: definition.endpoint, plan, trends: definition.trends }),
      };
      if (config.summaryPath) output[config.summaryPath] = `${JSON.stringify(summary, null, 2)}\n`;
      return output;
    },
  };
}

/** CLI flags (--vus, --duration, --iterations, --stages) replace the scenarios without a word; refuse to run then. */
function assertScenariosIntact(plan: BenchPlan): void {
  const expected = [...(plan.warmup ? [plan.warmup.name] : []), ...plan.plateaus.map((plateau) => plateau.name)].sort();
  const running = Object.keys(exec.test.options.scenarios ?? {}).sort();
  if (running.join(",") !== expected.join(",")) {
    throw new Error(
      `k6 is not running this script's scenarios (expected ${expected.join(", ")}; running ${running.join(", ") || "none"}). ` +
        "--vus, --duration, --iterations or --stages replace them: shape the run with RATES, PLATEAU_SECONDS and WARMUP_SECONDS instead.",
    );
  }
}

/**
 * An index unique across the whole run (warm-up and every plateau): the current scenario's offset plus
 * k6's iteration number within it. Use it to give each iteration its own pre-made item.
 */
export function uniqueIterationIndex(): number {
  if (!activePlan) throw new Error("uniqueIterationIndex() needs defineBenchmark() first");
  return indexIn(activePlan, exec.scenario.name, exec.scenario.iterationInTest);
}
