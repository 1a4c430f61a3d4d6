// Counts what happened to each send, twice: as plain numbers for stats() and GET /stats, which tests
// read synchronously, and as Prometheus series on this instance's own registry.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { LATENCY_BUCKETS_SECONDS } from "../telemetry/metrics";

export interface MockSmsStats {
  /** Every POST /v1/messages, whatever its outcome (accepted + failed + rejected as invalid). */
  received: number;
  accepted: number;
  /** Answered with an injected failure. */
  failed: number;
  /** Sends whose reference had already been accepted (an at-least-once sender re-sending): answered with the original message, not delivered again. */
  duplicates: number;
  /** Messages held now (at most maxStored). */
  stored: number;
}

export type SendOutcome = "accepted" | "failed" | "rejected";

export interface SendMetrics {
  received(): void;
  outcome(outcome: SendOutcome, options?: { duplicate?: boolean }): void;
  injectedLatency(delayMs: number): void;
  stats(): MockSmsStats;
}

export function createSendMetrics(registry: Registry, storedMessages: () => number): SendMetrics {
  const requests = new Counter({
    name: "mock_sms_requests_total",
    help: "Send requests by outcome: accepted, failed (injected failure) or rejected (invalid request).",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const latency = new Histogram({
    name: "mock_sms_injected_latency_seconds",
    help: "Latency injected before answering a valid send request.",
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });
  new Gauge({
    name: "mock_sms_stored_messages",
    help: "Messages held in the bounded store.",
    registers: [registry],
    collect() {
      this.set(storedMessages());
    },
  });
  const duplicateReferences = new Counter({
    name: "mock_sms_duplicate_references_total",
    help: "Sends whose reference had already been accepted (re-sends), answered with the original message id and not delivered again.",
    registers: [registry],
  });
  // Zero-valued series from the start, so rate() and absent() behave before the first failure.
  for (const outcome of ["accepted", "failed", "rejected"] satisfies SendOutcome[]) requests.inc({ outcome }, 0);

  const counts = { received: 0, accepted: 0, failed: 0, rejected: 0, duplicates: 0 };
  return {
    received() {
      counts.received += 1;
    },
    outcome(outcome, options = {}) {
      counts[outcome] += 1;
      requests.inc({ outcome });
      if (options.duplicate) {
        counts.duplicates += 1;
        duplicateReferences.inc();
      }
    },
    injectedLatency(delayMs) {
      latency.observe(delayMs / 1000);
    },
    stats: () => ({
      received: counts.received,
      accepted: counts.accepted,
      failed: counts.failed,
      duplicates: counts.duplicates,
      stored: storedMessages(),
    }),
  };
}
