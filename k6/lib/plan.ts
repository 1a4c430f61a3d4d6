// The benchmark plan, as pure functions: configuration from the environment, the plateau schedule,
// VU sizing, thresholds and the unique-iteration budget. No k6 imports, so Node unit-tests it and
// every k6 script derives its options from the same code.

/**
 * Environment variables k6 itself reads as "shortcut" options. Any of them replaces the script's
 * scenarios with one closed-model scenario, silently: the run would measure something else.
 */
export const FORBIDDEN_ENV = ["K6_VUS", "K6_DURATION", "K6_ITERATIONS", "K6_STAGES"] as const;

/**
 * VUs are sized for a latency of this × max(expected latency, SLO p99): up to there, a latency rise never
 * needs a VU k6 would have to initialise mid-plateau (it drops the iteration that found none free).
 */
export const VU_HEADROOM = 2;
/** Never fewer pre-allocated VUs than this, whatever the rate × latency product says. */
export const VU_FLOOR = 5;
/** k6 starts rate × duration + 1 iterations per constant-arrival-rate scenario; the rest is slack. */
export const ITERATION_SLACK = 3;
/** A request slower than this is an error (k6's default is 60 s, which would hide a stall in a short plateau). */
export const REQUEST_TIMEOUT_S = 10;
/** Long enough for every request still in flight at the end of a plateau to finish (and be counted) within its timeout. */
export const GRACEFUL_STOP_S = REQUEST_TIMEOUT_S + 2;
/** Abort thresholds are not evaluated before this; a cold first second must not stop the run. */
export const ABORT_EVAL_DELAY = "5s";
export const SUMMARY_TREND_STATS = ["avg", "min", "med", "p(90)", "p(95)", "p(99)", "max", "count"];

export class BenchConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BenchConfigError";
  }
}

export interface BenchConfig {
  baseUrl: string;
  /** Offered rates in req/s, strictly ascending: one plateau each. */
  rates: number[];
  plateauSeconds: number;
  /** 0 = no warm-up. */
  warmupSeconds: number;
  warmupRate: number;
  /** Share of iterations whose response is checked, 0..1. */
  checkSampleRate: number;
  sloP99Ms: number;
  sloErrorRate: number;
  /** A plateau whose p99 passes SLO_P99_MS × this aborts the run; 0 disables the abort. */
  abortFactor: number;
  maxVus: number;
  summaryPath: string | undefined;
  tenantsFile: string | undefined;
  smsUrl: string | undefined;
  delayMs: number;
  /** Upper bound on the OTPs the verify flow sends in setup(). */
  verifyMaxCodes: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates the configuration; throws one BenchConfigError naming every bad variable. */
export function parseConfig(env: Env): BenchConfig {
  assertNoShortcutOverrides(env);
  const issues: string[] = [];
  const read = <T>(name: string, parse: (raw: string) => T, fallback: T): T => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === "") return fallback;
    try {
      return parse(raw);
    } catch (error) {
      issues.push(`${name}: ${(error as Error).message} (got "${raw}")`);
      return fallback;
    }
  };
  const required = <T>(name: string, parse: (raw: string) => T, example: string): T | undefined => {
    if (!env[name]?.trim()) {
      issues.push(`${name}: is required, e.g. ${example}`);
      return undefined;
    }
    return read<T | undefined>(name, parse, undefined);
  };

  const baseUrl = required("BASE_URL", httpUrl, "BASE_URL=http://127.0.0.1:8080");
  const rates = required("RATES", rateList, "RATES=100,200,400");
  const plateauSeconds = read("PLATEAU_SECONDS", integer(1, 3600), 10);
  const warmupSeconds = read("WARMUP_SECONDS", integer(0, 3600), 5);
  const warmupRate = read("WARMUP_RATE", integer(1, 1_000_000), Math.max(1, Math.ceil((rates?.[0] ?? 2) / 2)));
  const checkSampleRate = read("CHECK_SAMPLE_RATE", decimal(0, 1), 0.01);
  const sloP99Ms = read("SLO_P99_MS", positive(600_000), 50);
  const sloErrorRate = read("SLO_ERROR_RATE", decimal(0, 1), 0.01);
  const abortFactor = read("ABORT_FACTOR", abortMultiplier, 10);
  const maxVus = read("MAX_VUS", integer(1, 100_000), 200);
  const summaryPath = read<string | undefined>("SUMMARY_PATH", (raw) => raw, undefined);
  const tenantsFile = read<string | undefined>("TENANTS_FILE", (raw) => raw, undefined);
  const smsUrl = read<string | undefined>("SMS_URL", httpUrl, undefined);
  const delayMs = read("DELAY_MS", integer(0, 30_000), 100);
  const verifyMaxCodes = read("VERIFY_MAX_CODES", integer(1, 1_000_000), 20_000);
  if (sloErrorRate === 0) issues.push("SLO_ERROR_RATE: must be above 0 (a rate below 0 can never hold)");

  if (issues.length > 0 || baseUrl === undefined || rates === undefined) {
    throw new BenchConfigError(`invalid benchmark configuration: ${issues.join("; ")}`);
  }
  return {
    baseUrl,
    rates,
    plateauSeconds,
    warmupSeconds,
    warmupRate,
    checkSampleRate,
    sloP99Ms,
    sloErrorRate,
    abortFactor,
    maxVus,
    summaryPath,
    tenantsFile,
    smsUrl,
    delayMs,
    verifyMaxCodes,
  };
}

