// What SMS delivery needs from the outside world, in its own terms. The domain decides (retry until
// the code expires, the outcome, what to record); adapters do Redis (stores/redis-sms-job-queue.ts),
// HTTP (adapters/http-sms-provider.ts), metrics and tracing (telemetry/sms-delivery-*.ts).
import type { SmsJobFields } from "../sms-job";

/** One job as the queue hands it out: its queue id and its sealed fields. */
export interface QueuedJob {
  id: string;
  fields: SmsJobFields;
}

export interface ClaimResult {
  /** Cursor for the next claim; "0-0" once every abandoned job was scanned. */
  next: string;
  jobs: QueuedJob[];
}

/** Why a job left the queue without being delivered, as recorded with it in the dead-letter queue. */
export type DeadLetterOutcome = "rejected" | "expired_undelivered" | "dead_lettered";

/**
 * The job queue as one consumer of a consumer group sees it. A job read or claimed stays pending
 * (another consumer can claim it once it has been idle long enough) until it is acknowledged.
 */
export interface SmsJobQueue {
  /** This consumer's name within the group. */
  readonly consumer: string;
  /** Where the queue lives, for log lines. */
  readonly location: Readonly<Record<string, string>>;
  /** Creates the consumer group if it does not exist; true when this call created it. */
  ensureGroup(): Promise<boolean>;
  /** Opens the reading side (a connection of its own); called once before the first read. */
  open(): void;
  /** Waits (bounded) for up to `count` new jobs; [] when none came or `stop` was aborted. */
  read(count: number, stop: AbortSignal): Promise<QueuedJob[]>;
  /** Whether a read failed because the consumer group is missing (then ensureGroup helps). */
  isMissingGroup(error: unknown): boolean;
  /** Resets the idle time of jobs this consumer still works on, so no one claims them. */
  keepClaimed(ids: readonly string[]): Promise<void>;
  /** Takes over up to `count` jobs left idle by other consumers, from `cursor` on. */
  claimAbandoned(cursor: string, count: number): Promise<ClaimResult>;
  /** Removes a finished job from the queue (batched by the adapter; each caller learns its own result). */
  acknowledge(id: string): Promise<void>;
  /** Parks a job with the reason it was not delivered; the job stays on the queue until acknowledged. */
  deadLetter(job: QueuedJob, outcome: DeadLetterOutcome, error: string, attempts: number): Promise<void>;
  /** Ends a waiting read now; if `readEnded` does not settle soon after, forces the reading side closed. */
  interruptRead(readEnded: Promise<void>): Promise<void>;
  /** Closes the reading side. */
  close(): void;
}

export type SendOutcome = "ok" | "retryable_error" | "permanent_error";
export const JOB_OUTCOMES = ["delivered", "rejected", "expired_undelivered", "dead_lettered", "retried", "reclaimed"] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

/** What delivery counts; the adapter decides how it is exported. */
export interface DeliveryMetrics {
  /** One send attempt to the provider and how long it took. */
  sendAttempt(outcome: SendOutcome, seconds: number): void;
  job(outcome: JobOutcome): void;
  /** A job started (+1) or finished (−1) processing in this worker. */
  inFlight(delta: 1 | -1): void;
}

export type SpanAttributes = Record<string, string | number | boolean>;

export interface DeliverySpan {
  setAttributes(attributes: SpanAttributes): void;
  addEvent(name: string, attributes: SpanAttributes): void;
  /** Marks the delivery as failed, with a reason. */
  fail(message: string): void;
  recordException(error: unknown): void;
}

/** Runs one job's processing inside a span that continues the trace the job was queued in. */
export interface DeliveryTracing {
  inDeliverySpan(job: QueuedJob, run: (span: DeliverySpan) => Promise<void>): Promise<void>;
}

type LogFn = (object: object, message: string) => void;

/** The structured logger delivery writes to (pino's shape, as far as delivery uses it). */
export interface DeliveryLogger {
  child(bindings: Record<string, unknown>): DeliveryLogger;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  isLevelEnabled(level: string): boolean;
}
