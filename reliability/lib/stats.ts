// Small, dependency-free statistics for the figures.

/** Nearest-rank percentile (p in 0..100) of the values; null when there are none. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Sample standard deviation (n − 1). */
export function stdev(values: number[]): number | null {
  const m = mean(values);
  if (m === null || values.length < 2) return null;
  return Math.sqrt(values.reduce((sum, value) => sum + (value - m) ** 2, 0) / (values.length - 1));
}

export function round(value: number | null, digits = 2): number | null {
  if (value === null || !Number.isFinite(value)) return value;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
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
