// What every reliability k6 journey needs: its required settings and the summary it hands back to the
// scenario (stdout and the SUMMARY_PATH file), read from k6's end-of-test data.

export function required(name: string): string {
  const value = __ENV[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
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
