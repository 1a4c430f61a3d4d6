// The SMS job queue (the SmsJobQueue port) on a Redis stream and consumer group: reads with a
// blocking XREADGROUP on a connection of its own, takes over abandoned entries with XAUTOCLAIM,
// acknowledges with XACK + XDEL in batches, and parks undelivered jobs in a dead-letter stream.
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { context, ROOT_CONTEXT } from "@opentelemetry/api";
import type { Redis } from "ioredis";
import type { ClaimResult, DeadLetterOutcome, QueuedJob, SmsJobQueue } from "../domain/sms-delivery/ports";
import { fieldsFromFlat } from "../domain/sms-job";

export interface RedisSmsJobQueueOptions {
  /** Non-blocking commands (acknowledge, dead-letter, reclaim). The reader is a duplicate of it. */
  redis: Redis;
  streamKey: string;
  deadLetterKey: string;
  deadLetterMaxLength: number;
  consumerGroup: string;
  /** How long an entry must have been idle before another consumer takes it over. */
  reclaimIdleMs: number;
  /** Unique per process; defaults to host name and pid. */
  consumerName?: string;
  /** How long one XREADGROUP waits for new entries. */
  blockMs?: number;
}

export function createRedisSmsJobQueue(options: RedisSmsJobQueueOptions): SmsJobQueue {
  const { redis, streamKey, consumerGroup } = options;
  const consumer = options.consumerName ?? `${hostname()}-${process.pid}`;
  const blockMs = options.blockMs ?? 1_000;
  const acknowledge = createAcknowledger(redis, streamKey, consumerGroup);
  let reader: Redis | undefined;
  let readerClientId: number | undefined;

  return {
    consumer,
    location: { stream: streamKey, group: consumerGroup },

    async ensureGroup() {
      try {
        // From id 0, not $: jobs appended before the first worker ever started must be delivered too.
        await redis.xgroup("CREATE", streamKey, consumerGroup, "0", "MKSTREAM");
        return true;
      } catch (error) {
        if (!String((error as Error).message).startsWith("BUSYGROUP")) throw error;
        return false;
      }
    },

    open() {
      // XREADGROUP BLOCK holds its connection; it must not share one with other commands, nor
      // inherit the command timeout meant for them. blockingTimeout guards against a dead socket.
      const activeReader = redis.duplicate({
        connectionName: `otp-service/sms-reader/${consumer}`,
        commandTimeout: undefined,
        blockingTimeout: blockMs + 5_000,
        enableOfflineQueue: true,
        maxRetriesPerRequest: null,
        // A read cut off by a reconnect fails back to the loop instead of being replayed behind its back.
        autoResendUnfulfilledCommands: false,
      });
      reader = activeReader;
      activeReader.on("error", () => {
        // The read loop logs read failures; connection errors repeat on every reconnect attempt.
      });
      // A new connection has a new id; it is looked up again before the next read.
      activeReader.on("close", () => {
        readerClientId = undefined;
      });
    },

    async read(count, stop) {
      if (!reader) throw new Error("the job queue is not open");
      // Asked between reads: on the reader's connection it would otherwise queue behind a blocked read.
      readerClientId ??= Number(await reader.client("ID"));
      if (stop.aborted) return [];
      const reply = await reader.xreadgroup("GROUP", consumerGroup, consumer, "COUNT", count, "BLOCK", blockMs, "STREAMS", streamKey, ">");
      return entriesFromRead(reply);
    },

    isMissingGroup(error) {
      return String((error as Error | undefined)?.message).startsWith("NOGROUP");
    },

    async keepClaimed(ids) {
      if (ids.length > 0) await redis.xclaim(streamKey, consumerGroup, consumer, 0, ...ids, "JUSTID");
    },

    async claimAbandoned(cursor, count) {
      return entriesFromAutoClaim(
        await redis.xautoclaim(streamKey, consumerGroup, consumer, options.reclaimIdleMs, cursor, "COUNT", count),
      );
    },

    acknowledge,

    /** Trimmed to about deadLetterMaxLength (whole stream nodes, cheap); the send log keeps every outcome. */
    async deadLetter(job, outcome, error, attempts) {
      const fields = deadLetterFields(job, outcome, error, attempts);
      await redis.xadd(options.deadLetterKey, "MAXLEN", "~", options.deadLetterMaxLength, "*", ...fields);
    },

    async interruptRead(readEnded) {
      // Ends the blocked read now (as if it timed out) rather than up to blockMs later.
      if (readerClientId !== undefined) await redis.client("UNBLOCK", readerClientId).catch(() => undefined);
      const ended = await Promise.race([readEnded.then(() => true), sleep(blockMs + 500, false, { ref: false })]);
      // Still waiting on a connection that is down: closing it fails the queued command and ends the loop.
      if (!ended) reader?.disconnect();
    },

    close() {
      reader?.disconnect();
    },
  };
}

