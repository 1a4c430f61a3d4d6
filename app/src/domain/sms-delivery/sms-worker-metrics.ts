// The SMS worker's metrics, registered on the registry it is given.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { LATENCY_BUCKETS_SECONDS } from "../../telemetry/metrics";
import type { StreamStats } from "./stream-stats";

export type SendOutcome = "ok" | "retryable_error" | "permanent_error";
export type JobOutcome = "delivered" | "rejected" | "expired_undelivered" | "dead_lettered" | "retried" | "reclaimed";

export interface SmsWorkerMetrics {
  sendDuration: Histogram<"outcome">;
  jobs: Counter<"outcome">;
  inFlight: Gauge;
}

export function createSmsWorkerMetrics(registry: Registry, streamStats: () => Promise<StreamStats | undefined>): SmsWorkerMetrics {
  new Gauge({
    name: "sms_stream_lag",
    help: "SMS jobs in the stream not yet read by any worker (XINFO GROUPS lag).",
    registers: [registry],
    async collect() {
      const stats = await streamStats();
      if (stats?.lag !== undefined) this.set(stats.lag);
    },
  });
  new Gauge({
    name: "sms_stream_pending",
    help: "SMS jobs read by a worker and not yet acknowledged (XINFO GROUPS pending).",
    registers: [registry],
    async collect() {
      const stats = await streamStats();
      if (stats) this.set(stats.pending);
    },
  });
  return {
    sendDuration: new Histogram({
      name: "sms_send_duration_seconds",
      help: "Duration of one send attempt to the SMS provider, by outcome.",
      labelNames: ["outcome"],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    }),
    jobs: new Counter({
      name: "sms_jobs_total",
      help: "SMS jobs by event: delivered, rejected (provider refused), expired_undelivered (provider unavailable until the code expired) and dead_lettered (corrupt job) once recorded and acknowledged; retried per extra attempt; reclaimed when taken over from an idle consumer.",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: "sms_jobs_in_flight",
      help: "SMS jobs this worker is processing now.",
      registers: [registry],
    }),
  };
}
