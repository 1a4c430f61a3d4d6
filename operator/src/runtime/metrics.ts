// The operator's Prometheus metrics, in a registry of its own (served on /metrics).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export interface OperatorMetrics {
  registry: Registry;
  reconcileTotal: Counter<"controller" | "result">;
  reconcileDuration: Histogram<"controller">;
  reconcileErrors: Counter<"controller" | "reason">;
  queueDepth: Gauge<"controller">;
  leader: Gauge<"lease">;
}

export function createMetrics(): OperatorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "otp_operator_" });
  return {
    registry,
    reconcileTotal: new Counter({
      name: "otp_operator_reconcile_total",
      help: "Reconciles by controller and result (success, requeue, error).",
      labelNames: ["controller", "result"],
      registers: [registry],
    }),
    reconcileDuration: new Histogram({
      name: "otp_operator_reconcile_duration_seconds",
      help: "Time one reconcile took, API and database calls included.",
      labelNames: ["controller"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    reconcileErrors: new Counter({
      name: "otp_operator_reconcile_errors_total",
      help: "Reconciles that failed and were requeued with backoff, by controller and reason.",
      labelNames: ["controller", "reason"],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: "otp_operator_queue_depth",
      help: "Keys waiting in a controller's work queue (not counting those being reconciled or backing off).",
      labelNames: ["controller"],
      registers: [registry],
    }),
    leader: new Gauge({
      name: "otp_operator_leader",
      help: "1 while this process holds the leader Lease, else 0.",
      labelNames: ["lease"],
      registers: [registry],
    }),
  };
}
