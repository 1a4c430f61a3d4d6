// The report's charts as data: one JSON-serialisable spec per canvas (a Chart.js config without
// functions, reference lines, and how to format each axis). charts-runtime.js, inlined in the HTML,
// turns the specs into Chart.js charts: tick and tooltip formatting and the reference-line plugin live
// there, because functions cannot travel in JSON.
import type { BenchResults, LayerResult } from "../runner/results.ts";
import { formatMs, formatRps } from "./format.ts";
import { isBaselineLayer, isFlow } from "./report-model.ts";

export type AxisFormat = "rps" | "ms" | "cores" | "count";

export interface RefLine {
  /** "x": a vertical line at an x value; "y": a horizontal line at a y value. */
  axis: "x" | "y";
  value: number;
  label: string;
  color: string;
  dashed: boolean;
}

export interface ChartSpec {
  id: string;
  /** Section the canvas belongs to: "capacity" or the layer's script id. */
  group: string;
  kind: "capacity" | "latency" | "throughput" | "saturation" | "cost" | "decomposition";
  /** Accessible description of the canvas. */
  description: string;
  /** Chart.js configuration without functions (type, data, options). */
  config: { type: "bar" | "line"; data: { labels?: string[]; datasets: Dataset[] }; options: Record<string, unknown> };
  refLines: RefLine[];
  axisFormats: Record<string, AxisFormat>;
}

type Point = { x: number; y: number | null };
type Dataset = Record<string, unknown> & { label: string; data: (number | null)[] | Point[] };

export const COLORS = {
  layer: "#3566c9",
  flow: "#e0702a",
  baseline: "#8a94a6",
  p50: "#4fa3e0",
  p95: "#7b5cc4",
  p99: "#d1384a",
  achieved: "#3566c9",
  ideal: "#9aa3b2",
  slo: "#d1384a",
  knee: "#1f2937",
  target: "#1b8a5a",
  lag: "#d1384a",
  cpu: "#3566c9",
  pgWait: "#e0702a",
} as const;

/** A canvas id from a layer's script id: stable, unique by index, safe in HTML and CSS. */
export function chartId(kind: ChartSpec["kind"], index: number, script: string): string {
  const slug = script
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
  return `chart-${kind}-${index}-${slug || "layer"}`;
}

function title(text: string) {
  return { display: true, text, font: { size: 14, weight: "600" }, color: "#1f2937" };
}

function axisTitle(text: string) {
  return { display: true, text, color: "#4b5563" };
}

const LEGEND = { position: "bottom", labels: { boxWidth: 14, usePointStyle: true } };

/** The largest 1-2-5 step (…, 100, 200, 500, 1000, …) at or below a positive value. */
export function niceFloor(value: number): number {
  const decade = 10 ** Math.floor(Math.log10(value));
  const lead = value / decade;
  return (lead >= 5 ? 5 : lead >= 2 ? 2 : 1) * decade;
}

