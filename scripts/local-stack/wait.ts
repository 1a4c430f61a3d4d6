// Waiting on an observable state instead of sleeping for a guessed time: the one polling loop of the
// tests, the benchmarks and the reliability scenarios.
import { setTimeout as sleep } from "node:timers/promises";

export interface WaitOptions {
  /** Default 30 s, on the monotonic clock: this host's wall clock jumps, which ended waits without a probe. */
  timeoutMs?: number;
  /** Between probes; default 100 ms. */
  intervalMs?: number;
  /** Asked before every probe: a reason (the process that was to answer has exited) ends the wait at once. */
  giveUpIf?: () => string | undefined;
}

/** A `giveUpIf` for a child process: gives up once it has exited. */
export function untilExited(name: string, child: { exitCode: number | null; signalCode: NodeJS.Signals | null }): () => string | undefined {
  return () => (child.exitCode !== null || child.signalCode !== null ? `${name} exited` : undefined);
}

/**
 * Polls `probe` until it returns something other than undefined or false and resolves with that. A probe
 * that throws counts as "not yet" (a server still starting refuses connections, a new CRD's storage
 * answers 429); the last error is in the timeout's message.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 30_000, intervalMs = 100, giveUpIf }: WaitOptions = {},
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const reason = giveUpIf?.();
    if (reason) throw new Error(`gave up waiting for ${what}: ${reason}`);
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ""}`);
    }
    await sleep(intervalMs);
  }
}