export function assertNoShortcutOverrides(env: Env): void {
  const set = FORBIDDEN_ENV.filter((name) => env[name] !== undefined && env[name] !== "");
  if (set.length > 0) {
    throw new BenchConfigError(
      `${set.join(", ")} ${set.length === 1 ? "is" : "are"} set: k6 would replace this script's open-model plateaus with a ` +
        "closed-model default scenario. Unset it and shape the run with RATES, PLATEAU_SECONDS and WARMUP_SECONDS.",
    );
  }
}

function httpUrl(raw: string): string {
  if (!/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(raw)) throw new Error("must be an http:// or https:// URL without query");
  return raw.replace(/\/+$/, "");
}

function integer(min: number, max: number): (raw: string) => number {
  return (raw) => {
    if (!/^\d+$/.test(raw)) throw new Error("must be a whole number");
    const value = Number(raw);
    if (value < min || value > max) throw new Error(`must be between ${min} and ${max}`);
    return value;
  };
}

function decimal(min: number, max: number): (raw: string) => number {
  return (raw) => {
    if (!/^\d+(\.\d+)?$|^\.\d+$/.test(raw)) throw new Error("must be a number");
    const value = Number(raw);
    if (value < min || value > max) throw new Error(`must be between ${min} and ${max}`);
    return value;
  };
}

function positive(max: number): (raw: string) => number {
  const parse = decimal(0, max);
  return (raw) => {
    const value = parse(raw);
    if (value === 0) throw new Error("must be above 0");
    return value;
  };
}

function abortMultiplier(raw: string): number {
  const value = decimal(0, 10_000)(raw);
  if (value !== 0 && value < 1) throw new Error("must be 0 (no abort) or at least 1 (an abort below the SLO makes no sense)");
  return value;
}

function rateList(raw: string): number[] {
  const parts = raw.split(",").map((part) => part.trim());
  const rates = parts.map((part) => {
    if (!/^\d+$/.test(part) || Number(part) < 1) throw new Error("must be a comma-separated list of whole req/s above 0");
    return Number(part);
  });
  if (rates.length > 99) throw new Error("at most 99 plateaus");
  for (let index = 1; index < rates.length; index++) {
    if ((rates[index] as number) <= (rates[index - 1] as number))
      throw new Error("must be strictly ascending (plateaus run in rate order)");
  }
  return rates;
}

// ---------------------------------------------------------------------------------------------------------------
// The schedule

export interface ScenarioPlan {
  /** "warmup", or "p01", "p02", … */
  name: string;
  phase: "warmup" | "main";
  rate: number;
  /** Seconds from the start of the main phase (end of setup). */
  startS: number;
  durationS: number;
  preAllocatedVUs: number;
  maxVUs: number;
  /** First unique iteration index of this scenario (see uniqueIterationIndex). */
  iterationOffset: number;
  iterationBudget: number;
}

export interface PlanOptions {
  /** Typical latency of one iteration, for VU sizing (Little's law: VUs in flight = rate × latency). */
  expectedLatencyMs: number;
  /** Added to the latency SLO and the abort limit, for an endpoint that waits on purpose (delayed-hello). */
  latencyAllowanceMs?: number;
  /** Custom Trend metrics to report per plateau (k6 only reports a tagged sub-metric that has a threshold). */
  plateauTrends?: string[];
}

