import pino from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createDependencyMonitor } from "../src/lifecycle/dependency-monitor";
import { createLifecycle } from "../src/lifecycle/lifecycle";

const silent = pino({ level: "silent" });

describe("lifecycle state machine", () => {
  it("moves forward only, and exports the current state as a one-hot gauge", async () => {
    const registry = new Registry();
    const lifecycle = createLifecycle(registry);
    const seen: string[] = [];
    lifecycle.onChange((state) => seen.push(state));
    lifecycle.transition("ready");
    lifecycle.transition("draining");
    expect(() => lifecycle.transition("ready")).toThrow(/cannot go from draining to ready/);
    lifecycle.transition("stopped");
    expect(seen).toEqual(["ready", "draining", "stopped"]);
    const metrics = await registry.metrics();
    expect(metrics).toContain('app_lifecycle_state{state="stopped"} 1');
    expect(metrics).toContain('app_lifecycle_state{state="ready"} 0');
  });
});

describe("dependency monitor", () => {
  it("caches results: probes read the snapshot, pings run only on the schedule", async () => {
    let pings = 0;
    const monitor = createDependencyMonitor({
      checks: [{ name: "db", ping: async () => pings++ }],
      intervalMs: 60_000,
      timeoutMs: 100,
      maxAgeMs: 1_000,
      logger: silent,
    });
    await monitor.checkNow();
    for (let i = 0; i < 100; i++) monitor.allHealthy();
    expect(pings).toBe(1);
    expect(monitor.snapshot().db).toMatchObject({ healthy: true });
  });

  it("a ping that hangs past the timeout counts as a failure", async () => {
    const monitor = createDependencyMonitor({
      checks: [{ name: "stuck", ping: () => new Promise(() => {}) }],
      intervalMs: 60_000,
      timeoutMs: 50,
      maxAgeMs: 1_000,
      logger: silent,
    });
    const started = performance.now();
    await monitor.checkNow();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(monitor.allHealthy()).toBe(false);
    expect(monitor.snapshot().stuck?.error).toMatch(/timed out/);
  });

  it("a result older than maxAgeMs no longer counts as healthy", async () => {
    let clock = 1_000_000;
    const monitor = createDependencyMonitor({
      checks: [{ name: "db", ping: async () => undefined }],
      intervalMs: 60_000,
      timeoutMs: 100,
      maxAgeMs: 5_000,
      logger: silent,
      now: () => clock,
    });
    await monitor.checkNow();
    expect(monitor.allHealthy()).toBe(true);
    clock += 5_001;
    expect(monitor.allHealthy()).toBe(false);
    expect(monitor.snapshot().db?.healthy).toBe(false);
  });

  it("is unhealthy before the first check and when any dependency fails", async () => {
    const monitor = createDependencyMonitor({
      checks: [
        { name: "up", ping: async () => undefined },
        {
          name: "down",
          ping: async () => {
            throw new Error("connection refused");
          },
        },
      ],
      intervalMs: 60_000,
      timeoutMs: 100,
      maxAgeMs: 1_000,
      logger: silent,
    });
    expect(monitor.allHealthy()).toBe(false);
    await monitor.checkNow();
    expect(monitor.allHealthy()).toBe(false);
    expect(monitor.snapshot()).toMatchObject({ up: { healthy: true }, down: { healthy: false, error: "connection refused" } });
  });
});
