// One SMS job from read to acknowledgement: open it, send it (with retries), record the outcome
// durably, and only then remove it from the stream. Any failure before the record is durable
// leaves the entry pending, so another pass (reclaim) delivers it: at least once, never zero.
// Retries go on for as long as the code can still be used, not for a fixed number of attempts:
// a provider outage of a few seconds must not cost every OTP accepted during it.
import { type BackoffPolicy, backoffDelayMs } from "../../shared/backoff";
import type { Clock } from "../../shared/clock";
import type { SecretKeys } from "../secrets";
import type { SendLogRecord, SendLogSink } from "../send-log";
import { openJob, type SmsJob } from "../sms-job";
import type { DeliveryLogger, DeliveryMetrics, DeliverySpan, DeliveryTracing, QueuedJob, SmsJobQueue } from "./ports";
import type { SmsProvider } from "./sms-provider";
import { isRetryableSendError, SmsProviderError } from "./sms-provider-error";

/** The ports one job's delivery uses; the worker that runs the jobs is given the same. */
export interface DeliveryPorts {
  queue: SmsJobQueue;
  keys: SecretKeys;
  provider: SmsProvider;
  sendLog: SendLogSink;
  logger: DeliveryLogger;
  metrics: DeliveryMetrics;
  tracing: DeliveryTracing;
  /** Decides expiry and times the waits. */
  clock: Clock;
  random?: () => number;
}

export interface JobHandlerOptions extends DeliveryPorts {
  /** Retries back off from retryBaseMs up to retryMaxMs, for as long as the code is valid. */
  retry: BackoffPolicy;
  /** Aborted when the worker stops: a job waiting to retry then stays pending for another worker. */
  stopSignal: AbortSignal;
}

type Delivery =
  | { status: "delivered"; messageId: string; attempts: number; latencyMs: number }
  | { status: "rejected" | "expired_undelivered"; error: string; attempts: number }
  | { status: "abandoned"; error: string; attempts: number };

type Undelivered = Extract<Delivery, { status: "rejected" | "expired_undelivered" }>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Handles one entry. `deliveryDone` is called once the provider call (with its retries) is over:
 * the worker's delivery slot is free then, while the outcome waits for its batched commit and the
 * acknowledgement. Holding the slot through the commit would cap throughput at
 * concurrency / flush interval.
 */
export type JobHandler = (entry: QueuedJob, deliveryDone: () => void) => Promise<void>;

