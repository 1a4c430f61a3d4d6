// OpenTelemetry tracing. Must start before express, pg, ioredis and http are loaded so their
// instrumentations can patch them; main.ts therefore loads everything else after this runs.
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { ExpressInstrumentation } from "@opentelemetry/instrumentation-express";
import { HttpInstrumentation } from "@opentelemetry/instrumentation-http";
import { IORedisInstrumentation } from "@opentelemetry/instrumentation-ioredis";
import { PgInstrumentation } from "@opentelemetry/instrumentation-pg";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace";

export interface Tracing {
  /** Flushes buffered spans and stops exporting. Called last during shutdown. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  serviceName: string;
  env?: NodeJS.ProcessEnv;
  /** Extra processors, e.g. an in-memory exporter in tests. */
  spanProcessors?: SpanProcessor[];
}

const PROBE_AND_SCRAPE_PATHS = new Set(["/live", "/ready", "/health", "/metrics"]);

export function startTracing(options: TracingOptions): Tracing {
  const env = options.env ?? process.env;
  const exporting = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  // Without an exporter spans are still created (a no-op processor keeps the provider registered),
  // so every log line carries a trace id that matches the caller's traceparent.
  const spanProcessors: SpanProcessor[] = [
    exporting ? new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }) : new NoopSpanProcessor(),
    ...(options.spanProcessors ?? []),
  ];
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    spanProcessors,
    // Metrics come from prom-client and logs from pino: the SDK must not start its own pipelines.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        // Kubelet probes and Prometheus scrapes would otherwise drown the traces that matter.
        ignoreIncomingRequestHook: (request) => PROBE_AND_SCRAPE_PATHS.has((request.url ?? "").split("?")[0] ?? ""),
      }),
      new ExpressInstrumentation({ ignoreLayersType: ["middleware" as never] }),
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
      new IORedisInstrumentation(),
      new UndiciInstrumentation(),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
