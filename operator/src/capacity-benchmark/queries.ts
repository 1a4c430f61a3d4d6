// Per-plateau figures of one TestRun from Prometheus, aggregated across all its runners. k6 remote-writes
// every trend as a native histogram; those add up across series, so the p99 of all runners together is
// histogram_quantile over the SUM of the runners' histograms (percentiles of separate runners could not be
// combined; k6 itself evaluates thresholds per runner only — k6-operator issue #115).
// Each plateau is its own k6 scenario (k6/lib/plan.ts: p00, p01, … with phase="main"), so grouping by
// `scenario` separates plateaus without any clock arithmetic; the raw samples give each plateau's window,
// which the cluster-side series (cAdvisor, kube-state-metrics) are then read over.
// k6's series are cumulative per runner for the whole run: totals are the last value of each runner's
// series, summed — no rate() extrapolation at the run's edges (rate() would also drop each runner's first
// push, a fifth of a 5 s plateau). Counters: max_over_time. Histograms: each runner's series read at its own
// last push with the @ modifier (last_over_time does not take native histograms before Prometheus 2.5x, and
// with stale markers a plain selector after the run finds nothing), then summed.
import type { PlateauFigures } from "./figures.ts";
import { type PrometheusQuery, type Sample, scalarOf } from "./prometheus.ts";

export interface FigureSources {
  testId: string;
  namespace: string;
  /** The TestRun: its runner pods are <name>-<i>-<hash>. */
  testRun: string;
  deployment: string;
  hpa: string;
}

const q = (value: string) => JSON.stringify(value);

/** When each runner (instance_id) last pushed a plateau's series, seconds since the epoch. */
export type LastPush = Map<string, number>;

export function promql(src: FigureSources, rangeS: number) {
  const main = `testid=${q(src.testId)},phase="main"`;
  const r = `[${rangeS}s]`;
  /** The plateau's latency histogram of all runners: each runner's series at its last push, summed. */
  const hist = (scenario: string, lastPush: LastPush) =>
    `sum(${[...lastPush]
      .map(
        ([instance, at]) => `k6_http_req_duration_seconds{${main},scenario=${q(scenario)},instance_id=${q(instance)}} @ ${at.toFixed(3)}`,
      )
      .join(" or ")})`;
  return {
    requestsRaw: `k6_http_reqs_total{${main}}${r}`,
    failed: `sum by (scenario) (max_over_time(k6_http_reqs_total{${main},expected_response="false"}${r}))`,
    dropped: `sum by (scenario) (max_over_time(k6_dropped_iterations_total{testid=${q(src.testId)}}${r}))`,
    histogram: hist,
    quantile: (quantile: number, scenario: string, lastPush: LastPush) => `histogram_quantile(${quantile}, ${hist(scenario, lastPush)})`,
    // histogram_sum/histogram_count, not histogram_avg: the lab's Prometheus (2.42) predates histogram_avg.
    avg: (scenario: string, lastPush: LastPush) =>
      `histogram_sum(${hist(scenario, lastPush)}) / histogram_count(${hist(scenario, lastPush)})`,
  };
}

/** Cluster-side series over one plateau window of `d` seconds ending at the evaluation time. */
export function clusterPromql(src: FigureSources, d: number) {
  const ns = `namespace=${q(src.namespace)}`;
  const runners = `container_cpu_usage_seconds_total{${ns},pod=~${q(`${src.testRun}-[0-9]+-.*`)},container="k6"}`;
  const service = `{${ns},pod=~${q(`${src.deployment}-[a-z0-9]+-[a-z0-9]+`)}`;
  return {
    runnerCpuMax: `max(rate(${runners}[${d}s]))`,
    runnerCpuTotal: `sum(rate(${runners}[${d}s]))`,
    serviceCpu: `sum(rate(container_cpu_usage_seconds_total${service},container!="",container!="POD"}[${d}s]))`,
    desired: `max(max_over_time(kube_horizontalpodautoscaler_status_desired_replicas{${ns},horizontalpodautoscaler=${q(src.hpa)}}[${d}s]))`,
    readyMin: `min(min_over_time(kube_deployment_status_replicas_ready{${ns},deployment=${q(src.deployment)}}[${d}s]))`,
    readyMax: `max(max_over_time(kube_deployment_status_replicas_ready{${ns},deployment=${q(src.deployment)}}[${d}s]))`,
    /** Requests per pod: how evenly the replicas were loaded (keep-alive pinning shows as a small minimum). */
    perPod: `sum by (pod) (increase(http_server_request_duration_seconds_count${service}}[${d}s]))`,
  };
}

const byScenario = (samples: Sample[]) => new Map(samples.map((s) => [s.metric.scenario ?? "", Number(s.value?.[1] ?? Number.NaN)]));

