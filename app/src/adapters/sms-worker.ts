// The SMS worker wired to its adapters: the job queue on a Redis stream, Prometheus metrics (with the
// stream's backlog read on scrape) and OpenTelemetry spans. The composition root and the tests use it.
import type { Redis } from "ioredis";
import type { Registry } from "prom-client";
import type { Config } from "../config/schema";
import { createSmsWorker, type SmsWorker, type SmsWorkerOptions } from "../domain/sms-delivery/sms-worker";
import { createRedisSmsJobQueue } from "../stores/redis-sms-job-queue";
import { createStreamStatsReader } from "../stores/redis-stream-stats";
import { createSmsDeliveryMetrics } from "../telemetry/sms-delivery-metrics";
import { createSmsDeliveryTracing } from "../telemetry/sms-delivery-tracing";

export interface RedisSmsWorkerOptions extends Omit<SmsWorkerOptions, "queue" | "settings" | "metrics" | "tracing"> {
  /** Non-blocking commands (acknowledge, dead-letter, reclaim, stats). The reader is a duplicate of it. */
  redis: Redis;
  sms: Config["sms"];
  registry: Registry;
  /** Unique per process; defaults to host name and pid. */
  consumerName?: string;
  /** How long one XREADGROUP waits for new entries. */
  blockMs?: number;
}

/** A /metrics scrape waits at most this long for the stream's numbers. */
const STATS_TIMEOUT_MS = 250;

export function createRedisSmsWorker(options: RedisSmsWorkerOptions): SmsWorker {
  const { redis, sms } = options;
  const queue = createRedisSmsJobQueue({ ...sms, redis, consumerName: options.consumerName, blockMs: options.blockMs });
  const streamStats = createStreamStatsReader(redis, { ...sms, timeoutMs: STATS_TIMEOUT_MS });
  return createSmsWorker({
    ...options,
    queue,
    settings: sms,
    metrics: createSmsDeliveryMetrics(options.registry, streamStats),
    tracing: createSmsDeliveryTracing(sms),
  });
}
