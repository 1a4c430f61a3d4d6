// In-memory fakes of the SMS delivery ports: a job queue, a provider, a send log, metrics, tracing and
// a logger, so the delivery decisions can be tested without Redis, PostgreSQL or HTTP.
import { randomUUID } from "node:crypto";
import { deriveKeys } from "../../src/domain/secrets";
import type { SendLogRecord, SendLogSink } from "../../src/domain/send-log";
import type {
  ClaimResult,
  DeadLetterOutcome,
  DeliveryLogger,
  DeliveryMetrics,
  DeliveryTracing,
  JobOutcome,
  QueuedJob,
  SendOutcome,
  SmsJobQueue,
} from "../../src/domain/sms-delivery/ports";
import type { SmsMessage, SmsProvider } from "../../src/domain/sms-delivery/sms-provider";
import { type SmsJob, sealJob } from "../../src/domain/sms-job";
import type { Clock } from "../../src/shared/clock";
import { T0 } from "./fake-clock";

export const keys = deriveKeys("unit-test-secret-of-at-least-32-characters!");

let counter = 0;

export function newJob(overrides: Partial<SmsJob> = {}): SmsJob {
  counter += 1;
  return {
    otpId: randomUUID(),
    tenantId: randomUUID(),
    requestId: randomUUID(),
    traceparent: "",
    acceptedAt: T0,
    expiresAt: T0 + 300_000,
    senderId: "OTPLAB",
    phoneHash: "hash",
    phoneMasked: "+1555*****01",
    phone: `+1555000${String(counter).padStart(4, "0")}`,
    text: `Your verification code is ${String(counter).padStart(6, "0")}`,
    ...overrides,
  };
}

export function queued(job: SmsJob): QueuedJob {
  counter += 1;
  return { id: `${counter}-0`, fields: sealJob(job, keys) };
}

export interface FakeQueue extends SmsJobQueue {
  /** Jobs not yet read. */
  waiting: QueuedJob[];
  /** Ids read or claimed and not yet acknowledged. */
  pending: Set<string>;
  acknowledged: string[];
  deadLetters: Array<{ id: string; outcome: DeadLetterOutcome; error: string; attempts: number }>;
  /** Jobs another consumer abandoned, handed out by claimAbandoned. */
  abandoned: QueuedJob[];
  /** When each claimAbandoned was called. */
  claimedAt: number[];
  failAcknowledge: boolean;
}

/** As long as the real queue blocks in one read for new jobs. */
const READ_BLOCK_MS = 1_000;

/** A queue whose read returns the waiting jobs at once, or waits READ_BLOCK_MS on the clock when there are none. */
export function fakeQueue(clock: Clock, jobs: QueuedJob[] = []): FakeQueue {
  const queue: FakeQueue = {
    consumer: "unit",
    location: { stream: "unit:jobs", group: "unit" },
    waiting: [...jobs],
    pending: new Set(),
    acknowledged: [],
    deadLetters: [],
    abandoned: [],
    claimedAt: [],
    failAcknowledge: false,
    ensureGroup: async () => false,
    open() {},
    async read(count: number, stop: AbortSignal) {
      if (queue.waiting.length === 0) await clock.sleep(READ_BLOCK_MS, stop).catch(() => undefined);
      const taken = queue.waiting.splice(0, count);
      for (const job of taken) queue.pending.add(job.id);
      return taken;
    },
    isMissingGroup: () => false,
    async keepClaimed() {},
    async claimAbandoned(_cursor: string, count: number): Promise<ClaimResult> {
      queue.claimedAt.push(clock.now());
      const taken = queue.abandoned.splice(0, count);
      for (const job of taken) queue.pending.add(job.id);
      return { next: "0-0", jobs: taken };
    },
    async acknowledge(id: string) {
      if (queue.failAcknowledge) throw new Error("queue unavailable");
      queue.pending.delete(id);
      queue.acknowledged.push(id);
    },
    async deadLetter(job, outcome, error, attempts) {
      queue.deadLetters.push({ id: job.id, outcome, error, attempts });
    },
    async interruptRead(readEnded: Promise<void>) {
      await readEnded;
    },
    close() {},
  };
  return queue;
}

/** A provider that answers each send with the next scripted result (an Error is thrown); the last repeats. */
export function scriptedProvider(clock: Clock, ...results: Array<string | Error>): SmsProvider & { sent: SmsMessage[]; sentAt: number[] } {
  const sent: SmsMessage[] = [];
  const sentAt: number[] = [];
  return {
    sent,
    sentAt,
    async send(message) {
      sent.push(message);
      sentAt.push(clock.now());
      const result = results[Math.min(sent.length, results.length) - 1];
      if (result instanceof Error) throw result;
      return { messageId: result ?? "msg-1" };
    },
  };
}

export function fakeSendLog(): SendLogSink & { records: SendLogRecord[]; fail: boolean } {
  const sink = {
    records: [] as SendLogRecord[],
    fail: false,
    async record(entry: SendLogRecord) {
      if (sink.fail) throw new Error("database unavailable");
      sink.records.push(entry);
    },
  };
  return sink;
}

export function fakeMetrics(): DeliveryMetrics & { jobs: JobOutcome[]; attempts: SendOutcome[]; inFlightNow: number } {
  const metrics = {
    jobs: [] as JobOutcome[],
    attempts: [] as SendOutcome[],
    inFlightNow: 0,
    sendAttempt: (outcome: SendOutcome) => void metrics.attempts.push(outcome),
    job: (outcome: JobOutcome) => void metrics.jobs.push(outcome),
    inFlight: (delta: 1 | -1) => {
      metrics.inFlightNow += delta;
    },
  };
  return metrics;
}

export const noTracing: DeliveryTracing = {
  inDeliverySpan: (_job, run) => run({ setAttributes() {}, addEvent() {}, fail() {}, recordException() {} }),
};

export function silentLogger(): DeliveryLogger {
  const logger: DeliveryLogger = {
    child: () => logger,
    debug() {},
    info() {},
    warn() {},
    error() {},
    isLevelEnabled: () => false,
  };
  return logger;
}
