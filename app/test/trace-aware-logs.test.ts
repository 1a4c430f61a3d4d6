// Log lines written inside a request carry the trace and span ids of the active span.
// Runs the compiled modules in-process (required after tracing starts, as main.ts does) with an
// in-memory span exporter, so the ids in the logs can be compared with the spans actually recorded.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DIST } from "./support/paths";

const require = createRequire(join(DIST, "main.js"));
const load = <T>(module: string): T => require(join(DIST, module)) as T;

interface ExportedSpan {
  name: string;
  links: Array<{ context: { traceId: string; spanId: string } }>;
  kind: number;
  attributes: Record<string, unknown>;
  status: { code: number };
  spanContext(): { traceId: string; spanId: string };
}

const lines: Array<Record<string, unknown>> = [];
let exporter: { getFinishedSpans(): ExportedSpan[] };
let tracing: { shutdown(): Promise<void> };
type Server = { listen(port: number, host: string): Promise<number>; close(): Promise<void> };
let server: Server;
let untrustingServer: Server;
let url: string;
let untrustingUrl: string;

beforeAll(async () => {
  const sdkTrace = require("@opentelemetry/sdk-trace") as typeof import("@opentelemetry/sdk-trace");
  exporter = new sdkTrace.InMemorySpanExporter();
  const { startTracing } = load<typeof import("../src/telemetry/tracing")>("telemetry/tracing.js");
  tracing = startTracing({
    serviceName: "trace-test",
    env: {},
    // Every trace recorded, so each log line's ids can be found among the exported spans.
    sampler: { name: "always_on", ratio: 1 },
    spanProcessors: [new sdkTrace.SimpleSpanProcessor({ exporter: exporter as never })],
  });

  const { createLogger } = load<typeof import("../src/telemetry/logger")>("telemetry/logger.js");
  const { createRegistry, createHttpMetrics } = load<typeof import("../src/telemetry/metrics")>("telemetry/metrics.js");
  const { createLifecycle } = load<typeof import("../src/lifecycle/lifecycle")>("lifecycle/lifecycle.js");
  const { createDependencyMonitor } = load<typeof import("../src/lifecycle/dependency-monitor")>("lifecycle/dependency-monitor.js");
  const { createApp } = load<typeof import("../src/http/create-app")>("http/create-app.js");
  const { createHttpServer } = load<typeof import("../src/http/http-server")>("http/http-server.js");

  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const logger = createLogger({ level: "info", serviceName: "trace-test", destination });
  const registry = createRegistry("trace-test");
  const dependencies = createDependencyMonitor({ checks: [], intervalMs: 1_000, timeoutMs: 100, maxAgeMs: 1_000, logger });
  const app = createApp({
    logger,
    registry,
    httpMetrics: createHttpMetrics(registry),
    lifecycle: createLifecycle(),
    dependencies,
    version: "test",
    startedAt: new Date(),
    bodyLimitBytes: 1024,
    accessLogEnabled: true,
    testErrorEndpointEnabled: true,
  });
  server = createHttpServer(app, {
    keepAliveTimeoutMs: 1_000,
    headersTimeoutMs: 2_000,
    requestTimeoutMs: 5_000,
    trustInboundTraceContext: true,
  });
  url = `http://127.0.0.1:${await server.listen(0, "127.0.0.1")}`;
  untrustingServer = createHttpServer(app, {
    keepAliveTimeoutMs: 1_000,
    headersTimeoutMs: 2_000,
    requestTimeoutMs: 5_000,
    trustInboundTraceContext: false,
  });
  untrustingUrl = `http://127.0.0.1:${await untrustingServer.listen(0, "127.0.0.1")}`;
});

afterAll(async () => {
  await server?.close();
  await untrustingServer?.close();
  await tracing?.shutdown();
});

