// A clock that moves only when the test moves it. Delivery's waits (retry back-off, Retry-After, read
// pauses, the reclaim interval) pass in virtual time: tests assert exact times and wait for nothing.
import { setImmediate } from "node:timers/promises";
import type { Clock } from "../../src/shared/clock";

/** Where every fake clock starts: a fixed instant, so jobs can be dated before a clock exists. */
export const T0 = Date.UTC(2026, 0, 1);

interface Sleeper {
  wakeAt: number;
  wake(): void;
}

export interface FakeClock extends Clock {
  /** When each pending sleep ends, earliest first. */
  wakeTimes(): number[];
  /** Lets every woken task run on until it waits again. */
  settle(): Promise<void>;
  /** Moves time to the earliest pending wake-up and runs what it wakes; false when nothing sleeps. */
  advanceToNextWake(): Promise<boolean>;
}

export function fakeClock(): FakeClock {
  let now = T0;
  const sleepers: Sleeper[] = [];
  // The code under test chains only promises (its fakes do too): one macrotask turn drains them all.
  const settle = async () => {
    await setImmediate();
  };
  return {
    now: () => now,
    sleep(ms, signal) {
      return new Promise((resolve, reject) => {
        signal?.throwIfAborted();
        const sleeper: Sleeper = {
          wakeAt: now + ms,
          wake() {
            signal?.removeEventListener("abort", abort);
            resolve();
          },
        };
        function abort() {
          sleepers.splice(sleepers.indexOf(sleeper), 1);
          reject(signal?.reason);
        }
        signal?.addEventListener("abort", abort, { once: true });
        sleepers.push(sleeper);
      });
    },
    wakeTimes: () => sleepers.map((sleeper) => sleeper.wakeAt).sort((a, b) => a - b),
    settle,
    async advanceToNextWake() {
      await settle();
      // The earliest first; of equals, the one that started sleeping first.
      const next = sleepers.reduce<Sleeper | undefined>(
        (earliest, sleeper) => (earliest && earliest.wakeAt <= sleeper.wakeAt ? earliest : sleeper),
        undefined,
      );
      if (!next) return false;
      sleepers.splice(sleepers.indexOf(next), 1);
      now = next.wakeAt;
      next.wake();
      await settle();
      return true;
    },
  };
}

/**
 * Moves the clock from wake-up to wake-up until `done()` holds. Fails when nothing is left to wake, or
 * after `limitMs` of virtual time: a worker's reclaim loop sleeps forever, so that is what bounds it.
 */
export async function runUntil(clock: FakeClock, done: () => boolean, limitMs = 3_600_000): Promise<void> {
  const deadline = clock.now() + limitMs;
  await clock.settle();
  while (!done()) {
    if (clock.now() > deadline) throw new Error(`the awaited state did not come within ${limitMs} ms of virtual time`);
    if (!(await clock.advanceToNextWake())) throw new Error("nothing sleeps on the clock, and the awaited state never came");
  }
}

/** Runs `work` to its end in virtual time. */
export async function runToEnd<T>(clock: FakeClock, work: Promise<T>): Promise<T> {
  let finished = false;
  const result = work.finally(() => {
    finished = true;
  });
  await runUntil(clock, () => finished);
  return result;
}