export interface BenchPlan {
  warmup: ScenarioPlan | null;
  plateaus: ScenarioPlan[];
  /** Warm-up plus every plateau, in seconds. */
  mainDurationS: number;
  /** Unique iteration indexes the whole run can use (warm-up included). */
  totalIterationBudget: number;
  sloP99Ms: number;
  abortP99Ms: number | null;
  sloErrorRate: number;
  hasChecks: boolean;
  plateauTrends: string[];
  /** Problems that do not stop the run but make a plateau's figures suspect. */
  warnings: string[];
}

export function plateauName(index: number): string {
  return `p${String(index + 1).padStart(2, "0")}`;
}

export interface VuSizing {
  /** Rate × expected latency: VUs busy at once when latency is as expected (Little's law). */
  neededVUs: number;
  preAllocatedVUs: number;
  maxVUs: number;
}

/**
 * Pre-allocates the VUs the plateau needs if its latency rises to twice the SLO (or twice the expected
 * latency, if that is more), capped at MAX_VUS, which is also maxVUs. k6 initialises a missing VU mid-plateau
 * and drops the iteration that found none free: an undersized pool would blame the target for the generator.
 */
export function vuSizing(rate: number, expectedLatencyMs: number, sloP99Ms: number, maxVus: number): VuSizing {
  const neededVUs = (rate * expectedLatencyMs) / 1000;
  const sizedForMs = VU_HEADROOM * Math.max(expectedLatencyMs, sloP99Ms);
  const preAllocatedVUs = Math.min(maxVus, Math.max(VU_FLOOR, Math.ceil((rate * sizedForMs) / 1000)));
  return { neededVUs, preAllocatedVUs, maxVUs: maxVus };
}

export function buildPlan(config: BenchConfig, options: PlanOptions): BenchPlan {
  if (!(options.expectedLatencyMs > 0)) throw new BenchConfigError("expectedLatencyMs must be above 0");
  const warnings: string[] = [];
  const sloP99Ms = config.sloP99Ms + (options.latencyAllowanceMs ?? 0);
  let offset = 0;
  const scenario = (name: string, phase: "warmup" | "main", rate: number, startS: number, durationS: number): ScenarioPlan => {
    const { neededVUs, preAllocatedVUs, maxVUs } = vuSizing(rate, options.expectedLatencyMs, sloP99Ms, config.maxVus);
    if (neededVUs * VU_HEADROOM > config.maxVus) {
      warnings.push(
        `${name}: ${rate} req/s × ~${options.expectedLatencyMs} ms needs ~${Math.ceil(neededVUs)} VUs in flight ` +
          `(×${VU_HEADROOM} headroom), close to or above MAX_VUS=${config.maxVus}: dropped iterations would mean the generator, not the target, is the limit`,
      );
    }
    const iterationBudget = rate * durationS + ITERATION_SLACK;
    const plan: ScenarioPlan = { name, phase, rate, startS, durationS, preAllocatedVUs, maxVUs, iterationOffset: offset, iterationBudget };
    offset += iterationBudget;
    return plan;
  };
  const warmup = config.warmupSeconds > 0 ? scenario("warmup", "warmup", config.warmupRate, 0, config.warmupSeconds) : null;
  const plateaus = config.rates.map((rate, index) =>
    scenario(plateauName(index), "main", rate, config.warmupSeconds + index * config.plateauSeconds, config.plateauSeconds),
  );
  return {
    warmup,
    plateaus,
    mainDurationS: config.warmupSeconds + config.rates.length * config.plateauSeconds,
    totalIterationBudget: offset,
    sloP99Ms,
    abortP99Ms: config.abortFactor > 0 ? config.sloP99Ms * config.abortFactor + (options.latencyAllowanceMs ?? 0) : null,
    sloErrorRate: config.sloErrorRate,
    hasChecks: config.checkSampleRate > 0,
    plateauTrends: options.plateauTrends ?? [],
    warnings,
  };
}

