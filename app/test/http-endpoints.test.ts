// The service's HTTP surface, exercised against the real compiled service with real PostgreSQL and Redis.

import { type ServiceProcess, startService } from "@otp-lab/local-stack/service-process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { problemBody } from "./support/http";
import { testService } from "./support/otp-env";

let service: ServiceProcess;

beforeAll(async () => {
  service = await startService(testService({ TEST_ERROR_ENDPOINT_ENABLED: "true" }));
});
afterAll(async () => {
  await service?.stop("SIGKILL");
});

describe("endpoints", () => {
  it("GET /hello answers 200 JSON", async () => {
    const response = await fetch(`${service.url}/hello`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: "hello" });
  });

  it("GET /delayed-hello waits the asked time without blocking other requests", async () => {
    const started = performance.now();
    const delayed = fetch(`${service.url}/delayed-hello?ms=600`);
    // While the delayed request is pending, the event loop must keep answering.
    const helloStarted = performance.now();
    const hello = await fetch(`${service.url}/hello`);
    const helloMs = performance.now() - helloStarted;
    expect(hello.status).toBe(200);
    expect(helloMs).toBeLessThan(400);
    const response = await delayed;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ message: "hello", delayedMs: 600 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(590);
  });

  it.each([
    ["abc", "query.ms"],
    ["-1", "query.ms"],
    ["30001", "query.ms"],
    ["1.5", "query.ms"],
  ])("GET /delayed-hello?ms=%s is a 400 validation problem naming %s", async (ms, field) => {
    const response = await fetch(`${service.url}/delayed-hello?ms=${ms}`);
    expect(response.status).toBe(400);
    const body = await problemBody(response);
    expect(body).toMatchObject({ type: "urn:otp-lab:problem:validation-failed", title: "Validation Failed", status: 400 });
    expect(body.errors).toEqual([expect.objectContaining({ field })]);
  });

  it("GET /delayed-hello without ms names the missing field", async () => {
    const body = await problemBody(await fetch(`${service.url}/delayed-hello`));
    expect(body.status).toBe(400);
    expect(body.errors).toEqual([expect.objectContaining({ field: "query.ms" })]);
  });

  it("GET /live, /ready and /health report a started service", async () => {
    expect((await fetch(`${service.url}/live`)).status).toBe(200);
    const ready = await fetch(`${service.url}/ready`);
    expect(ready.status).toBe(200);
    expect(ready.headers.get("cache-control")).toBe("no-store");
    const health = await fetch(`${service.url}/health`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as { state: string; components: Record<string, { healthy: boolean; latencyMs: number }> };
    expect(body.state).toBe("ready");
    expect(body.components.postgres?.healthy).toBe(true);
    expect(body.components.redis?.healthy).toBe(true);
    expect(body.components.postgres?.latencyMs).toBeGreaterThan(0);
  });
});

describe("errors are RFC 9457 problem documents", () => {
  it("404 for an unknown path", async () => {
    const response = await fetch(`${service.url}/no/such/thing`);
    expect(response.status).toBe(404);
    expect(await problemBody(response)).toMatchObject({ type: "about:blank", title: "Not Found", status: 404, instance: "/no/such/thing" });
  });

  it("405 with Allow for a known path and the wrong method", async () => {
    const response = await fetch(`${service.url}/hello`, { method: "DELETE" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    expect(await problemBody(response)).toMatchObject({ title: "Method Not Allowed", status: 405 });
  });

  it("400 for a malformed JSON body", async () => {
    const response = await fetch(`${service.url}/hello`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(response.status).toBe(400);
    expect(await problemBody(response)).toMatchObject({ type: "urn:otp-lab:problem:malformed-body", status: 400 });
  });

  it("413 for a body over the limit", async () => {
    const response = await fetch(`${service.url}/hello`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ pad: "x".repeat(40_000) }),
    });
    expect(response.status).toBe(413);
    expect(await problemBody(response)).toMatchObject({ status: 413, title: "Content Too Large" });
  });

  it("500 hides internals, carries the request id, is logged once with its stack and counted", async () => {
    const requestId = "test-error-correlation-1";
    const response = await fetch(`${service.url}/test-error`, { headers: { "X-Request-ID": requestId } });
    expect(response.status).toBe(500);
    const body = await problemBody(response);
    expect(body).toMatchObject({ type: "about:blank", title: "Internal Server Error", status: 500, requestId });
    expect(JSON.stringify(body)).not.toMatch(/deliberate|stack|\.js:/);
    await expect
      .poll(() => service.logLines().filter((line) => line.msg === "unhandled error" && line.request_id === requestId))
      .toHaveLength(1);
    const logged = service.logLines().find((line) => line.msg === "unhandled error" && line.request_id === requestId);
    expect((logged?.err as { stack?: string } | undefined)?.stack).toContain("deliberate failure from /test-error");
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/http_server_unhandled_errors_total\{[^}]*route="\/test-error"[^}]*\} [1-9]/);
  });
});

