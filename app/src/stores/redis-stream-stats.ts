// The job stream's backlog and the dead-letter stream as Redis reports them (XINFO GROUPS, Redis 7+,
// XLEN, the first entry's id): read on scrape, bounded, and never an error, so a slow or absent Redis
// cannot fail a /metrics scrape.
import type { Redis } from "ioredis";

export interface StreamStats {
  /** Entries not yet delivered to any consumer of the group; undefined when Redis cannot tell. */
  lag: number | undefined;
  /** Entries delivered and not yet acknowledged; undefined before the group exists. */
  pending: number | undefined;
  /** Jobs in the stream: every one not yet finished, since the worker deletes what it finished. */
  length: number | undefined;
  /** How long the oldest unfinished job has waited (0 when there is none): what a code's TTL is up against. */
  oldestAgeSeconds: number | undefined;
  /** Entries in the dead-letter stream (trimmed to about SMS_DEAD_LETTER_MAX_LENGTH). */
  deadLetters: number | undefined;
}

export interface StreamStatsOptions {
  streamKey: string;
  deadLetterKey: string;
  consumerGroup: string;
  timeoutMs: number;
  now?: () => number;
}

type Reply = [Error | null, unknown] | undefined;

export function createStreamStatsReader(redis: Redis, options: StreamStatsOptions): () => Promise<StreamStats | undefined> {
  const now = options.now ?? Date.now;
  // A scrape collects every metric concurrently: the gauges then share the one read in flight.
  let inFlight: Promise<StreamStats | undefined> | undefined;

  async function read(): Promise<StreamStats> {
    const replies = await redis
      .pipeline()
      .xinfo("GROUPS", options.streamKey)
      .xlen(options.streamKey)
      .xrange(options.streamKey, "-", "+", "COUNT", 1)
      .xlen(options.deadLetterKey)
      .exec();
    const [groupsReply, lengthReply, firstReply, deadReply] = (replies ?? []) as Reply[];
    const length = numberOf(lengthReply);
    const group = ok(groupsReply)
      ? (groupsReply[1] as unknown[][]).map(objectFromFlat).find((info) => info.name === options.consumerGroup)
      : undefined;
    const pending = group ? Number(group.pending ?? 0) : undefined;
    // Redis reports lag as null when deletions make it unknowable; every entry still in the
    // stream is then either pending or undelivered, since the worker deletes what it finished.
    const lag = !group
      ? undefined
      : typeof group.lag === "number"
        ? group.lag
        : length === undefined
          ? undefined
          : Math.max(0, length - (pending ?? 0));
    return { lag, pending, length, oldestAgeSeconds: oldestAge(firstReply), deadLetters: numberOf(deadReply) };
  }

  /** An entry id starts with the milliseconds at which it was appended. */
  function oldestAge(reply: Reply): number | undefined {
    if (!ok(reply)) return undefined;
    const [first] = reply[1] as Array<[string, string[]]>;
    if (!first) return 0;
    return Math.max(0, now() - Number(first[0].split("-")[0])) / 1000;
  }

  return () => {
    if (inFlight) return inFlight;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, options.timeoutMs, undefined);
    });
    inFlight = Promise.race([read().catch(() => undefined), timeout]).finally(() => {
      clearTimeout(timer);
      inFlight = undefined;
    });
    return inFlight;
  };
}

function ok(reply: Reply): reply is [null, unknown] {
  return reply !== undefined && !reply[0];
}

function numberOf(reply: Reply): number | undefined {
  return ok(reply) ? Number(reply[1]) : undefined;
}

function objectFromFlat(flat: unknown[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) object[String(flat[i])] = flat[i + 1];
  return object;
}
