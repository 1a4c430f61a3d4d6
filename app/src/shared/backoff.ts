// Delay before a retry: exponential growth, capped, with full jitter so that workers retrying
// after the same provider outage spread out instead of hitting it again in lockstep.

export interface BackoffPolicy {
  retryBaseMs: number;
  retryMaxMs: number;
}

/**
 * Milliseconds to wait after the given failed attempt (1 = the first attempt failed).
 * A uniform draw in [0, min(retryMaxMs, retryBaseMs · 2^(failedAttempt − 1))).
 */
export function backoffDelayMs(failedAttempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.max(0, failedAttempt - 1);
  // Capping the exponent first keeps 2^n finite for any attempt count.
  const ceiling = Math.min(policy.retryMaxMs, policy.retryBaseMs * 2 ** Math.min(exponent, 30));
  return Math.floor(random() * ceiling);
}
