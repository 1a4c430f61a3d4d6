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

export const keys = deriveKeys("unit-test-secret-of-at-least-32-characters!");

let counter = 0;

export function newJob(overrides: Partial<SmsJob> = {}): SmsJob {
  counter += 1;
  return {
    otpId: randomUUID(),
    tenantId: randomUUID(),
    requestId: randomUUID(),
    traceparent: "",
    acceptedAt: Date.now(),
    expiresAt: Date.now() + 300_000,
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
  failAcknowledge: boolean;
}

/** A queue whose read returns at once (with nothing, after a tick, when empty). */
export function fakeQueue(jobs: QueuedJob[] = []): FakeQueue {
  const queue: FakeQueue = {
    consumer: "unit",
    location: { stream: "unit:jobs", group: "unit" },
    waiting: [...jobs],
    pending: new Set(),
    acknowledged: [],
    deadLetters: [],
    abandoned: [],
    failAcknowledge: false,
    ensureGroup: async () => false,
    open() {},
    async read(count: number) {
      if (queue.waiting.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      const taken = queue.waiting.splice(0, count);
      for (const job of taken) queue.pending.add(job.id);
      return taken;
    },
    isMissingGroup: () => false,
    async keepClaimed() {},
    async claimAbandoned(_cursor: string, count: number): Promise<ClaimResult> {
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
export function scriptedProvider(...results: Array<string | Error>): SmsProvider & { sent: SmsMessage[] } {
  const sent: SmsMessage[] = [];
  return {
    sent,
    async send(message) {
      sent.push(message);
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
