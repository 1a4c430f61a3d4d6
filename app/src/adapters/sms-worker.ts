// The SMS worker wired to its adapters: the job queue on a Redis stream, Prometheus metrics (with the
// stream's backlog read on scrape) and OpenTelemetry spans. The composition root and the tests use it.
import type { Redis } from "ioredis";
import type { Registry } from "prom-client";
import type { Config } from "../config/schema";
import type { SecretKeys } from "../domain/secrets";
import type { SendLogSink } from "../domain/send-log";
import type { DeliveryLogger } from "../domain/sms-delivery/ports";
import type { SmsProvider } from "../domain/sms-delivery/sms-provider";
import { createSmsWorker, type SmsWorker } from "../domain/sms-delivery/sms-worker";
import type { Clock } from "../shared/clock";
import { createRedisSmsJobQueue } from "../stores/redis-sms-job-queue";
import { createStreamStatsReader } from "../stores/redis-stream-stats";
import { createSmsDeliveryMetrics } from "../telemetry/sms-delivery-metrics";
import { createSmsDeliveryTracing } from "../telemetry/sms-delivery-tracing";

export interface RedisSmsWorkerOptions {
  /** Non-blocking commands (acknowledge, dead-letter, reclaim, stats). The reader is a duplicate of it. */
  redis: Redis;
  sms: Config["sms"];
  keys: SecretKeys;
  provider: SmsProvider;
  sendLog: SendLogSink;
  logger: DeliveryLogger;
  registry: Registry;
  clock: Clock;
  /** Unique per process; defaults to host name and pid. */
  consumerName?: string;
  /** How long one XREADGROUP waits for new entries. */
  blockMs?: number;
  /** After a read that emptied the stream, how long to let new entries gather before the next read. */
  readBatchWaitMs?: number;
  random?: () => number;
}

/** A /metrics scrape waits at most this long for the stream's numbers. */
const STATS_TIMEOUT_MS = 250;

export function createRedisSmsWorker(options: RedisSmsWorkerOptions): SmsWorker {
  const { redis, sms } = options;
  const queue = createRedisSmsJobQueue({
    redis,
    streamKey: sms.streamKey,
    deadLetterKey: sms.deadLetterKey,
    deadLetterMaxLength: sms.deadLetterMaxLength,
    consumerGroup: sms.consumerGroup,
    reclaimIdleMs: sms.reclaimIdleMs,
    ...(options.consumerName !== undefined ? { consumerName: options.consumerName } : {}),
    ...(options.blockMs !== undefined ? { blockMs: options.blockMs } : {}),
  });
  const streamStats = createStreamStatsReader(redis, {
    streamKey: sms.streamKey,
    deadLetterKey: sms.deadLetterKey,
    consumerGroup: sms.consumerGroup,
    timeoutMs: STATS_TIMEOUT_MS,
  });
  return createSmsWorker({
    queue,
    settings: sms,
    keys: options.keys,
    provider: options.provider,
    sendLog: options.sendLog,
    logger: options.logger,
    metrics: createSmsDeliveryMetrics(options.registry, streamStats),
    tracing: createSmsDeliveryTracing({ streamKey: sms.streamKey, consumerGroup: sms.consumerGroup }),
    clock: options.clock,
    ...(options.readBatchWaitMs !== undefined ? { readBatchWaitMs: options.readBatchWaitMs } : {}),
    ...(options.random ? { random: options.random } : {}),
  });
}
