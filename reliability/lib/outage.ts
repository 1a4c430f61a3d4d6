// The shape shared by the dependency-outage scenarios: load and probes running, a dependency stopped
// for a while and started again, and the timeline cut into before / during / after.
import { setTimeout as sleep } from "node:timers/promises";
import { type CallResult, call, epochMs, json, type Sampled, sampleEvery } from "./http.ts";

export interface OutageTimeline {
  stopRequestedAt: number;
  /** The dependency's process has exited. */
  downAt: number;
  startRequestedAt: number;
  /** The dependency accepts connections again. */
  upAt: number;
}

export async function runOutage(options: {
  baselineMs: number;
  outageMs: number;
  observeMs: number;
  stop: () => Promise<void>;
  start: () => Promise<void>;
  log: (message: string) => void;
  what: string;
}): Promise<OutageTimeline> {
  await sleep(options.baselineMs);
  const stopRequestedAt = epochMs();
  await options.stop();
  const downAt = epochMs();
  options.log(`${options.what} stopped (${Math.round(downAt - stopRequestedAt)} ms); down for ${options.outageMs} ms`);
  await sleep(Math.max(0, options.outageMs - (downAt - stopRequestedAt)));
  const startRequestedAt = epochMs();
  await options.start();
  const upAt = epochMs();
  options.log(`${options.what} started again (${Math.round(upAt - startRequestedAt)} ms); observing ${options.observeMs} ms`);
  await sleep(options.observeMs);
  return { stopRequestedAt, downAt, startRequestedAt, upAt };
}

export interface ProbeSample {
  ready: number;
  live: number;
}

/** /ready and /live of one instance, every intervalMs. */
export function probeEvery(url: string, intervalMs = 100) {
  return sampleEvery<ProbeSample>(intervalMs, async () => {
    const [ready, live] = await Promise.all([call(`${url}/ready`, { timeoutMs: 1_000 }), call(`${url}/live`, { timeoutMs: 1_000 })]);
    return { ready: ready.status, live: live.status };
  });
}

/** Milliseconds from `from` to the first sample satisfying `test`, or null. */
export function firstSampleAfter<T>(samples: Array<Sampled<T>>, from: number, test: (value: T) => boolean): number | null {
  const hit = samples.find((sample) => sample.at >= from && test(sample.value));
  return hit ? Math.round(hit.at - from) : null;
}

/**
 * Milliseconds from `from` until every later request succeeded: the start of the first request after
 * which no request failed. Null when the run ended with a failure.
 */
export function sustainedRecoveryMs<T extends { startedAt: number }>(
  results: T[],
  from: number,
  ok: (result: T) => boolean,
): number | null {
  const after = results.filter((result) => result.startedAt >= from).sort((a, b) => a.startedAt - b.startedAt);
  if (after.length === 0) return null;
  let lastFailure = -1;
  after.forEach((result, index) => {
    if (!ok(result)) lastFailure = index;
  });
  if (lastFailure === after.length - 1) return null;
  const first = after[lastFailure + 1] as T;
  return Math.max(0, Math.round(first.startedAt - from));
}

/** The OTP ids of the sends answered 200. */
export function acceptedIds(results: CallResult[]): string[] {
  return results
    .filter((result) => result.status === 200)
    .map((result) => json(result)?.id)
    .filter((id): id is string => typeof id === "string");
}
