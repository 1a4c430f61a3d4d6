// handleSummary's pure half: k6's end-of-test data → the ScriptSummary contract (summary-format.ts) and a
// short text table. No k6 imports, so Node unit-tests it against recorded summary data.
import { abortExpression, type BenchPlan, plateauMetricKeys, type ScenarioPlan, WARMUP_METRIC_KEYS } from "./plan.ts";
import type { PlateauSummary, ScriptSummary } from "./summary-format.ts";

/** The part of k6's handleSummary data this module reads. */
export interface K6Metric {
  type?: string;
  values: Record<string, number | undefined>;
  thresholds?: Record<string, { ok: boolean }>;
}

export interface K6SummaryData {
  metrics: Record<string, K6Metric | undefined>;
  setup_data?: unknown;
  state?: { testRunDurationMs?: number };
}

/** What every script's setup() returns (defineBenchmark wraps the script's own data in it). */
export interface SetupEnvelope<T = unknown> {
  mainStartedAtMs: number;
  data: T;
}

/** A custom Trend reported per plateau in the text table, e.g. VUs in flight for Little's law. */
export interface TrendColumn {
  metric: string;
  label: string;
  /** A figure to set the observed one against, computed from the plateau's own results. */
  expected?: { label: string; value: (plateau: PlateauSummary) => number };
}

export function buildScriptSummary(data: K6SummaryData, plan: BenchPlan, script: string, nowMs: number): ScriptSummary {
  const mainStartedAtMs = setupStartedAt(data.setup_data);
  const elapsedMainS = mainStartedAtMs > 0 ? (nowMs - mainStartedAtMs) / 1000 : Number.POSITIVE_INFINITY;
  const abort = abortExpression(plan);
  const abortFired =
    abort !== null &&
    plan.plateaus.some((plateau) => metric(data, plateauMetricKeys(plateau.name).duration)?.thresholds?.[abort]?.ok === false);

  const ran = plan.plateaus.filter((plateau) => count(data, plateauMetricKeys(plateau.name).requests) > 0);
  const neverRan = plan.plateaus.filter((plateau) => !ran.includes(plateau));
  const aborted = abortFired || neverRan.length > 0;
  const plateaus = ran.map((plateau) => plateauSummary(data, plateau, aborted ? elapsedMainS : Number.POSITIVE_INFINITY));

  // A plateau that never ran fails "count>0" and has nothing to say about the SLO: `aborted` tells that story.
  const silenced = new Set(neverRan.flatMap((plateau) => plateauKeys(plateau.name, plan.plateauTrends)));
  const thresholdsCrossed = Object.keys(data.metrics)
    .filter((key) => !silenced.has(key))
    .filter((key) => Object.values(data.metrics[key]?.thresholds ?? {}).some((threshold) => !threshold.ok))
    .sort();

  const warmup = plan.warmup
    ? {
        rate: plan.warmup.rate,
        durationS: plan.warmup.durationS,
        requests: count(data, WARMUP_METRIC_KEYS.requests),
        p99Ms: value(data, WARMUP_METRIC_KEYS.duration, "p(99)"),
      }
    : null;

  return {
    script,
    mainStartedAtMs,
    warmup,
    plateaus,
    thresholdsCrossed,
    aborted,
    vusMaxObserved: value(data, "vus_max", "max"),
  };
}

function plateauSummary(data: K6SummaryData, plateau: ScenarioPlan, elapsedMainS: number): PlateauSummary {
  const keys = plateauMetricKeys(plateau.name);
  const checks = metric(data, keys.checks)?.values;
  const checked = (checks?.passes ?? 0) + (checks?.fails ?? 0);
  // An abort cuts the running plateau short: report the time it actually ran, so requests / durationS holds.
  const ranS = elapsedMainS - plateau.startS;
  const durationS = ranS < plateau.durationS ? Math.max(0.1, Math.round(ranS * 10) / 10) : plateau.durationS;
  return {
    name: plateau.name,
    offeredRps: plateau.rate,
    startOffsetS: plateau.startS,
    durationS,
    requests: count(data, keys.requests),
    // http_req_failed is a Rate whose "passes" are the failed requests.
    failedRequests: value(data, keys.failed, "passes"),
    droppedIterations: count(data, keys.dropped),
    latencyMs: {
      avg: value(data, keys.duration, "avg"),
      p50: value(data, keys.duration, "med"),
      p95: value(data, keys.duration, "p(95)"),
      p99: value(data, keys.duration, "p(99)"),
      max: value(data, keys.duration, "max"),
    },
    vusCap: plateau.maxVUs,
    checksPassRate: checked > 0 ? (checks?.rate ?? 0) : null,
  };
}

