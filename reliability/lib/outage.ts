// The shape shared by the dependency-outage scenarios: load and probes running, a dependency stopped
// for a while and started again, and the timeline cut into before / during / after.
import { setTimeout as sleep } from "node:timers/promises";
import type { ServiceProcess } from "@otp-lab/local-stack/service-process";
import { countBy } from "./figures.ts";
import { call, epochMs } from "./otp-client.ts";
import type { Checks } from "./scenario.ts";

export interface OutageTimeline {
  stopRequestedAt: number;
  /** The dependency's process has exited. */
  downAt: number;
  startRequestedAt: number;
  /** The dependency accepts connections again. */
  upAt: number;
}

export interface OutageTiming {
  baselineMs: number;
  outageMs: number;
  observeMs: number;
}

/** How long a load must run to cover the timeline: its parts, plus a second for stopping and starting. */
export function timelineS(timing: OutageTiming): number {
  return Math.ceil((timing.baselineMs + timing.outageMs + timing.observeMs) / 1000) + 1;
}

/** Stops `dependency` after the baseline, starts it again after the outage, and observes. */
export async function runOutage(
  options: OutageTiming & {
    dependency: { stop(): Promise<void>; start(): Promise<void> };
    log: (message: string) => void;
    what: string;
  },
): Promise<OutageTimeline> {
  await sleep(options.baselineMs);
  const stopRequestedAt = epochMs();
  await options.dependency.stop();
  const downAt = epochMs();
  options.log(`${options.what} stopped (${Math.round(downAt - stopRequestedAt)} ms); down for ${options.outageMs} ms`);
  await sleep(Math.max(0, options.outageMs - (downAt - stopRequestedAt)));
  const startRequestedAt = epochMs();
  await options.dependency.start();
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

/** Adds whether /ready answered 503 in every sample from 1 s after the dependency went down until its start. */
export function checkReadyDown(checks: Checks, name: string, samples: Array<Sampled<ProbeSample>>, timeline: OutageTimeline): boolean {
  const during = samples.filter((sample) => sample.at >= timeline.downAt + 1_000 && sample.at < timeline.startRequestedAt);
  return checks.add(
    name,
    "all 503",
    countBy(during, (sample) => sample.value.ready),
    during.length > 0 && during.every((sample) => sample.value.ready === 503),
  );
}

/** Remembers the service's process now; the returned check adds whether that process is still the one running. */
export function watchProcess(service: ServiceProcess): (checks: Checks, name: string) => boolean {
  const pid = service.pid();
  return (checks, name) => checks.add(name, `pid ${pid}, alive`, `pid ${service.pid()}`, service.pid() === pid && service.alive());
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

/** The requests (k6's) that started within [from, to). */
export function startedBetween<T extends { startedAt: number }>(requests: T[], from: number, to: number): T[] {
  return requests.filter((request) => request.startedAt >= from && request.startedAt < to);
}

export interface Sampled<T> {
  at: number;
  value: T;
}

/** Calls `read` every intervalMs (never overlapping) until stopped; returns what it saw, timestamped. */
export function sampleEvery<T>(
  intervalMs: number,
  read: () => Promise<T>,
): { stop(): Promise<Array<Sampled<T>>>; samples: Array<Sampled<T>> } {
  const samples: Array<Sampled<T>> = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const at = epochMs();
      samples.push({ at, value: await read() });
      const wait = intervalMs - (epochMs() - at);
      if (wait > 0 && running) await sleep(wait);
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}