/**
 * Acknowledges entries in batches: the send log commits outcomes a batch at a time, and the jobs it
 * releases together are acknowledged together, in one MULTI (XACK + XDEL of every id) instead of one
 * transaction each. Each caller still learns whether its own entry was acknowledged.
 */
function createAcknowledger(redis: Redis, streamKey: string, consumerGroup: string): (id: string) => Promise<void> {
  let batch: Array<{ id: string; resolve(): void; reject(error: unknown): void }> = [];

  async function flush(): Promise<void> {
    const entries = batch;
    batch = [];
    const ids = entries.map((entry) => entry.id);
    try {
      // One MULTI, so an entry is never acknowledged without being deleted or the other way round.
      // Outside any delivery's trace: the batch belongs to many.
      const replies = await context.with(ROOT_CONTEXT, () =>
        redis
          .multi()
          .xack(streamKey, consumerGroup, ...ids)
          .xdel(streamKey, ...ids)
          .exec(),
      );
      const failed = replies?.find(([error]) => error);
      if (!replies || failed) throw failed?.[0] ?? new Error("acknowledge transaction aborted");
      for (const entry of entries) entry.resolve();
    } catch (error) {
      for (const entry of entries) entry.reject(error);
    }
  }

  return (id) =>
    new Promise<void>((resolve, reject) => {
      // The jobs one commit releases all run before the next turn of the event loop: collect them until then.
      if (batch.length === 0) setImmediate(() => void flush());
      batch.push({ id, resolve, reject });
    });
}

function deadLetterFields(job: QueuedJob, outcome: DeadLetterOutcome, error: string, attempts: number): string[] {
  // The job stays sealed in the dead-letter stream; the outcome, the reason and the source id are for
  // operators (and the re-drive command, which keeps only the job's own fields).
  const fields = { ...job.fields, outcome, error, attempts: String(attempts), sourceId: job.id };
  return Object.entries(fields).flat();
}

// The stream replies decoded (RESP2-shaped, which ioredis gives by default).
type RawEntry = [id: string, flat: string[] | null];

/** XREADGROUP … STREAMS key >: [[key, [[id, [k, v, …]], …]]] or null when the block timed out. */
function entriesFromRead(reply: unknown): QueuedJob[] {
  if (!Array.isArray(reply)) return [];
  return (reply as Array<[string, RawEntry[]]>).flatMap(([, entries]) => toEntries(entries));
}

/** XAUTOCLAIM: [next, [[id, [k, v, …]], …], [deleted ids]]. Redis drops deleted ids from the PEL itself. */
function entriesFromAutoClaim(reply: unknown): ClaimResult {
  const [next, entries] = (Array.isArray(reply) ? reply : []) as [string?, RawEntry[]?];
  return { next: next ?? "0-0", jobs: toEntries(entries ?? []) };
}

function toEntries(entries: RawEntry[]): QueuedJob[] {
  return entries.map(([id, flat]) => ({ id, fields: fieldsFromFlat(flat ?? []) }));
}
