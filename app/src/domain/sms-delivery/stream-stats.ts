// Consumer-group backlog as Redis reports it (XINFO GROUPS, Redis 7+): read on scrape, bounded,
// and never an error, so a slow or absent Redis cannot fail a /metrics scrape.
import type { Redis } from "ioredis";

export interface StreamStats {
  /** Entries not yet delivered to any consumer of the group; undefined when Redis cannot tell. */
  lag: number | undefined;
  /** Entries delivered and not yet acknowledged. */
  pending: number;
}

export interface StreamStatsOptions {
  streamKey: string;
  consumerGroup: string;
  timeoutMs: number;
}

export function createStreamStatsReader(redis: Redis, options: StreamStatsOptions): () => Promise<StreamStats | undefined> {
  // A scrape collects every metric concurrently: both gauges then share the one read in flight.
  let inFlight: Promise<StreamStats | undefined> | undefined;

  async function read(): Promise<StreamStats | undefined> {
    const replies = await redis.pipeline().xinfo("GROUPS", options.streamKey).xlen(options.streamKey).exec();
    const [groupsReply, lengthReply] = replies ?? [];
    if (!groupsReply || groupsReply[0]) return undefined;
    const group = (groupsReply[1] as unknown[][]).map(objectFromFlat).find((info) => info.name === options.consumerGroup);
    if (!group) return undefined;
    const pending = Number(group.pending ?? 0);
    // Redis reports lag as null when deletions make it unknowable; every entry still in the
    // stream is then either pending or undelivered, since the worker deletes what it finished.
    const length = lengthReply && !lengthReply[0] ? Number(lengthReply[1]) : undefined;
    const lag = typeof group.lag === "number" ? group.lag : length === undefined ? undefined : Math.max(0, length - pending);
    return { lag, pending };
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

function objectFromFlat(flat: unknown[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) object[String(flat[i])] = flat[i + 1];
  return object;
}