it("the access log line carries the server span's trace and span ids, continuing the caller's trace", async () => {
  const callerTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  // The caller runs in its own process, so the only spans here are the service's.
  const response = await fetchFromAnotherProcess(`${url}/hello`, {
    traceparent: `00-${callerTraceId}-00f067aa0ba902b7-01`,
    "X-Request-ID": "trace-log-1",
  });
  expect(response.status).toBe(200);
  await expect.poll(() => lines.find((line) => line.request_id === "trace-log-1")).toBeDefined();
  const line = lines.find((l) => l.request_id === "trace-log-1") as Record<string, string>;
  expect(line.trace_id).toBe(callerTraceId);

  await expect
    .poll(() => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === callerTraceId).length)
    .toBeGreaterThan(0);
  const serverSpan = exporter.getFinishedSpans().find((span) => span.spanContext().traceId === callerTraceId && span.kind === 1);
  expect(serverSpan).toBeDefined();
  expect(line.span_id).toBe(serverSpan?.spanContext().spanId);
  expect(response.headers.traceresponse).toBe(`00-${callerTraceId}-${serverSpan?.spanContext().spanId}-01`);
  // Named and tagged by route template, as the HTTP semantic conventions have it.
  expect(serverSpan?.name).toBe("GET /hello");
  expect(serverSpan?.attributes).toMatchObject({
    "http.request.method": "GET",
    "http.route": "/hello",
    "http.response.status_code": 200,
    "url.path": "/hello",
  });
  expect(serverSpan?.status.code).toBe(0);
});

it("with TRUST_INBOUND_TRACE_CONTEXT off, a caller's traceparent starts no trace of ours: the server span links to it", async () => {
  const callerTraceId = "5cf92f3577b34da6a3ce929d0e0e4737";
  const callerSpanId = "00f067aa0ba902b8";
  const response = await fetchFromAnotherProcess(`${untrustingUrl}/hello`, {
    traceparent: `00-${callerTraceId}-${callerSpanId}-01`,
    "X-Request-ID": "trace-log-untrusted",
  });
  expect(response.status).toBe(200);
  await expect.poll(() => lines.find((line) => line.request_id === "trace-log-untrusted")).toBeDefined();
  const line = lines.find((l) => l.request_id === "trace-log-untrusted") as Record<string, string>;
  expect(line.trace_id).toMatch(/^[0-9a-f]{32}$/);
  expect(line.trace_id).not.toBe(callerTraceId);
  await expect
    .poll(() => exporter.getFinishedSpans().some((span) => span.spanContext().traceId === line.trace_id && span.kind === 1))
    .toBe(true);
  const serverSpan = exporter.getFinishedSpans().find((span) => span.spanContext().traceId === line.trace_id && span.kind === 1);
  expect(serverSpan?.links.map((link) => [link.context.traceId, link.context.spanId])).toEqual([[callerTraceId, callerSpanId]]);
  expect(
    exporter
      .getFinishedSpans()
      .some((span) => span.spanContext().traceId === callerTraceId && span.name === "GET /hello" && span.links.length > 0),
  ).toBe(false);
});

function fetchFromAnotherProcess(
  target: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string> }> {
  const script = `fetch(${JSON.stringify(target)}, { headers: ${JSON.stringify(headers)} }).then(async (r) => { await r.text(); process.stdout.write(JSON.stringify({ status: r.status, headers: Object.fromEntries(r.headers) })); })`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["-e", script], (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout))));
  });
}

it("the error log line of a failing request carries a span id recorded in that request's trace", async () => {
  const response = await fetch(`${url}/test-error`, { headers: { "X-Request-ID": "trace-log-2" } });
  expect(response.status).toBe(500);
  const traceId = ((await response.json()) as { traceId: string }).traceId;
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  await expect.poll(() => lines.find((line) => line.request_id === "trace-log-2" && line.msg === "unhandled error")).toBeDefined();
  const errorLine = lines.find((line) => line.request_id === "trace-log-2" && line.msg === "unhandled error") as Record<string, string>;
  expect(errorLine.trace_id).toBe(traceId);
  await expect
    .poll(() =>
      exporter.getFinishedSpans().some((span) => span.spanContext().traceId === traceId && span.spanContext().spanId === errorLine.span_id),
    )
    .toBe(true);
  const serverSpan = exporter.getFinishedSpans().find((span) => span.spanContext().traceId === traceId && span.kind === 1);
  expect(serverSpan?.name).toBe("GET /test-error");
  // A 5xx is an error on a server span.
  expect(serverSpan?.attributes).toMatchObject({ "http.response.status_code": 500, "error.type": "500" });
  expect(serverSpan?.status.code).toBe(2);
});

it("lines written outside any request carry no trace ids", () => {
  const startupLines = lines.filter((line) => line.request_id === undefined);
  for (const line of startupLines) expect(line.trace_id).toBeUndefined();
});