function capacityChart(results: BenchResults): ChartSpec {
  const rows: { label: string; value: number | null; series: "layer" | "flow" | "baseline" }[] = [];
  for (const layer of results.layers) {
    const series = isBaselineLayer(layer) ? "baseline" : isFlow(layer) ? "flow" : "layer";
    let label = layer.name;
    if (layer.generator_limited) label += " (not measured: generator limit)";
    else if (layer.capacity_rps === null) label += " (no plateau met the SLO)";
    else if (layer.limited_by === "highest_rate_tested") label += " (≥, not saturated)";
    rows.push({ label, value: layer.generator_limited ? null : layer.capacity_rps, series });
  }
  for (const b of results.baselines) rows.push({ label: `${b.name} (${b.tool})`, value: b.ops_per_second, series: "baseline" });

  const dataset = (series: "layer" | "flow" | "baseline", label: string): Dataset => ({
    label,
    data: rows.map((r) => (r.series === series ? r.value : null)),
    backgroundColor: COLORS[series],
    borderColor: COLORS[series],
    borderWidth: 0,
    grouped: false,
    barPercentage: 0.85,
    categoryPercentage: 0.9,
  });

  const values = rows.map((r) => r.value).filter((v): v is number => v !== null && v > 0);
  const min = Math.min(results.target_rps > 0 ? results.target_rps : Number.POSITIVE_INFINITY, ...values);
  return {
    id: "chart-capacity",
    group: "capacity",
    kind: "capacity",
    description: "Horizontal bar chart: capacity per layer in requests per second, full flows and physical-limit baselines highlighted",
    config: {
      type: "bar",
      data: {
        labels: rows.map((r) => r.label),
        datasets: [
          dataset("layer", "Layer capacity"),
          dataset("flow", "Full flow capacity"),
          dataset("baseline", "Physical limit (baseline)"),
        ],
      },
      options: {
        indexAxis: "y",
        scales: {
          x: {
            type: "logarithmic",
            min: Number.isFinite(min) ? niceFloor(min / 2) : undefined,
            title: axisTitle("capacity (req/s or ops/s, log scale)"),
          },
          y: { ticks: { autoSkip: false } },
        },
        plugins: { title: title("Capacity per layer against the physical limits"), legend: LEGEND },
      },
    },
    refLines:
      results.target_rps > 0
        ? [
            {
              axis: "x",
              value: results.target_rps,
              label: `target ${formatRps(results.target_rps)} req/s`,
              color: COLORS.target,
              dashed: true,
            },
          ]
        : [],
    axisFormats: { x: "rps" },
  };
}

function kneeLine(layer: LayerResult): RefLine[] {
  const knee = layer.knee_index !== null ? layer.plateaus[layer.knee_index] : undefined;
  return knee
    ? [{ axis: "x", value: knee.offeredRps, label: `knee ${formatRps(knee.offeredRps)} req/s`, color: COLORS.knee, dashed: true }]
    : [];
}

function offeredAxis() {
  return { type: "linear", title: axisTitle("offered rate (req/s)") };
}

function latencyChart(results: BenchResults, layer: LayerResult, index: number): ChartSpec {
  const knee = layer.knee_index;
  const series = (key: "p50" | "p95" | "p99"): Dataset => ({
    label: `${key} latency`,
    data: layer.plateaus.map((p) => ({ x: p.offeredRps, y: p.latencyMs[key] })),
    borderColor: COLORS[key],
    backgroundColor: COLORS[key],
    borderWidth: 2,
    tension: 0,
    // The knee is drawn as a larger diamond on every series.
    pointStyle: layer.plateaus.map((_, i) => (i === knee ? "rectRot" : "circle")),
    pointRadius: layer.plateaus.map((_, i) => (i === knee ? 7 : 3)),
  });
  const highest = Math.max(results.slo.p99_ms, ...layer.plateaus.map((p) => p.latencyMs.p99));
  const lowest = Math.min(...layer.plateaus.map((p) => p.latencyMs.p50));
  // A log scale only when latency spans more than a decade; a flat curve reads better on a linear one.
  const log = lowest > 0 && highest / lowest > 20;
  return {
    id: chartId("latency", index, layer.script),
    group: layer.script,
    kind: "latency",
    description: `Line chart: p50, p95 and p99 latency in milliseconds against offered rate for ${layer.name}, with the knee and the SLO marked`,
    config: {
      type: "line",
      data: { datasets: [series("p50"), series("p95"), series("p99")] },
      options: {
        scales: {
          x: offeredAxis(),
          y: log
            ? { type: "logarithmic", suggestedMax: highest * 1.5, title: axisTitle("latency (ms, log scale)") }
            : { type: "linear", beginAtZero: true, suggestedMax: highest * 1.1, title: axisTitle("latency (ms)") },
        },
        plugins: { title: title("Latency vs offered rate"), legend: LEGEND },
      },
    },
    refLines: [
      { axis: "y", value: results.slo.p99_ms, label: `SLO p99 ${formatMs(results.slo.p99_ms)}`, color: COLORS.slo, dashed: true },
      ...kneeLine(layer),
    ],
    axisFormats: { x: "rps", y: "ms" },
  };
}

