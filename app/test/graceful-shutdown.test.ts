// SIGTERM on the real process: readiness off at once, still serving through the drain delay,
// in-flight requests complete, new connections refused, exit 0. Second signal and timeout exit 1.
// Signals are sent once the in-flight request is visible in the service's own gauge, not after a sleep.

import { startService } from "@otp-lab/local-stack/service-process";
import { describe, expect, it } from "vitest";
import { rawGet, startInFlight, statusOf, tryConnect } from "./support/http";
import { testService } from "./support/otp-env";

describe("graceful shutdown", () => {
  it("drains: /ready 503 at once, serves during the delay, finishes in-flight work, then refuses, exit 0", async () => {
    const service = await startService(testService({ SHUTDOWN_DRAIN_DELAY_MS: "1500", SHUTDOWN_TIMEOUT_MS: "10000" }));
    // In flight before the signal; lasts past the drain delay.
    const { response: inFlight } = await startInFlight(service.url, () => rawGet(`${service.url}/delayed-hello?ms=2500`));
    const signalledAt = performance.now();
    service.child.kill("SIGTERM");

    // "At once": readiness is off while the drain still holds the listener open (after it, /ready would
    // refuse rather than answer 503): the new connection to /live below proves the order, not a time margin.
    await expect.poll(() => statusOf(`${service.url}/ready`), { timeout: 5_000, interval: 20 }).toBe(503);
    const health = (await (await fetch(`${service.url}/health`)).json()) as { state: string };
    expect(health.state).toBe("draining");
    // Load balancers may still route here during the delay: those requests are served.
    expect(await statusOf(`${service.url}/hello`)).toBe(200);
    expect((await rawGet(`${service.url}/live`)).status).toBe(200);

    // After the delay the listener is closed: new connections are refused.
    await expect.poll(() => tryConnect(service.port), { timeout: 3_000, interval: 50 }).toBe("ECONNREFUSED");
    expect(performance.now() - signalledAt).toBeGreaterThanOrEqual(1_400);

    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ message: "hello", delayedMs: 2500 });
    expect(response.headers.connection).toBe("close");
    expect(await service.exited).toBe(0);

    const messages = service.logLines().map((line) => line.msg);
    expect(messages.indexOf("shutdown: readiness off, draining")).toBeLessThan(messages.indexOf("shutdown complete"));
  });

  it("a second signal exits 1 at once", async () => {
    const service = await startService(testService({ SHUTDOWN_DRAIN_DELAY_MS: "10000" }));
    service.child.kill("SIGTERM");
    await expect.poll(() => statusOf(`${service.url}/ready`), { timeout: 2_000, interval: 20 }).toBe(503);
    service.child.kill("SIGINT");
    expect(await service.exited).toBe(1);
    // "At once": the drain the first signal started never ended.
    const messages = service.logLines().map((line) => line.msg);
    expect(messages).toContain("second signal: exiting now");
    expect(messages).not.toContain("shutdown: no longer accepting connections, finishing in-flight requests");
  });

  it("exits 1 when in-flight requests outlast SHUTDOWN_TIMEOUT_MS, after stopping the worker and flushing the send log", async () => {
    const service = await startService(testService({ SHUTDOWN_DRAIN_DELAY_MS: "0", SHUTDOWN_TIMEOUT_MS: "400" }));
    const { response } = await startInFlight(service.url, () => rawGet(`${service.url}/delayed-hello?ms=10000`));
    const stuck = response.catch((error: Error) => error);
    const signalledAt = performance.now();
    service.child.kill("SIGTERM");
    expect(await service.exited).toBe(1);
    const elapsed = performance.now() - signalledAt;
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(await stuck).toBeInstanceOf(Error);
    // The overrun cuts the 10 s request (the line below says so), not the rest of the shutdown.
    const lines = service.logLines();
    const cutAt = lines.findIndex((line) => line.msg === "shutdown: in-flight requests did not finish in time, closing their connections");
    expect(cutAt).toBeGreaterThanOrEqual(0);
    const stepsDone = lines.slice(cutAt).flatMap((line) => (line.msg === "shutdown: step done" ? [line.task] : []));
    expect(stepsDone).toEqual([
      "sms worker",
      "send log",
      "dependency monitor",
      "postgres",
      "postgres send-log",
      "postgres health",
      "redis",
    ]);
    expect(lines.slice(cutAt).some((line) => line.msg === "shutdown complete")).toBe(true);
  });
});
