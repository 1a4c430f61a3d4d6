// Time as delivery decides with it, behind a port: tests substitute a clock they move themselves, so
// retry waits, expiry and reclaim intervals are asserted exactly instead of waited for.
import { setTimeout } from "node:timers/promises";

export interface Clock {
  /** Milliseconds since the epoch: a code's expiry is a wall-clock time. */
  now(): number;
  /** Resolves after `ms`; rejects as soon as `signal` is aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => setTimeout(ms, undefined, { signal }),
};
