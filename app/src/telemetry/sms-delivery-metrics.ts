// The SMS worker's metrics (the DeliveryMetrics port) as Prometheus series, registered on the registry
// it is given, with the job stream's backlog read on scrape.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { type DeliveryMetrics, JOB_OUTCOMES } from "../domain/sms-delivery/ports";
import type { StreamStats } from "../stores/redis-stream-stats";
import { LATENCY_BUCKETS_SECONDS } from "./metrics";

export function createSmsDeliveryMetrics(registry: Registry, streamStats: () => Promise<StreamStats | undefined>): DeliveryMetrics {
  const streamGauge = (name: string, help: string, pick: (stats: StreamStats) => number | undefined) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const stats = await streamStats();
        const value = stats && pick(stats);
        if (value !== undefined) this.set(value);
      },
    });
  streamGauge("sms_stream_lag", "SMS jobs in the stream not yet read by any worker (XINFO GROUPS lag).", (stats) => stats.lag);
  streamGauge("sms_stream_pending", "SMS jobs read by a worker and not yet acknowledged (XINFO GROUPS pending).", (stats) => stats.pending);
  streamGauge(
    "sms_stream_length",
    "SMS jobs not yet finished (read or not): the backlog. Never trimmed; bounded by load shedding on the send side.",
    (stats) => stats.length,
  );
  streamGauge(
    "sms_stream_oldest_job_age_seconds",
    "Age of the oldest SMS job not yet finished, from its stream entry id; 0 when the stream is empty.",
    (stats) => stats.oldestAgeSeconds,
  );
  streamGauge(
    "sms_dead_letter_length",
    "Entries in the SMS dead-letter stream (rejected, expired_undelivered and corrupt jobs), trimmed to about SMS_DEAD_LETTER_MAX_LENGTH.",
    (stats) => stats.deadLetters,
  );
  const jobs = new Counter({
    name: "sms_jobs_total",
    help: "SMS jobs by event: delivered, rejected (provider refused), expired_undelivered (provider unavailable until the code expired) and dead_lettered (corrupt job) once recorded and acknowledged; retried per extra attempt; reclaimed when taken over from an idle consumer.",
    labelNames: ["outcome"],
    registers: [registry],
  });
  // Zero-valued series from the start: increase() cannot see a series' first sample as a rise, so
  // the first dead letter after a restart would otherwise never alert.
  for (const outcome of JOB_OUTCOMES) jobs.inc({ outcome }, 0);
  const sendDuration = new Histogram({
    name: "sms_send_duration_seconds",
    help: "Duration of one send attempt to the SMS provider, by outcome.",
    labelNames: ["outcome"],
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: "sms_jobs_in_flight",
    help: "SMS jobs this worker is processing now.",
    registers: [registry],
  });
  return {
    sendAttempt: (outcome, seconds) => sendDuration.observe({ outcome }, seconds),
    job: (outcome) => jobs.inc({ outcome }),
    inFlight: (delta) => inFlight.inc(delta),
  };
}