function throughputChart(layer: LayerResult, index: number): ChartSpec {
  const offered = layer.plateaus.map((p) => p.offeredRps);
  const lo = Math.min(...offered);
  const hi = Math.max(...offered);
  const refLines: RefLine[] = [];
  if (!layer.generator_limited && layer.capacity_rps !== null) {
    refLines.push({
      axis: "x",
      value: layer.capacity_rps,
      label: `capacity ${formatRps(layer.capacity_rps)} req/s`,
      color: COLORS.target,
      dashed: true,
    });
  }
  return {
    id: chartId("throughput", index, layer.script),
    group: layer.script,
    kind: "throughput",
    description: `Line chart: achieved against offered rate in requests per second for ${layer.name}`,
    config: {
      type: "line",
      data: {
        datasets: [
          {
            label: "achieved",
            data: layer.plateaus.map((p) => ({ x: p.offeredRps, y: p.achievedRps })),
            borderColor: COLORS.achieved,
            backgroundColor: COLORS.achieved,
            borderWidth: 2,
            pointRadius: 3,
          },
          {
            label: "ideal (achieved = offered)",
            data: [
              { x: lo, y: lo },
              { x: hi, y: hi },
            ],
            borderColor: COLORS.ideal,
            backgroundColor: COLORS.ideal,
            borderDash: [6, 4],
            borderWidth: 1.5,
            pointRadius: 0,
          },
        ],
      },
      options: {
        scales: { x: offeredAxis(), y: { type: "linear", beginAtZero: true, title: axisTitle("achieved rate (req/s)") } },
        plugins: { title: title("Achieved vs offered rate"), legend: LEGEND },
      },
    },
    refLines,
    axisFormats: { x: "rps", y: "rps" },
  };
}

function rightAxisTitle(datasets: Dataset[]): string {
  const cpu = datasets.some((d) => d.label.startsWith("service CPU"));
  const waiting = datasets.some((d) => d.label.startsWith("PG pool"));
  return cpu && waiting ? "cores · waiting clients" : waiting ? "waiting clients" : "cores";
}

function saturationChart(layer: LayerResult, index: number): ChartSpec | null {
  const signal = (
    label: string,
    color: string,
    axis: "y" | "y1",
    pick: (p: LayerResult["plateaus"][number]) => number | null,
  ): Dataset | null => {
    const data = layer.plateaus.map((p) => ({ x: p.offeredRps, y: pick(p) }));
    if (data.every((d) => d.y === null)) return null;
    return { label, data, yAxisID: axis, borderColor: color, backgroundColor: color, borderWidth: 2, pointRadius: 3, spanGaps: true };
  };
  const datasets = [
    signal("event-loop lag p99 (ms)", COLORS.lag, "y", (p) => p.server.eventLoopLagP99Ms),
    signal("service CPU (cores)", COLORS.cpu, "y1", (p) => p.server.cpuCores.service),
    signal("PG pool waiting (clients, max)", COLORS.pgWait, "y1", (p) => p.server.pgPoolWaitingMax),
  ].filter((d): d is Dataset => d !== null);
  if (datasets.length === 0) return null;
  const usesLeft = datasets.some((d) => d.yAxisID === "y");
  const usesRight = datasets.some((d) => d.yAxisID === "y1");
  const scales: Record<string, unknown> = { x: offeredAxis() };
  scales.y = { type: "linear", beginAtZero: true, display: usesLeft, title: axisTitle("event-loop lag p99 (ms)") };
  if (usesRight) {
    scales.y1 = {
      type: "linear",
      position: "right",
      beginAtZero: true,
      grid: { drawOnChartArea: false },
      title: axisTitle(rightAxisTitle(datasets)),
    };
  }
  return {
    id: chartId("saturation", index, layer.script),
    group: layer.script,
    kind: "saturation",
    description: `Line chart: event-loop lag, service CPU and PostgreSQL pool waiting against offered rate for ${layer.name}`,
    config: {
      type: "line",
      data: { datasets },
      options: { scales, plugins: { title: title("Saturation signals vs offered rate"), legend: LEGEND } },
    },
    refLines: kneeLine(layer),
    axisFormats: { x: "rps", y: "ms", y1: "cores" },
  };
}

