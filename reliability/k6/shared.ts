// What every reliability k6 journey needs: its required settings, its steady arrival rate and numbers, and
// the summary it hands back to the scenario (stdout and the SUMMARY_PATH file), read from k6's end-of-test data.
import type { Options } from "k6/options";

export function required(name: string): string {
  const value = __ENV[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const RATE = Number(__ENV.RATE ?? "20");
const DURATION_S = Number(__ENV.DURATION_S ?? "20");

/**
 * RATE iterations a second for DURATION_S, with VUs to spare for slow answers, and no thresholds: the
 * orchestrator judges the run. An iteration still running at the end gets gracefulStopS.
 */
export function steadyArrivals(scenario: string, gracefulStopS: number): Options {
  return {
    scenarios: {
      [scenario]: {
        executor: "constant-arrival-rate",
        rate: RATE,
        timeUnit: "1s",
        duration: `${DURATION_S}s`,
        preAllocatedVUs: Math.max(10, Math.ceil(RATE * 1.5)),
        maxVUs: Math.max(50, RATE * 20),
        gracefulStop: `${gracefulStopS}s`,
      },
    },
    summaryTrendStats: ["avg", "med", "p(95)", "p(99)", "max", "count"],
  };
}

// One random block of numbers per run; each iteration gets its own number from it.
const phoneBase = Math.floor(Math.random() * 50_000_000);

/** The iteration's own number: +<PHONE_PREFIX><8 digits>. */
export function phoneOf(index: number, defaultPrefix: string): string {
  return `+${__ENV.PHONE_PREFIX ?? defaultPrefix}${String((phoneBase + index) % 100_000_000).padStart(8, "0")}`;
}

export interface SummaryData {
  metrics: Record<string, { values: Record<string, number> }>;
}

/** One statistic of one metric, 0 when the run never recorded it. */
export const metricValue = (data: SummaryData) => (metric: string, stat: string) => data.metrics[metric]?.values[stat] ?? 0;

/** The journey's figures as one JSON line on stdout and a file at SUMMARY_PATH for the scenario to read. */
export function summaryOutputs(summary: Record<string, number>): Record<string, string> {
  return {
    stdout: `${JSON.stringify(summary)}\n`,
    [required("SUMMARY_PATH")]: JSON.stringify(summary, null, 2),
  };
}
