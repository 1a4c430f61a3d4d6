// Two latency samples compared (abuse-and-secrets' timing check): means, spreads, Cohen's d, Welch's t.

export function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Sample standard deviation (n − 1). */
export function stdev(values: number[]): number | null {
  const m = mean(values);
  if (m === null || values.length < 2) return null;
  return Math.sqrt(values.reduce((sum, value) => sum + (value - m) ** 2, 0) / (values.length - 1));
}

export interface Comparison {
  meanA: number;
  meanB: number;
  stdevA: number;
  stdevB: number;
  /** meanB − meanA. */
  difference: number;
  /** The difference in units of the pooled standard deviation (Cohen's d). */
  effectSize: number;
  /** Welch's t statistic of the difference. */
  welchT: number;
}

/** Two samples compared: means, spreads, the difference relative to the spread, Welch's t. */
export function compare(a: number[], b: number[]): Comparison | null {
  const meanA = mean(a);
  const meanB = mean(b);
  const stdevA = stdev(a);
  const stdevB = stdev(b);
  if (meanA === null || meanB === null || stdevA === null || stdevB === null) return null;
  const pooled = Math.sqrt(((a.length - 1) * stdevA ** 2 + (b.length - 1) * stdevB ** 2) / (a.length + b.length - 2));
  const standardError = Math.sqrt(stdevA ** 2 / a.length + stdevB ** 2 / b.length);
  const difference = meanB - meanA;
  return {
    meanA,
    meanB,
    stdevA,
    stdevB,
    difference,
    effectSize: pooled === 0 ? 0 : difference / pooled,
    welchT: standardError === 0 ? 0 : difference / standardError,
  };
}
