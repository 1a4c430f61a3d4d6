// Samples the service's /metrics and the processes' CPU and memory once a second during a run,
// then summarises any time window (a plateau) into server-side signals.

import { type ProcessUsage, processTreeUsage } from "./proc-stats.ts";
import { bucketsOf, parsePrometheusText, quantileBetween, type Sample, sumOf } from "./prometheus-text.ts";
import type { ServerSignals } from "./results.ts";

export interface Snapshot {
  atMs: number;
  metrics: Sample[] | null;
  processes: Record<string, ProcessUsage | null>;
}

export interface Sampler {
  stop(): Snapshot[];
}

export function startSampler(options: {
  metricsUrl: string;
  pids: () => Record<string, number | undefined>;
  intervalMs?: number;
}): Sampler {
  const snapshots: Snapshot[] = [];
  let running = true;
  const loop = async () => {
    while (running) {
      const atMs = Date.now();
      const processes = processTreeUsage(options.pids());
      let metrics: Sample[] | null = null;
      try {
        const response = await fetch(options.metricsUrl, { signal: AbortSignal.timeout(800) });
        metrics = parsePrometheusText(await response.text());
      } catch {
        // A scrape that times out under overload is a gap, not a failure of the run.
      }
      snapshots.push({ atMs, metrics, processes });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, (options.intervalMs ?? 500) - (Date.now() - atMs))));
    }
  };
  void loop();
  return {
    stop() {
      running = false;
      return snapshots;
    },
  };
}

/** The processes whose CPU and memory every plateau records; a null figure means "not running in this run". */
export const PROCESSES = ["service", "worker", "postgres", "redis", "mockSms"] as const;
export type ProcessName = (typeof PROCESSES)[number];
const MIB = 1024 * 1024;

/** Signals over [fromMs, toMs]: gauges as mean or max over the samples, histograms and CPU as deltas. */
export function summariseWindow(snapshots: Snapshot[], fromMs: number, toMs: number): { server: ServerSignals; generatorCpuCores: number } {
  const inside = snapshots.filter((s) => s.atMs >= fromMs && s.atMs <= toMs);
  const first = inside[0];
  const last = inside.at(-1);
  const withMetrics = inside.filter((s) => s.metrics !== null) as Array<Snapshot & { metrics: Sample[] }>;
  const gauge = (name: string, match: Record<string, string>, reduce: "mean" | "max") => {
    const values = withMetrics.map((s) => sumOf(s.metrics, name, match)).filter((v): v is number => v !== null);
    if (values.length === 0) return null;
    return reduce === "max" ? Math.max(...values) : values.reduce((a, b) => a + b, 0) / values.length;
  };
  const cores = (name: string) => {
    const a = first?.processes[name];
    const b = last?.processes[name];
    if (!a || !b || !first || !last || last.atMs <= first.atMs) return null;
    // A process can still leave between samples before its parent reaps it: never report negative CPU.
    return Math.max(0, (b.cpuSeconds - a.cpuSeconds) / ((last.atMs - first.atMs) / 1000));
  };
  const peakMiB = (name: string, field: "rssBytes" | "pssBytes") => {
    const values = inside.map((s) => s.processes[name]?.[field]).filter((v): v is number => typeof v === "number");
    return values.length === 0 ? null : Math.max(...values) / MIB;
  };
  const heapMiB = (name: string) => {
    const value = gauge(name, {}, "max");
    return value === null ? null : value / MIB;
  };
  const redisP99 = (() => {
    const a = withMetrics[0];
    const b = withMetrics.at(-1);
    if (!a || !b || a === b) return null;
    const q = quantileBetween(
      bucketsOf(a.metrics, "redis_command_duration_seconds", { client: "requests" }),
      bucketsOf(b.metrics, "redis_command_duration_seconds", { client: "requests" }),
      0.99,
    );
    return q === null ? null : q * 1000;
  })();
  const lag = gauge("nodejs_eventloop_lag_p99_seconds", {}, "mean");
  return {
    server: {
      eventLoopLagP99Ms: lag === null ? null : lag * 1000,
      pgPoolWaitingMax: gauge("pg_pool_connections", { pool: "requests", state: "waiting" }, "max"),
      redisCommandP99Ms: redisP99,
      streamLagMax: gauge("sms_stream_lag", {}, "max"),
      streamPendingMax: gauge("sms_stream_pending", {}, "max"),
      cpuCores: Object.fromEntries(PROCESSES.map((p) => [p, cores(p)])) as ServerSignals["cpuCores"],
      pssMiB: Object.fromEntries(PROCESSES.map((p) => [p, peakMiB(p, "pssBytes")])) as ServerSignals["pssMiB"],
      serviceRssMiB: peakMiB("service", "rssBytes"),
      // Where the service's memory goes (prom-client's process metrics, peak over the plateau).
      serviceHeapMiB: {
        used: heapMiB("nodejs_heap_size_used_bytes"),
        total: heapMiB("nodejs_heap_size_total_bytes"),
        external: heapMiB("nodejs_external_memory_bytes"),
      },
    },
    generatorCpuCores: cores("k6") ?? 0,
  };
}
