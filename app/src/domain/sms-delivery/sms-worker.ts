// Consumes the SMS job stream as one consumer of a Redis consumer group: reads with a blocking
// XREADGROUP on its own connection, runs up to `concurrency` jobs at once, and periodically takes
// over entries that a dead consumer read and never acknowledged (XAUTOCLAIM).
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import type { Registry } from "prom-client";
import type { Config } from "../../config/schema";
import type { Logger } from "../../telemetry/logger";
import type { SecretKeys } from "../secrets";
import type { SendLogSink } from "../send-log";
import { backoffDelayMs } from "./backoff";
import { createJobHandler } from "./job-handler";
import type { SmsProvider } from "./sms-provider-client";
import { createSmsWorkerMetrics } from "./sms-worker-metrics";
import { entriesFromAutoClaim, entriesFromRead, type StreamEntry } from "./stream-entries";
import { createStreamStatsReader } from "./stream-stats";

export interface SmsWorkerOptions {
  /** Non-blocking commands (acknowledge, dead-letter, reclaim, stats). The reader is a duplicate of it. */
  redis: Redis;
  sms: Config["sms"];
  keys: SecretKeys;
  provider: SmsProvider;
  sendLog: SendLogSink;
  logger: Logger;
  registry: Registry;
  /** Unique per process; defaults to host name and pid. */
  consumerName?: string;
  /** How long one XREADGROUP waits for new entries. */
  blockMs?: number;
  /** After a read that emptied the stream, how long to let new entries gather before the next read. */
  readBatchWaitMs?: number;
  random?: () => number;
}

export interface SmsWorker {
  start(): Promise<void>;
  /** Stops reading and reclaiming, lets the jobs in flight finish their current attempt, then resolves. */
  stop(): Promise<void>;
}

const STATS_TIMEOUT_MS = 250;
/**
 * Under steady load every XREADGROUP would otherwise come back with the one entry that woke it:
 * a round trip per job. Waiting a few milliseconds after a read that emptied the stream lets the
 * next one take several. It delays a job by at most this much, and only while jobs keep coming.
 */
const READ_BATCH_WAIT_MS = 5;
const READ_RETRY = { retryBaseMs: 100, retryMaxMs: 2_000 };

