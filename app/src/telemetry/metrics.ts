// Prometheus metrics owned by the HTTP layer and the process. Stores and the lifecycle register
// their own metrics on the same registry; nothing here is global.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** From 0.5 ms (a hello served from memory) to 30 s (the longest delayed-hello). */
export const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createRegistry(serviceName: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: serviceName });
  // Includes nodejs_eventloop_lag_seconds and its percentiles, heap, GC and handles.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  return registry;
}

export interface HttpMetrics {
  requestDuration: Histogram<"method" | "route" | "status_code">;
  requestsInFlight: Gauge;
  unhandledErrors: Counter<"route">;
}

export function createHttpMetrics(registry: Registry): HttpMetrics {
  return {
    requestDuration: new Histogram({
      name: "http_server_request_duration_seconds",
      help: "Duration of HTTP requests, labelled by route template (unmatched paths share one label).",
      labelNames: ["method", "route", "status_code"],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers: [registry],
    }),
    requestsInFlight: new Gauge({
      name: "http_server_requests_in_flight",
      help: "HTTP requests received and not yet answered.",
      registers: [registry],
    }),
    unhandledErrors: new Counter({
      name: "http_server_unhandled_errors_total",
      help: "Errors that reached the global error handler as 500s.",
      labelNames: ["route"],
      registers: [registry],
    }),
  };
}