/** Figures of every plateau of the TestRun, evaluated at `atS` (after it finished) over the last `rangeS` seconds. */
export async function plateauFigures(prom: PrometheusQuery, src: FigureSources, atS: number, rangeS: number): Promise<PlateauFigures[]> {
  const queries = promql(src, rangeS);
  const raw = await prom.query(queries.requestsRaw, atS);
  const plateaus = new Map<string, { offered: number; requests: number; first: number; last: number; lastPush: LastPush }>();
  for (const series of raw) {
    const name = series.metric.scenario ?? "";
    const values = series.values ?? [];
    if (values.length === 0) continue;
    const entry = plateaus.get(name) ?? {
      offered: Number(series.metric.offered_rps ?? 0),
      requests: 0,
      first: Infinity,
      last: 0,
      lastPush: new Map(),
    };
    const instance = series.metric.instance_id ?? "";
    entry.lastPush.set(instance, Math.max(entry.lastPush.get(instance) ?? 0, values.at(-1)?.[0] ?? 0));
    entry.requests += Number(values.at(-1)?.[1] ?? 0);
    // A runner pushes every second what it counted in the second before: the window opens one push earlier.
    entry.first = Math.min(entry.first, (values[0]?.[0] ?? 0) - 1);
    entry.last = Math.max(entry.last, values.at(-1)?.[0] ?? 0);
    plateaus.set(name, entry);
  }
  const [failed, dropped] = await Promise.all(
    [queries.failed, queries.dropped].map(async (expr) => byScenario(await prom.query(expr, atS))),
  );
  const figures: PlateauFigures[] = [];
  for (const [name, p] of [...plateaus].sort((a, b) => a[1].offered - b[1].offered)) {
    const durationS = Math.max(1, Math.round(p.last - p.first));
    const ms = async (expr: string) => {
      const value = scalarOf(await prom.query(expr, atS));
      return value === null ? 0 : value * 1000;
    };
    const [p50, p95, p99, max, avg] = await Promise.all([
      ...[0.5, 0.95, 0.99, 1].map((quantile) => ms(queries.quantile(quantile, name, p.lastPush))),
      ms(queries.avg(name, p.lastPush)),
    ]);
    const cluster = await clusterFigures(prom, src, p.last, durationS);
    figures.push({
      offeredRps: p.offered,
      startedAt: new Date(p.first * 1000).toISOString(),
      endedAt: new Date(p.last * 1000).toISOString(),
      durationS,
      requests: Math.round(p.requests),
      failedRequests: Math.round(failed?.get(name) ?? 0),
      droppedIterations: Math.round(dropped?.get(name) ?? 0),
      // max: the upper bound of the highest bucket (a histogram keeps no exact maximum).
      latencyMs: { avg: avg as number, p50: p50 as number, p95: p95 as number, p99: p99 as number, max: max as number },
      ...cluster,
    });
  }
  return figures;
}

type ClusterFigures = Pick<
  PlateauFigures,
  | "serviceCpuCores"
  | "runnerCpuCores"
  | "runnerCpuCoresTotal"
  | "hpaDesiredReplicas"
  | "readyReplicasMin"
  | "readyReplicasMax"
  | "podRequestShareMin"
>;

/** Absent series (no cAdvisor, no kube-state-metrics) give null, except runner CPU: 0 (unknown = not flagged). */
async function clusterFigures(prom: PrometheusQuery, src: FigureSources, atS: number, d: number): Promise<ClusterFigures> {
  const c = clusterPromql(src, d);
  const [runnerMax, runnerTotal, service, desired, readyMin, readyMax, perPod] = await Promise.all(
    [c.runnerCpuMax, c.runnerCpuTotal, c.serviceCpu, c.desired, c.readyMin, c.readyMax, c.perPod].map((expr) => prom.query(expr, atS)),
  );
  const counts = (perPod ?? []).map((s) => Number(s.value?.[1] ?? 0)).filter((v) => Number.isFinite(v));
  const total = counts.reduce((a, b) => a + b, 0);
  const int = (samples: Sample[] | undefined) => {
    const value = scalarOf(samples ?? []);
    return value === null ? null : Math.round(value);
  };
  return {
    runnerCpuCores: scalarOf(runnerMax ?? []) ?? 0,
    runnerCpuCoresTotal: scalarOf(runnerTotal ?? []) ?? 0,
    serviceCpuCores: scalarOf(service ?? []),
    hpaDesiredReplicas: int(desired),
    readyReplicasMin: int(readyMin),
    readyReplicasMax: int(readyMax),
    podRequestShareMin: counts.length > 1 && total > 0 ? Math.min(1, (Math.min(...counts) / total) * counts.length) : null,
  };
}