export function createSmsWorker(options: SmsWorkerOptions): SmsWorker {
  const { redis, sms } = options;
  const consumer = options.consumerName ?? `${hostname()}-${process.pid}`;
  const blockMs = options.blockMs ?? 1_000;
  const readBatchWaitMs = options.readBatchWaitMs ?? READ_BATCH_WAIT_MS;
  const logger = options.logger.child({ component: "sms-worker", consumer });
  const metrics = createSmsWorkerMetrics(
    options.registry,
    createStreamStatsReader(redis, {
      streamKey: sms.streamKey,
      deadLetterKey: sms.deadLetterKey,
      consumerGroup: sms.consumerGroup,
      timeoutMs: STATS_TIMEOUT_MS,
    }),
  );
  const stopController = new AbortController();
  const handle = createJobHandler({
    redis,
    sms,
    keys: options.keys,
    provider: options.provider,
    sendLog: options.sendLog,
    logger,
    metrics,
    stopSignal: stopController.signal,
    ...(options.random ? { random: options.random } : {}),
  });

  // Every job from read to acknowledgement; `delivering` counts those still talking to the provider.
  const inFlight = new Map<string, Promise<void>>();
  let delivering = 0;
  let wakeReader: (() => void) | undefined;
  let reader: Redis | undefined;
  let readerClientId: number | undefined;
  let readLoop: Promise<void> | undefined;
  let reclaimTimer: NodeJS.Timeout | undefined;
  let reclaiming: Promise<void> | undefined;
  let state: "idle" | "running" | "stopping" | "stopped" = "idle";

  function freeSlots(): number {
    return sms.concurrency - delivering;
  }

  function dispatch(entry: StreamEntry): void {
    // Our own entry came back from a reclaim while we still work on it: one copy is enough.
    if (inFlight.has(entry.id)) return;
    metrics.inFlight.inc();
    delivering += 1;
    const done = handle(entry, () => {
      delivering -= 1;
      wakeReader?.();
    }).finally(() => {
      inFlight.delete(entry.id);
      metrics.inFlight.dec();
    });
    inFlight.set(entry.id, done);
  }

  async function ensureGroup(): Promise<void> {
    try {
      // From id 0, not $: jobs appended before the first worker ever started must be delivered too.
      await redis.xgroup("CREATE", sms.streamKey, sms.consumerGroup, "0", "MKSTREAM");
      logger.info({ stream: sms.streamKey, group: sms.consumerGroup }, "sms: consumer group created");
    } catch (error) {
      if (!String((error as Error).message).startsWith("BUSYGROUP")) throw error;
    }
  }

  async function runReadLoop(activeReader: Redis): Promise<void> {
    let failures = 0;
    while (state === "running") {
      const free = freeSlots();
      if (free <= 0) {
        await new Promise<void>((resolve) => {
          wakeReader = resolve;
        });
        wakeReader = undefined;
        continue;
      }
      try {
        // Asked between reads: on the reader's connection it would otherwise queue behind a blocked read.
        readerClientId ??= Number(await activeReader.client("ID"));
        if (state !== "running") break;
        const reply = await activeReader.xreadgroup(
          "GROUP",
          sms.consumerGroup,
          consumer,
          "COUNT",
          free,
          "BLOCK",
          blockMs,
          "STREAMS",
          sms.streamKey,
          ">",
        );
        // Entries that arrive after stop() are ours now: process them rather than leave them to a reclaim.
        const entries = entriesFromRead(reply);
        for (const entry of entries) dispatch(entry);
        failures = 0;
        if (entries.length > 0 && entries.length < free && readBatchWaitMs > 0) {
          await sleep(readBatchWaitMs, undefined, { signal: stopController.signal }).catch(() => undefined);
        }
      } catch (error) {
        if (state !== "running") break;
        failures += 1;
        const missingGroup = String((error as Error).message).startsWith("NOGROUP");
        // A Redis that is down fails every read; one line per few attempts is enough.
        if (missingGroup || failures === 1 || failures % 10 === 0) logger.warn({ err: error, failures }, "sms: stream read failed");
        try {
          if (missingGroup) await ensureGroup();
          await sleep(backoffDelayMs(failures, READ_RETRY) + 50, undefined, { signal: stopController.signal });
        } catch {
          // stopping, or the group still cannot be created: the loop condition decides
        }
      }
    }
  }

  async function reclaim(): Promise<void> {
    // Entries this worker is still on must not look abandoned to other workers: reset their idle time.
    if (inFlight.size > 0) await redis.xclaim(sms.streamKey, sms.consumerGroup, consumer, 0, ...inFlight.keys(), "JUSTID");
    let cursor = "0-0";
    while (state === "running" && freeSlots() > 0) {
      const reply = await redis.xautoclaim(sms.streamKey, sms.consumerGroup, consumer, sms.reclaimIdleMs, cursor, "COUNT", freeSlots());
      const { next, entries } = entriesFromAutoClaim(reply);
      for (const entry of entries) {
        if (inFlight.has(entry.id)) continue;
        metrics.jobs.inc({ outcome: "reclaimed" });
        logger.info({ streamId: entry.id, otpId: entry.fields.otpId }, "sms: reclaimed a job left pending by an idle consumer");
        dispatch(entry);
      }
      if (next === "0-0") break;
      cursor = next;
    }
  }

  function scheduleReclaim(delayMs: number): void {
    reclaimTimer = setTimeout(() => {
      reclaimTimer = undefined;
      reclaiming = reclaim()
        .catch((error: unknown) => logger.warn({ err: error }, "sms: reclaim failed"))
        .finally(() => {
          reclaiming = undefined;
          if (state === "running") scheduleReclaim(sms.reclaimIntervalMs);
        });
    }, delayMs);
  }

  return {
    async start() {
      if (state !== "idle") return;
      state = "running";
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
      try {
        await ensureGroup();
      } catch (error) {
        logger.warn({ err: error }, "sms: cannot create the consumer group yet; reads will retry");
      }
      readLoop = runReadLoop(activeReader);
      // Reclaim once at start, so a restarted worker picks up what its predecessor left at once.
      scheduleReclaim(0);
      logger.info({ stream: sms.streamKey, group: sms.consumerGroup, concurrency: sms.concurrency }, "sms: worker started");
    },

    async stop() {
      if (state !== "running") return;
      state = "stopping";
      stopController.abort();
      if (reclaimTimer) clearTimeout(reclaimTimer);
      wakeReader?.();
      // Ends the blocked read now (as if it timed out) rather than up to blockMs later.
      if (readerClientId !== undefined) await redis.client("UNBLOCK", readerClientId).catch(() => undefined);
      const readEnded = await Promise.race([readLoop?.then(() => true), sleep(blockMs + 500, false, { ref: false })]);
      // Still waiting on a connection that is down: closing it fails the queued command and ends the loop.
      if (!readEnded) reader?.disconnect();
      await readLoop;
      await reclaiming;
      const jobs = inFlight.size;
      await Promise.all(inFlight.values());
      reader?.disconnect();
      state = "stopped";
      logger.info({ finishedJobs: jobs }, "sms: worker stopped");
    },
  };
}