/** The scenario options k6 runs: one constant-arrival-rate scenario per plateau, back to back after the warm-up. */
export interface ArrivalRateScenario {
  executor: "constant-arrival-rate";
  rate: number;
  timeUnit: string;
  duration: string;
  startTime: string;
  preAllocatedVUs: number;
  maxVUs: number;
  gracefulStop: string;
  tags: Record<string, string>;
}

export function buildScenarios(plan: BenchPlan): Record<string, ArrivalRateScenario> {
  const scenarios: Record<string, ArrivalRateScenario> = {};
  for (const scenario of [...(plan.warmup ? [plan.warmup] : []), ...plan.plateaus]) {
    scenarios[scenario.name] = {
      executor: "constant-arrival-rate",
      rate: scenario.rate,
      timeUnit: "1s",
      duration: `${scenario.durationS}s`,
      startTime: `${scenario.startS}s`,
      preAllocatedVUs: scenario.preAllocatedVUs,
      maxVUs: scenario.maxVUs,
      gracefulStop: `${GRACEFUL_STOP_S}s`,
      tags:
        scenario.phase === "warmup" ? { phase: "warmup" } : { phase: "main", plateau: scenario.name, offered_rps: String(scenario.rate) },
    };
  }
  return scenarios;
}

/** The sub-metric keys of one plateau, exactly as thresholds name them and handleSummary finds them. */
export function plateauMetricKeys(name: string) {
  const main = `{phase:main,scenario:${name}}`;
  return {
    duration: `http_req_duration${main}`,
    failed: `http_req_failed${main}`,
    requests: `http_reqs${main}`,
    checks: `checks${main}`,
    dropped: `dropped_iterations{scenario:${name}}`,
    trend: (metric: string) => `${metric}{scenario:${name}}`,
  };
}

export const WARMUP_METRIC_KEYS = { duration: "http_req_duration{phase:warmup}", requests: "http_reqs{phase:warmup}" };

export type Threshold = string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string };

/**
 * Per plateau, on phase:main sub-metrics only: the latency SLO (plus an abort far past it), the error rate,
 * "it ran", no dropped iterations, and the checks. The thresholds also make k6 put these sub-metrics in the
 * summary data. Warm-up and custom trends get reporting-only thresholds that cannot fail.
 */
export function buildThresholds(plan: BenchPlan): Record<string, Threshold[]> {
  const thresholds: Record<string, Threshold[]> = {};
  if (plan.warmup) {
    thresholds[WARMUP_METRIC_KEYS.duration] = ["max>=0"];
    thresholds[WARMUP_METRIC_KEYS.requests] = ["count>=0"];
  }
  for (const plateau of plan.plateaus) {
    const keys = plateauMetricKeys(plateau.name);
    thresholds[keys.duration] = [
      `p(99)<${plan.sloP99Ms}`,
      ...(plan.abortP99Ms === null ? [] : [{ threshold: `p(99)<${plan.abortP99Ms}`, abortOnFail: true, delayAbortEval: ABORT_EVAL_DELAY }]),
    ];
    thresholds[keys.failed] = [`rate<${plan.sloErrorRate}`];
    thresholds[keys.requests] = ["count>0"];
    thresholds[keys.dropped] = ["count<1"];
    if (plan.hasChecks) thresholds[keys.checks] = ["rate>0.99"];
    for (const metric of plan.plateauTrends) thresholds[keys.trend(metric)] = ["max>=0"];
  }
  return thresholds;
}

/** The abort threshold's expression, to tell an abort apart from an SLO miss in the summary data. */
export function abortExpression(plan: BenchPlan): string | null {
  return plan.abortP99Ms === null ? null : `p(99)<${plan.abortP99Ms}`;
}

/**
 * An index unique over the whole run (warm-up and every plateau), e.g. to give each iteration its own
 * pre-sent OTP: the scenario's offset plus k6's per-scenario iteration number.
 */
export function uniqueIterationIndex(plan: BenchPlan, scenarioName: string, iterationInScenario: number): number {
  const scenario = scenarioName === "warmup" ? plan.warmup : plan.plateaus.find((plateau) => plateau.name === scenarioName);
  if (!scenario) throw new Error(`unknown scenario "${scenarioName}"`);
  if (iterationInScenario >= scenario.iterationBudget) {
    throw new Error(`${scenarioName}: iteration ${iterationInScenario} is beyond its budget of ${scenario.iterationBudget}`);
  }
  return scenario.iterationOffset + iterationInScenario;
}
