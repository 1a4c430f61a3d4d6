// An open-model load generator: requests start at a fixed rate whatever the answers take (the way
// independent users arrive), each is timed and kept with its answer, so a scenario can cut the
// timeline into before / during / after an event and check every accepted OTP later.
import { setTimeout as sleep } from "node:timers/promises";
import { type CallResult, call, epochMs } from "./http.ts";

export interface LoadRequest {
  /** Groups the results, e.g. "send" or "verify". */
  kind: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Anything the scenario wants back with the result (the phone number, …). */
  meta?: Record<string, string>;
}

export interface LoadResult extends CallResult {
  kind: string;
  meta: Record<string, string>;
}

export interface LoadOptions {
  /** Requests per second. */
  rate: number;
  next: (index: number) => LoadRequest;
  timeoutMs?: number;
  /** Requests are skipped (and counted) rather than started beyond this many in flight. */
  maxInFlight?: number;
  /** Stop starting requests after this many. */
  limit?: number;
}

export interface Load {
  results: LoadResult[];
  /** Stops starting requests and waits for those in flight. */
  stop(): Promise<{ results: LoadResult[]; skipped: number; durationS: number }>;
}

export function startLoad(options: LoadOptions): Load {
  const results: LoadResult[] = [];
  const inFlight = new Set<Promise<void>>();
  const maxInFlight = options.maxInFlight ?? 500;
  const started = epochMs();
  let issued = 0;
  let skipped = 0;
  let running = true;

  const fire = (index: number) => {
    const request = options.next(index);
    const promise = call(request.url, {
      method: request.method ?? "POST",
      ...(request.headers ? { headers: request.headers } : {}),
      ...(request.body !== undefined ? { body: request.body } : {}),
      timeoutMs: options.timeoutMs ?? 10_000,
    }).then((result) => {
      results.push({ ...result, kind: request.kind, meta: request.meta ?? {} });
    });
    inFlight.add(promise);
    promise.finally(() => inFlight.delete(promise));
  };

  const loop = (async () => {
    // Catch up to rate × elapsed every few ms: no drift, and a slow answer never delays the next start.
    while (running) {
      const due = Math.floor(((epochMs() - started) / 1000) * options.rate);
      while (issued < due && issued < (options.limit ?? Number.POSITIVE_INFINITY)) {
        if (inFlight.size >= maxInFlight) skipped += 1;
        else fire(issued);
        issued += 1;
      }
      if (options.limit !== undefined && issued >= options.limit) break;
      await sleep(5);
    }
  })();

  return {
    results,
    async stop() {
      running = false;
      await loop;
      const durationS = (epochMs() - started) / 1000;
      await Promise.all([...inFlight]);
      return { results, skipped, durationS };
    },
  };
}

/** The results whose request started within [from, to). */
export function startedBetween(results: LoadResult[], from: number, to: number): LoadResult[] {
  return results.filter((result) => result.startedAt >= from && result.startedAt < to);
}

export function countBy<T>(items: T[], key: (item: T) => string | number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const k = String(key(item));
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}
