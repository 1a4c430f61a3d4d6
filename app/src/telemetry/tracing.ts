// OpenTelemetry tracing. Must start before express, pg, ioredis and http are loaded so their
// instrumentations can patch them; main.ts therefore loads everything else after this runs.
//
// Started with @opentelemetry/sdk-node's NodeSDK (context manager, propagators, resource detection,
// OTEL_SDK_DISABLED and the OTLP exporter variables, as every OpenTelemetry user expects them). Its
// price is memory, not CPU: it loads the metrics and logs SDKs and every exporter (~500 modules,
// ~40 MB resident) although metrics come from prom-client and logs from pino; the benchmark report's
// memory target says how much that weighs. What costs CPU per request is chosen here: HTTP spans come
// from http-spans.ts (the stock HTTP and Express instrumentations cost more than the rest of a
// request's tracing, see there), pg and ioredis spans only inside a request or a delivery, and the
// sampler is the service's setting (OTEL_TRACES_SAMPLER[_ARG], app/src/config/schema.ts).
import { setTimeout as sleep } from "node:timers/promises";
import { IORedisInstrumentation } from "@opentelemetry/instrumentation-ioredis";
import { PgInstrumentation } from "@opentelemetry/instrumentation-pg";
import { NodeSDK } from "@opentelemetry/sdk-node";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NoopSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from "@opentelemetry/sdk-trace";
import type { Config } from "../config/schema";
import { enableHttpSpans } from "./http-spans";
import { OTLP_EXPORT_TIMEOUT_MS, TRACING_SHUTDOWN_BUDGET_MS } from "./shutdown-budget";

export { OTLP_EXPORT_TIMEOUT_MS, TRACING_SHUTDOWN_BUDGET_MS };

export interface Tracing {
  /** Flushes buffered spans and stops exporting. Called last during shutdown. */
  shutdown(): Promise<void>;
}

export type TracesSamplerConfig = Config["tracing"]["sampler"];

export interface TracingOptions {
  serviceName: string;
  /** Head sampling of new traces; a request that arrives with a traceparent follows its caller's decision when parent-based. */
  sampler: TracesSamplerConfig;
  env?: NodeJS.ProcessEnv;
  /** Extra processors, e.g. an in-memory exporter in tests. */
  spanProcessors?: SpanProcessor[];
}

export function startTracing(options: TracingOptions): Tracing {
  const env = options.env ?? process.env;
  // NodeSDK reads OTEL_SDK_DISABLED itself; the HTTP spans must stay off with it.
  if (isTrue(env.OTEL_SDK_DISABLED)) return { shutdown: async () => {} };
  const exporting = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  // Without an exporter spans are still created (a no-op processor keeps the provider registered),
  // so every log line carries a trace id that matches the caller's traceparent.
  const spanProcessors: SpanProcessor[] = [
    exporting
      ? new BatchSpanProcessor({ exporter: createOtlpExporter(), exportTimeoutMillis: OTLP_EXPORT_TIMEOUT_MS })
      : new NoopSpanProcessor(),
    ...(options.spanProcessors ?? []),
  ];
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    sampler: createSampler(options.sampler),
    spanProcessors,
    // Metrics come from prom-client and logs from pino: the SDK must not start its own pipelines.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      // Background work (readiness pings, batched send-log inserts, the stream reads) has no parent
      // span and makes no traces; queries and commands inside a request or a delivery do.
      new PgInstrumentation({ enhancedDatabaseReporting: false, requireParentSpan: true, ignoreConnectSpans: true }),
      new IORedisInstrumentation({
        requireParentSpan: true,
        // The command alone: the arguments hold HMACs, phone hashes and sealed jobs, which have no
        // business in a trace, and serialising them on every command is not free.
        dbStatementSerializer: (command) => command,
      }),
    ],
  });
  sdk.start();
  enableHttpSpans();
  // Spans still buffered when the budget ends are lost; an unref'd timer does not hold the process open.
  return {
    shutdown: async () => {
      await Promise.race([sdk.shutdown(), sleep(TRACING_SHUTDOWN_BUDGET_MS, undefined, { ref: false })]);
    },
  };
}

export function createSampler(config: TracesSamplerConfig): Sampler {
  switch (config.name) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return new TraceIdRatioBasedSampler(config.ratio);
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.ratio) });
  }
}

/** Loaded only when exporting. */
function createOtlpExporter() {
  const { OTLPTraceExporter } =
    require("@opentelemetry/exporter-trace-otlp-http") as typeof import("@opentelemetry/exporter-trace-otlp-http");
  return new OTLPTraceExporter({ timeoutMillis: OTLP_EXPORT_TIMEOUT_MS });
}

/** The OpenTelemetry convention for boolean variables: "true" in any case, anything else is false. */
function isTrue(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === "true";
}