/** Every chart of the report, in page order: the capacity chart, then three per layer with plateaus. */
const PROCESS_COLORS: Record<string, string> = {
  service: "#3566c9",
  worker: "#7b5cc4",
  postgres: "#1b8a5a",
  redis: "#d1384a",
  mockSms: "#9aa3b2",
  k6: "#e0a82a",
};
const PART_COLORS = ["#3566c9", "#1b8a5a", "#e0a82a", "#d1384a", "#7b5cc4", "#4fa3e0"];

/** CPU ms per request of every layer, stacked by process: where each layer's cost lands. */
function costChart(results: BenchResults): ChartSpec {
  const costs = results.cost_model.layers;
  const series: [string, string][] = [
    ["service", "service"],
    ["worker", "SMS worker"],
    ["postgres", "PostgreSQL"],
    ["redis", "Redis"],
    ["mockSms", "mock SMS provider"],
  ];
  const datasets: Dataset[] = series
    .filter(([key]) => costs.some((c) => (c.ms_per_request[key as keyof typeof c.ms_per_request] ?? 0) > 0))
    .map(([key, label]) => ({
      label,
      data: costs.map((c) => c.ms_per_request[key as keyof typeof c.ms_per_request]),
      backgroundColor: PROCESS_COLORS[key],
      stack: "cpu",
    }));
  datasets.push({
    label: "k6 (load generator)",
    data: costs.map((c) => c.generator_ms_per_request),
    backgroundColor: PROCESS_COLORS.k6,
    stack: "cpu",
  });
  return {
    id: "chart-cost",
    group: "cost-model",
    kind: "cost",
    description: "Stacked horizontal bar chart: CPU milliseconds per request for each layer, split by process",
    config: {
      type: "bar",
      data: { labels: costs.map((c) => c.name), datasets },
      options: {
        indexAxis: "y",
        scales: { x: { stacked: true, title: axisTitle("CPU ms per request") }, y: { stacked: true, ticks: { autoSkip: false } } },
        plugins: { title: title("CPU per request, by layer and process"), legend: LEGEND },
      },
    },
    refLines: [],
    axisFormats: { x: "ms" },
  };
}

/** Each flow's service CPU per request, stacked by the layers it is made of and the residual. */
function decompositionChart(results: BenchResults): ChartSpec | null {
  const flows = results.cost_model.flows;
  if (flows.length === 0) return null;
  const partIds = [...new Set(flows.flatMap((f) => f.parts.map((p) => p.id)))];
  const labelOf = (id: string) => flows.flatMap((f) => f.parts).find((p) => p.id === id)?.label ?? id;
  return {
    id: "chart-decomposition",
    group: "cost-model",
    kind: "decomposition",
    description: "Stacked horizontal bar chart: each flow's service CPU per request split into its layers and the residual",
    config: {
      type: "bar",
      data: {
        labels: flows.map((f) => results.layers.find((l) => l.layer === f.flow)?.name ?? f.flow),
        datasets: partIds.map((id, i) => ({
          label: id === "residual" ? "residual (not isolated by a layer)" : labelOf(id),
          data: flows.map((f) => f.parts.find((p) => p.id === id)?.ms ?? null),
          backgroundColor: id === "residual" ? "#c4c9d4" : PART_COLORS[i % PART_COLORS.length],
          stack: "flow",
        })),
      },
      options: {
        indexAxis: "y",
        scales: { x: { stacked: true, title: axisTitle("service CPU ms per request") }, y: { stacked: true } },
        plugins: { title: title("What a flow's CPU is made of"), legend: LEGEND },
      },
    },
    refLines: [],
    axisFormats: { x: "ms" },
  };
}

export function buildChartSpecs(results: BenchResults): ChartSpec[] {
  const specs: ChartSpec[] = [capacityChart(results), costChart(results)];
  const decomposition = decompositionChart(results);
  if (decomposition) specs.push(decomposition);
  results.layers.forEach((layer, index) => {
    if (layer.plateaus.length === 0) return;
    specs.push(latencyChart(results, layer, index), throughputChart(layer, index));
    const saturation = saturationChart(layer, index);
    if (saturation) specs.push(saturation);
  });
  return specs;
}