function plateauKeys(name: string, trends: string[]): string[] {
  const keys = plateauMetricKeys(name);
  return [keys.duration, keys.failed, keys.requests, keys.checks, keys.dropped, ...trends.map(keys.trend)];
}

function setupStartedAt(setupData: unknown): number {
  const started = (setupData as Partial<SetupEnvelope> | null | undefined)?.mainStartedAtMs;
  return typeof started === "number" && Number.isFinite(started) ? started : 0;
}

function metric(data: K6SummaryData, key: string): K6Metric | undefined {
  return data.metrics[key];
}

function value(data: K6SummaryData, key: string, stat: string): number {
  const found = metric(data, key)?.values[stat];
  return typeof found === "number" && Number.isFinite(found) ? found : 0;
}

function count(data: K6SummaryData, key: string): number {
  return value(data, key, "count");
}

// ---------------------------------------------------------------------------------------------------------------
// Text

export interface TextContext {
  endpoint: string;
  plan: BenchPlan;
  trends?: TrendColumn[];
}

export function formatSummaryText(summary: ScriptSummary, data: K6SummaryData, context: TextContext): string {
  const { plan } = context;
  const trends = context.trends ?? [];
  const lines = [
    "",
    `${summary.script} · ${context.endpoint} · SLO p99 < ${plain(plan.sloP99Ms)} ms, errors < ${plain(plan.sloErrorRate * 100)} %`,
  ];
  if (summary.warmup) {
    const { rate, durationS, requests, p99Ms } = summary.warmup;
    lines.push(`warm-up: ${rate} req/s × ${durationS} s, ${requests} requests, p99 ${round(p99Ms)} ms`);
  }
  const header = [
    "plateau",
    "offered",
    "achieved",
    "requests",
    "failed",
    "dropped",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "max ms",
    "checks",
    "VU cap",
  ];
  for (const trend of trends) header.push(`${trend.label} avg`, `${trend.label} p95`, ...(trend.expected ? [trend.expected.label] : []));
  const rows = summary.plateaus.map((plateau) => {
    const row = [
      plateau.name,
      String(plateau.offeredRps),
      round(plateau.requests / plateau.durationS),
      String(plateau.requests),
      String(plateau.failedRequests),
      String(plateau.droppedIterations),
      round(plateau.latencyMs.p50),
      round(plateau.latencyMs.p95),
      round(plateau.latencyMs.p99),
      round(plateau.latencyMs.max),
      plateau.checksPassRate === null ? "-" : `${round(plateau.checksPassRate * 100)}%`,
      String(plateau.vusCap),
    ];
    for (const trend of trends) {
      const key = plateauMetricKeys(plateau.name).trend(trend.metric);
      row.push(round(value(data, key, "avg")), round(value(data, key, "p(95)")));
      if (trend.expected) row.push(round(trend.expected.value(plateau)));
    }
    return row;
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const render = (cells: string[]) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0))).join("  ");
  lines.push(render(header), ...rows.map(render));
  const skipped = plan.plateaus.filter((plateau) => !summary.plateaus.some((ran) => ran.name === plateau.name));
  if (summary.mainStartedAtMs === 0) {
    lines.push("NOTHING RAN: setup() did not finish (see the error above)");
  } else if (summary.aborted) {
    const limit = plan.abortP99Ms === null ? "" : ` (abort limit: p99 ${plain(plan.abortP99Ms)} ms)`;
    const never = skipped.map((plateau) => `${plateau.name} (${plateau.rate} req/s)`).join(", ");
    lines.push(`ABORTED early${limit}${never ? `; never ran: ${never}` : ""}`);
  }
  lines.push(`thresholds crossed: ${summary.thresholdsCrossed.length > 0 ? summary.thresholdsCrossed.join(", ") : "none"}`);
  lines.push(`VUs max: ${summary.vusMaxObserved}`, "");
  return lines.join("\n");
}

/** A configured figure as written, without float noise (0.07 × 100 → 7). */
function plain(value: number): string {
  return String(Number(value.toPrecision(6)));
}

function round(value: number): string {
  if (!Number.isFinite(value)) return "-";
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2);
}