describe("correlation id", () => {
  it("echoes an acceptable X-Request-ID", async () => {
    const response = await fetch(`${service.url}/hello`, { headers: { "X-Request-ID": "abc.DEF_123-x" } });
    expect(response.headers.get("x-request-id")).toBe("abc.DEF_123-x");
  });

  it("generates one when none is sent", async () => {
    const response = await fetch(`${service.url}/hello`);
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ["too long", "a".repeat(129)],
    ["bad characters", "abc def<script>"],
    ["header injection attempt", "abc%0d%0aSet-Cookie:x"],
  ])("replaces one that is %s", async (_why, bad) => {
    const response = await fetch(`${service.url}/hello`, { headers: { "X-Request-ID": bad } });
    const id = response.headers.get("x-request-id");
    expect(id).not.toBe(bad);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("is on error responses and in the access log line", async () => {
    const response = await fetch(`${service.url}/nope`, { headers: { "X-Request-ID": "corr-404" } });
    expect(response.headers.get("x-request-id")).toBe("corr-404");
    expect((await problemBody(response)).requestId).toBe("corr-404");
    await expect
      .poll(() => service.logLines().find((line) => line.msg === "request completed" && line.request_id === "corr-404"))
      .toMatchObject({ status: 404, route: "unmatched", method: "GET" });
  });
});

describe("trace ids with the default sampler (parent-based, 10% of new traces)", () => {
  it("a request its caller did not sample is not recorded, yet its log line and traceresponse carry its ids", async () => {
    const traceId = "5bf92f3577b34da6a3ce929d0e0e4736";
    const response = await fetch(`${service.url}/hello`, {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-00`, "X-Request-ID": "unsampled-1" },
    });
    expect(response.status).toBe(200);
    const [, responseTraceId, spanId, flags] = (response.headers.get("traceresponse") ?? "").split("-");
    expect(responseTraceId).toBe(traceId);
    expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(spanId).not.toBe("00f067aa0ba902b7");
    // The caller's decision is kept: not sampled.
    expect(flags).toBe("00");
    await expect
      .poll(() => service.logLines().find((line) => line.msg === "request completed" && line.request_id === "unsampled-1"))
      .toMatchObject({ trace_id: traceId, span_id: spanId });
  });

  it("a request without a traceparent starts a trace of its own, with ids in the log line", async () => {
    const response = await fetch(`${service.url}/hello`, { headers: { "X-Request-ID": "new-trace-1" } });
    const [version, traceId, spanId] = (response.headers.get("traceresponse") ?? "").split("-");
    expect(version).toBe("00");
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    await expect
      .poll(() => service.logLines().find((line) => line.msg === "request completed" && line.request_id === "new-trace-1"))
      .toMatchObject({ trace_id: traceId, span_id: spanId });
  });
});

describe("/metrics", () => {
  it("has the duration histogram by route template, never by raw URL", async () => {
    for (const path of ["/hello", "/delayed-hello?ms=1", "/random/path/1", "/random/path/2", "/x?phone=%2B4915112345678"]) {
      await fetch(`${service.url}${path}`);
    }
    const response = await fetch(`${service.url}/metrics`);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/http_server_request_duration_seconds_bucket\{[^}]*le="0.0005"/);
    expect(text).toMatch(/http_server_request_duration_seconds_count\{[^}]*route="\/hello"[^}]*status_code="200"/);
    expect(text).toMatch(/http_server_request_duration_seconds_count\{[^}]*route="\/delayed-hello"/);
    expect(text).toMatch(/http_server_request_duration_seconds_count\{[^}]*route="unmatched"[^}]*status_code="404"/);
    expect(text).not.toMatch(/random\/path|4915112345678|ms=1/);
    for (const name of [
      "nodejs_eventloop_lag_seconds",
      "http_server_requests_in_flight",
      'app_lifecycle_state{state="ready"',
      'pg_pool_connections{pool="requests",state="waiting"',
      "redis_command_duration_seconds_bucket",
      'app_dependency_up{dependency="redis"',
    ]) {
      expect(text).toContain(name);
    }
  });

  it("/test-error and the layer endpoints are not mounted unless their settings turn them on", async () => {
    const plain = await startService(testService());
    try {
      expect((await fetch(`${plain.url}/test-error`)).status).toBe(404);
      expect((await fetch(`${plain.url}/layers/redis`)).status).toBe(404);
      expect((await fetch(`${plain.url}/hello`)).status).toBe(200);
    } finally {
      await plain.stop("SIGKILL");
    }
  });
});
