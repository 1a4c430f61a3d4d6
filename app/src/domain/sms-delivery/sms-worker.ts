// Consumes the SMS job queue as one consumer of its consumer group: reads (a bounded wait) on the
// queue's reading side, runs up to `concurrency` jobs at once, and periodically takes over jobs that
// a dead consumer read and never acknowledged. The queue, provider, metrics and tracing are ports.
import { backoffDelayMs } from "../../shared/backoff";
import { createJobHandler, type DeliveryPorts } from "./job-handler";
import type { QueuedJob } from "./ports";

/** The delivery settings the worker decides with (plain values; the SMS_* configuration has them). */
export interface SmsWorkerSettings {
  /** Jobs talking to the provider at once. */
  concurrency: number;
  /** How often to look for jobs abandoned by other consumers. */
  reclaimIntervalMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

export interface SmsWorkerOptions extends DeliveryPorts {
  settings: SmsWorkerSettings;
  /** After a read that emptied the stream, how long to let new entries gather before the next read. */
  readBatchWaitMs?: number;
}

export interface SmsWorker {
  start(): Promise<void>;
  /** Stops reading and reclaiming, lets the jobs in flight finish their current attempt, then resolves. */
  stop(): Promise<void>;
}

/**
 * Under steady load every XREADGROUP would otherwise come back with the one entry that woke it:
 * a round trip per job. Waiting a few milliseconds after a read that emptied the stream lets the
 * next one take several. It delays a job by at most this much, and only while jobs keep coming.
 */
const READ_BATCH_WAIT_MS = 5;
const READ_RETRY = { retryBaseMs: 100, retryMaxMs: 2_000 };

export function createSmsWorker(options: SmsWorkerOptions): SmsWorker {
  const { queue, settings: sms, metrics, clock } = options;
  const readBatchWaitMs = options.readBatchWaitMs ?? READ_BATCH_WAIT_MS;
  const logger = options.logger.child({ component: "sms-worker", consumer: queue.consumer });
  const stopController = new AbortController();
  const handle = createJobHandler({ ...options, retry: sms, logger, stopSignal: stopController.signal });

  // Every job from read to acknowledgement; `delivering` counts those still talking to the provider.
  const inFlight = new Map<string, Promise<void>>();
  let delivering = 0;
  let wakeReader: (() => void) | undefined;
  let readLoop: Promise<void> | undefined;
  let reclaimLoop: Promise<void> | undefined;
  let state: "idle" | "running" | "stopping" | "stopped" = "idle";

  function freeSlots(): number {
    return sms.concurrency - delivering;
  }

  function dispatch(entry: QueuedJob): void {
    // Our own entry came back from a reclaim while we still work on it: one copy is enough.
    if (inFlight.has(entry.id)) return;
    metrics.inFlight(1);
    delivering += 1;
    const done = handle(entry, () => {
      delivering -= 1;
      wakeReader?.();
    }).finally(() => {
      inFlight.delete(entry.id);
      metrics.inFlight(-1);
    });
    inFlight.set(entry.id, done);
  }

  async function ensureGroup(): Promise<void> {
    if (await queue.ensureGroup()) logger.info({ ...queue.location }, "sms: consumer group created");
  }

  async function runReadLoop(): Promise<void> {
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
        // Entries that arrive after stop() are ours now: process them rather than leave them to a reclaim.
        const entries = await queue.read(free, stopController.signal);
        for (const entry of entries) dispatch(entry);
        failures = 0;
        if (entries.length > 0 && entries.length < free && readBatchWaitMs > 0) {
          await clock.sleep(readBatchWaitMs, stopController.signal).catch(() => undefined);
        }
      } catch (error) {
        if (state !== "running") break;
        failures += 1;
        const missingGroup = queue.isMissingGroup(error);
        // A Redis that is down fails every read; one line per few attempts is enough.
        if (missingGroup || failures === 1 || failures % 10 === 0) logger.warn({ err: error, failures }, "sms: stream read failed");
        try {
          if (missingGroup) await ensureGroup();
          await clock.sleep(backoffDelayMs(failures, READ_RETRY) + 50, stopController.signal);
        } catch {
          // stopping, or the group still cannot be created: the loop condition decides
        }
      }
    }
  }

  async function reclaim(): Promise<void> {
    // Entries this worker is still on must not look abandoned to other workers: reset their idle time.
    if (inFlight.size > 0) await queue.keepClaimed([...inFlight.keys()]);
    let cursor = "0-0";
    while (state === "running" && freeSlots() > 0) {
      const { next, jobs } = await queue.claimAbandoned(cursor, freeSlots());
      for (const entry of jobs) {
        if (inFlight.has(entry.id)) continue;
        metrics.job("reclaimed");
        logger.info({ streamId: entry.id, otpId: entry.fields.otpId }, "sms: reclaimed a job left pending by an idle consumer");
        dispatch(entry);
      }
      if (next === "0-0") break;
      cursor = next;
    }
  }

  async function runReclaimLoop(): Promise<void> {
    // Once at start, so a restarted worker picks up what its predecessor left at once; then every interval.
    for (let delayMs = 0; state === "running"; delayMs = sms.reclaimIntervalMs) {
      try {
        await clock.sleep(delayMs, stopController.signal);
      } catch {
        return;
      }
      await reclaim().catch((error: unknown) => logger.warn({ err: error }, "sms: reclaim failed"));
    }
  }

  return {
    async start() {
      if (state !== "idle") return;
      state = "running";
      queue.open();
      try {
        await ensureGroup();
      } catch (error) {
        logger.warn({ err: error }, "sms: cannot create the consumer group yet; reads will retry");
      }
      readLoop = runReadLoop();
      reclaimLoop = runReclaimLoop();
      logger.info({ ...queue.location, concurrency: sms.concurrency }, "sms: worker started");
    },

    async stop() {
      if (state !== "running") return;
      state = "stopping";
      stopController.abort();
      wakeReader?.();
      // Ends the waiting read now (as if it timed out) rather than when its wait runs out.
      if (readLoop) await queue.interruptRead(readLoop);
      await readLoop;
      await reclaimLoop;
      const jobs = inFlight.size;
      await Promise.all(inFlight.values());
      queue.close();
      state = "stopped";
      logger.info({ finishedJobs: jobs }, "sms: worker stopped");
    },
  };
}
