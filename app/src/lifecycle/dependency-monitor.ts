// Pings each dependency in the background and caches the outcome, so probes never cost a query.
import { Gauge, type Registry } from "prom-client";
import type { Logger } from "../telemetry/logger";

export interface DependencyCheck {
  name: string;
  ping(signal: AbortSignal): Promise<unknown>;
}

export interface DependencyStatus {
  healthy: boolean;
  latencyMs: number | null;
  checkedAt: string | null;
  error?: string;
}

export interface DependencyMonitor {
  start(): void;
  stop(): void;
  checkNow(): Promise<void>;
  /** Healthy only when every dependency answered within the last maxAgeMs. */
  allHealthy(): boolean;
  /** Called after every round of checks. */
  onChecked(listener: () => void): void;
  snapshot(): Record<string, DependencyStatus>;
}

export interface DependencyMonitorOptions {
  checks: DependencyCheck[];
  intervalMs: number;
  timeoutMs: number;
  maxAgeMs: number;
  logger: Logger;
  registry?: Registry;
  now?: () => number;
}

interface Outcome {
  healthy: boolean;
  latencyMs: number | null;
  checkedAt: number | null;
  error?: string;
}

export function createDependencyMonitor(options: DependencyMonitorOptions): DependencyMonitor {
  const now = options.now ?? Date.now;
  const outcomes = new Map<string, Outcome>(
    options.checks.map((check) => [check.name, { healthy: false, latencyMs: null, checkedAt: null }]),
  );
  const up = options.registry
    ? new Gauge({
        name: "app_dependency_up",
        help: "1 when the dependency answered its last ping.",
        labelNames: ["dependency"],
        registers: [options.registry],
      })
    : undefined;
  const pingSeconds = options.registry
    ? new Gauge({
        name: "app_dependency_ping_seconds",
        help: "Duration of the last readiness ping.",
        labelNames: ["dependency"],
        registers: [options.registry],
      })
    : undefined;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  const listeners: Array<() => void> = [];

  async function checkOne(check: DependencyCheck): Promise<void> {
    const started = performance.now();
    const previous = outcomes.get(check.name);
    let outcome: Outcome;
    try {
      const signal = AbortSignal.timeout(options.timeoutMs);
      // The monitor enforces the timeout itself, so a ping that ignores the signal still cannot hang a check.
      await Promise.race([check.ping(signal), rejectOnAbort(signal, `${check.name} ping timed out after ${options.timeoutMs} ms`)]);
      outcome = { healthy: true, latencyMs: performance.now() - started, checkedAt: now() };
    } catch (error) {
      outcome = { healthy: false, latencyMs: null, checkedAt: now(), error: error instanceof Error ? error.message : String(error) };
    }
    outcomes.set(check.name, outcome);
    up?.set({ dependency: check.name }, outcome.healthy ? 1 : 0);
    if (outcome.latencyMs !== null) pingSeconds?.set({ dependency: check.name }, outcome.latencyMs / 1000);
    if (previous && previous.checkedAt !== null && previous.healthy !== outcome.healthy) {
      if (outcome.healthy) options.logger.info({ dependency: check.name }, "dependency recovered");
      else options.logger.warn({ dependency: check.name, err: outcome.error }, "dependency unavailable");
    }
  }

  async function checkNow(): Promise<void> {
    await Promise.all(options.checks.map(checkOne));
    for (const listener of listeners) listener();
  }

  function schedule(): void {
    if (!running) return;
    timer = setTimeout(() => {
      checkNow().finally(schedule);
    }, options.intervalMs);
    timer.unref();
  }

  return {
    start() {
      if (running) return;
      running = true;
      checkNow().finally(schedule);
    },
    stop() {
      running = false;
      if (timer) clearTimeout(timer);
    },
    checkNow,
    onChecked(listener) {
      listeners.push(listener);
    },
    allHealthy() {
      const current = now();
      return [...outcomes.values()].every((o) => o.healthy && o.checkedAt !== null && current - o.checkedAt <= options.maxAgeMs);
    },
    snapshot() {
      return Object.fromEntries(
        [...outcomes].map(([name, o]) => [
          name,
          {
            healthy: o.healthy && o.checkedAt !== null && now() - o.checkedAt <= options.maxAgeMs,
            latencyMs: o.latencyMs === null ? null : Math.round(o.latencyMs * 100) / 100,
            checkedAt: o.checkedAt === null ? null : new Date(o.checkedAt).toISOString(),
            ...(o.error ? { error: o.error } : {}),
          },
        ]),
      );
    },
  };
}

function rejectOnAbort(signal: AbortSignal, message: string): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal.addEventListener("abort", () => reject(new Error(message)), { once: true });
  });
}