export function createJobHandler(options: JobHandlerOptions): JobHandler {
  const { queue, retry, keys, provider, sendLog, metrics, tracing, clock, stopSignal } = options;
  const random = options.random ?? Math.random;

  async function handle(entry: QueuedJob, span: DeliverySpan, deliveryDone: () => void): Promise<void> {
    let job: SmsJob;
    try {
      job = openJob(entry.fields, keys);
    } catch (error) {
      deliveryDone();
      await deadLetterCorrupt(entry, error, span);
      return;
    }
    // Created on first use: a delivery that goes well at the default level logs nothing.
    let jobLogger: DeliveryLogger | undefined;
    const logger = () =>
      (jobLogger ??= options.logger.child({
        streamId: entry.id,
        otpId: job.otpId,
        tenantId: job.tenantId,
        requestId: job.requestId,
        phone: job.phoneMasked,
      }));
    span.setAttributes({ "otp.id": job.otpId, "otp.tenant_id": job.tenantId, "otp.request_id": job.requestId });

    const delivery = await deliver(job, span, logger);
    deliveryDone();
    span.setAttributes({ "sms.attempts": delivery.attempts });
    if (delivery.status === "abandoned") {
      logger().info({ attempts: delivery.attempts, lastError: delivery.error }, "sms: worker stopping, job left pending for reclaim");
      return;
    }
    if (delivery.status !== "delivered") {
      span.fail(delivery.error);
      // Parked with the reason before the outcome is recorded, so that a re-drive can still send it.
      await queue.deadLetter(entry, delivery.status, delivery.error, delivery.attempts);
    }
    try {
      await sendLog.record(sendLogRecord(job, delivery, clock.now()));
    } catch (error) {
      logger().error({ err: error, status: delivery.status }, "sms: outcome not recorded, job left pending for reclaim");
      return;
    }
    await queue.acknowledge(entry.id);
    metrics.job(delivery.status);
    span.setAttributes({ "sms.outcome": delivery.status });
    if (delivery.status === "delivered") {
      if (options.logger.isLevelEnabled("debug")) {
        logger().debug({ attempts: delivery.attempts, providerMessageId: delivery.messageId }, "sms: delivered");
      }
    } else {
      logger().warn(
        { outcome: delivery.status, attempts: delivery.attempts, lastError: delivery.error },
        "sms: not delivered, dead-lettered",
      );
    }
  }

  async function deliver(job: SmsJob, span: DeliverySpan, logger: () => DeliveryLogger): Promise<Delivery> {
    // Read late (a long backlog, or re-driven after the TTL): the code is useless, the SMS is not sent.
    if (clock.now() >= job.expiresAt) return expired("the code expired before the first attempt", 0);
    for (let attempt = 1; ; attempt++) {
      // Latency is measured, not decided with: the monotonic clock, which wall-clock jumps do not skew.
      const started = performance.now();
      try {
        const { messageId } = await provider.send({
          to: job.phone,
          from: job.senderId,
          text: job.text,
          reference: job.otpId,
          requestId: job.requestId,
        });
        const elapsedMs = performance.now() - started;
        metrics.sendAttempt("ok", elapsedMs / 1000);
        return { status: "delivered", messageId, attempts: attempt, latencyMs: Math.round(elapsedMs) };
      } catch (error) {
        const retryable = isRetryableSendError(error);
        metrics.sendAttempt(retryable ? "retryable_error" : "permanent_error", (performance.now() - started) / 1000);
        const reason = describe(error);
        span.addEvent("sms.attempt_failed", { "sms.attempt": attempt, "sms.retryable": retryable, "error.message": reason });
        if (!retryable) return { status: "rejected", error: reason, attempts: attempt };
        if (stopSignal.aborted) return { status: "abandoned", error: reason, attempts: attempt };
        const retryAfterMs = error instanceof SmsProviderError ? (error.retryAfterMs ?? 0) : 0;
        const delayMs = Math.min(retry.retryMaxMs, Math.max(backoffDelayMs(attempt, retry, random), retryAfterMs));
        if (clock.now() + delayMs >= job.expiresAt) return expired(reason, attempt);
        logger().debug({ attempt, delayMs, error: reason }, "sms: attempt failed, retrying");
        metrics.job("retried");
        try {
          await clock.sleep(delayMs, stopSignal);
        } catch {
          return { status: "abandoned", error: reason, attempts: attempt };
        }
      }
    }
  }

  function expired(reason: string, attempts: number): Undelivered {
    return { status: "expired_undelivered", error: reason, attempts };
  }

  /** A job that cannot be opened will never send: park it with the reason and take it off the stream. */
  async function deadLetterCorrupt(entry: QueuedJob, error: unknown, span: DeliverySpan): Promise<void> {
    const reason = `corrupt job: ${corruptionReason(error)}`;
    const { otpId, tenantId } = entry.fields;
    const logger = options.logger.child({ streamId: entry.id, otpId, tenantId });
    span.fail(reason);
    await queue.deadLetter(entry, "dead_lettered", reason, 0);
    logger.error({ reason }, "sms: corrupt job dead-lettered");
    if (otpId && tenantId && UUID.test(otpId) && UUID.test(tenantId)) {
      try {
        await sendLog.record(corruptRecord(entry, reason, clock.now()));
      } catch (recordError) {
        // The dead-letter entry already holds the job; retrying could never open it either.
        logger.error({ err: recordError }, "sms: corrupt job not recorded in the send log");
      }
    }
    await queue.acknowledge(entry.id);
    metrics.job("dead_lettered");
  }

  return (entry, deliveryDone) => {
    let slotFreed = false;
    const freeSlot = () => {
      if (slotFreed) return;
      slotFreed = true;
      deliveryDone();
    };
    return tracing.inDeliverySpan(entry, async (span) => {
      try {
        await handle(entry, span, freeSlot);
      } catch (error) {
        // The queue failed mid-way (dead-letter or acknowledgement): the entry stays pending for reclaim.
        span.recordException(error);
        span.fail((error as Error).message);
        options.logger.warn({ err: error, streamId: entry.id, otpId: entry.fields.otpId }, "sms: job left pending after an error");
      } finally {
        freeSlot();
      }
    });
  };
}

function sendLogRecord(job: SmsJob, delivery: Exclude<Delivery, { status: "abandoned" }>, now: number): SendLogRecord {
  const delivered = delivery.status === "delivered";
  return {
    tenantId: job.tenantId,
    otpId: job.otpId,
    phoneHash: job.phoneHash,
    phoneMasked: job.phoneMasked,
    requestId: job.requestId,
    status: delivery.status,
    providerMessageId: delivered ? delivery.messageId : null,
    attempts: delivery.attempts,
    providerLatencyMs: delivered ? delivery.latencyMs : null,
    lastError: delivered ? null : delivery.error,
    acceptedAt: new Date(job.acceptedAt),
    completedAt: new Date(now),
  };
}

function corruptRecord(entry: QueuedJob, reason: string, now: number): SendLogRecord {
  const { fields } = entry;
  const acceptedAt = Number(fields.acceptedAt);
  return {
    tenantId: fields.tenantId as string,
    otpId: fields.otpId as string,
    phoneHash: fields.phoneHash ?? "",
    phoneMasked: fields.phoneMasked ?? "",
    requestId: fields.requestId ?? "",
    status: "dead_lettered",
    providerMessageId: null,
    // The table counts processing attempts and requires at least one; this was it.
    attempts: 1,
    providerLatencyMs: null,
    lastError: reason,
    acceptedAt: Number.isFinite(acceptedAt) && acceptedAt > 0 ? new Date(acceptedAt) : new Date(now),
    completedAt: new Date(now),
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Only our own messages: a decryption or JSON error could quote the payload, which holds the code. */
function corruptionReason(error: unknown): string {
  const message = describe(error);
  return message.startsWith("SMS job is missing field") ? message : "sealed payload cannot be opened";
}
