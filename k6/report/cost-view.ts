// The capacities, physical limits, cost model, profiles, comparisons and targets as tables of text
// cells, derived once for both renderers (report.md and report.html show the same rows the same way).
import type { BenchResults, LayerCost, LayerResult } from "../runner/results.ts";
import { formatConfigValue, formatCount, formatGiB, formatMs, formatRate, formatRatio, formatRps, NONE } from "./format.ts";
import { baselineRatioText, capacityText, LIMITED_BY_TEXT, plateauAtCapacity } from "./report-model.ts";

export interface TableView {
  headers: string[];
  /** Right-aligned (numeric) columns. */
  numeric: boolean[];
  rows: string[][];
  /** Optional CSS class per row (HTML only), e.g. "flow" or "bounds". */
  rowClasses?: (string | undefined)[];
}

export const COST_MODEL_NOTE =
  "CPU milliseconds per request, per process, from the two highest plateaus that met the SLO below saturation (event loop under 0.9 cores, load generator unsaturated), each process's idle use taken out. One event loop cannot serve more than 1000 ÷ its ms per request req/s: the predicted capacity per core, set against the measured one.";

export const PHYSICAL_LIMITS_NOTE = "What the machine does with no service in the way: the ceiling each layer is compared with.";

export function capacityNote(results: BenchResults): string {
  return `Capacity is the highest offered rate whose plateau met the SLO (p99 ≤ ${formatMs(results.slo.p99_ms)}, errors ≤ ${formatRate(results.slo.error_rate)}) with no dropped iterations and an unsaturated load generator; latency and errors are those of that plateau. "≥" marks a layer that never saturated: the figure is a lower bound.`;
}

export const TARGETS_NOTE =
  "What the project holds the service to, checked against this run's figures (– : measured by another command, named in the last column).";

/** CPU milliseconds per request: three decimals below 1 ms, two above. */
export function formatCpuMs(value: number | null | undefined): string {
  if (value === null || value === undefined) return NONE;
  return value.toFixed(value < 1 ? 3 : 2);
}

const percent = (share: number | null) => (share === null ? NONE : `${Math.round(share * 100)}%`);

const RESOURCE_LABELS: Record<string, string> = {
  service: "service event loop",
  worker: "SMS worker event loop",
  postgres: "PostgreSQL",
  redis: "Redis",
  mockSms: "mock SMS provider",
  host: "host (all processes, k6 included)",
};

export function resourceLabel(resource: string): string {
  return RESOURCE_LABELS[resource] ?? resource;
}

/** The host and the versions; the settings' values are formatted, and report.html sets them as code. */
export function environmentTables(results: BenchResults): [TableView, TableView, TableView] {
  const { host, versions, config } = results.environment;
  const text = (headers: string[], rows: string[][]) => ({ headers, numeric: headers.map(() => false), rows });
  return [
    text(
      ["Host", ""],
      [
        ["CPU", host.cpu_model],
        ["Cores", String(host.cores)],
        ["Memory", formatGiB(host.memory_gib)],
        ["Kernel", host.kernel],
      ],
    ),
    text(["Component", "Version"], Object.entries(versions)),
    text(
      ["Setting", "Value"],
      Object.entries(config).map(([k, v]) => [k, formatConfigValue(v)]),
    ),
  ];
}

/** Flows and the baseline stand out from the layers in report.html. */
const layerRowClass = ({ layer }: { layer: LayerResult["layer"] }) =>
  layer === "full-send" || layer === "full-verify" ? "flow" : layer === "baseline" ? "baseline" : undefined;

/** Columns 1 and 2 (endpoint, capacity) are the ones report.html dresses. */
export function capacityTable(results: BenchResults): TableView {
  return {
    headers: [
      "Layer",
      "Endpoint",
      "Capacity (req/s)",
      "Limited by",
      "p50 (ms)",
      "p95 (ms)",
      "p99 (ms)",
      "Errors",
      "Dropped",
      "vs physical limit",
    ],
    numeric: [false, false, true, false, true, true, true, true, true, false],
    rows: results.layers.map((layer) => {
      const at = plateauAtCapacity(layer);
      return [
        layer.name,
        layer.endpoint,
        capacityText(layer),
        LIMITED_BY_TEXT[layer.limited_by],
        formatMs(at?.latencyMs.p50 ?? null, false),
        formatMs(at?.latencyMs.p95 ?? null, false),
        formatMs(layer.p99_ms_at_capacity, false),
        formatRate(layer.error_rate_at_capacity),
        formatCount(layer.dropped_iterations_at_capacity),
        baselineRatioText(layer),
      ];
    }),
    rowClasses: results.layers.map(layerRowClass),
  };
}

export function baselinesTable(results: BenchResults): TableView {
  return {
    headers: ["Baseline", "Tool", "ops/s", "p99 (ms)", "How"],
    numeric: [false, false, true, true, false],
    rows: results.baselines.map((b) => [b.name, b.tool, formatRps(b.ops_per_second), formatMs(b.p99_ms, false), b.detail]),
  };
}

export function costTable(results: BenchResults): TableView {
  const layers = results.cost_model.layers;
  return {
    headers: [
      "Layer",
      "From plateaus (req/s)",
      "Service",
      "Worker",
      "PostgreSQL",
      "Redis",
      "Mock SMS",
      "k6",
      "Predicted per core (req/s)",
      "Measured (req/s)",
      "Measured ÷ predicted",
    ],
    numeric: [false, true, true, true, true, true, true, true, true, true, true],
    rows: layers.map((c) => [
      c.name,
      `${c.plateaus_rps.map((r) => formatRps(r)).join(", ") || NONE}${c.basis === "lowest-plateau" ? " (no clean plateau: lowest used)" : ""}`,
      formatCpuMs(c.ms_per_request.service),
      formatCpuMs(c.ms_per_request.worker),
      formatCpuMs(c.ms_per_request.postgres),
      formatCpuMs(c.ms_per_request.redis),
      formatCpuMs(c.ms_per_request.mockSms),
      formatCpuMs(c.generator_ms_per_request),
      formatRps(c.predicted_capacity_per_core_rps),
      formatRps(c.measured_capacity_rps),
      formatRatio(c.measured_over_predicted),
    ]),
    rowClasses: layers.map(layerRowClass),
  };
}

export function flowTables(results: BenchResults): { title: string; table: TableView }[] {
  return results.cost_model.flows.map((flow) => {
    const name = results.layers.find((l) => l.layer === flow.flow)?.name ?? flow.flow;
    const others = Object.entries(flow.other_processes_ms)
      .filter(([, v]) => v !== null && v > 0)
      .map(([p, v]) => `${resourceLabel(p)} ${formatCpuMs(v)} ms`)
      .join(", ");
    return {
      title: `${name}: ${formatCpuMs(flow.total_ms)} ms of service CPU per request${others ? ` (and outside it: ${others})` : ""}`,
      table: {
        headers: ["Part", "ms per request", "Share"],
        numeric: [false, true, true],
        rows: flow.parts.map((p) => [p.id === "residual" ? `Residual — ${p.label}` : p.label, formatCpuMs(p.ms), percent(p.share)]),
        rowClasses: flow.parts.map((p) => (p.id === "residual" ? "residual" : undefined)),
      },
    };
  });
}

export function resourceTable(results: BenchResults): TableView {
  const resources = results.bottleneck.resources;
  return {
    headers: ["Resource", "CPU ms per request", "Cores it can use", "Capacity this cost allows (req/s)"],
    numeric: [false, true, true, true],
    rows: resources.map((r) => [
      resourceLabel(r.resource),
      formatCpuMs(r.ms_per_request),
      String(r.cores),
      formatRps(r.predicted_capacity_rps),
    ]),
    rowClasses: resources.map((_, i) => (i === 0 ? "bounds" : undefined)),
  };
}

/** A profile's layer name, the sentence under its heading and its tables. */
export function profileView(results: BenchResults, profile: BenchResults["profiles"][number]) {
  return {
    name: results.layers.find((l) => l.script === profile.script || l.layer === profile.layer)?.name ?? profile.script,
    summary: `${formatRps(profile.achieved_rps)} req/s achieved over ${(profile.duration_ms / 1000).toFixed(1)} s, ${formatCount(profile.samples)} samples; busy ${formatMs(profile.busy_ms_per_request)} per request (profiler overhead included).`,
    categories: {
      headers: ["Where the time goes", "Self time (ms)", "Share of busy time"],
      numeric: [false, true, true],
      rows: profile.categories.filter((c) => c.id !== "idle").map((c) => [c.label, c.self_ms.toFixed(1), percent(c.share_of_busy)]),
    },
    functions: {
      headers: ["Function", "Where", "Group", "Self (ms)", "Share"],
      numeric: [false, false, false, true, true],
      rows: profile.top_functions.map((f) => [
        f.function_name || "(anonymous)",
        f.url ? `${shortUrl(f.url)}:${f.line + 1}` : "(native)",
        f.category,
        f.self_ms.toFixed(1),
        percent(f.share_of_busy),
      ]),
    },
  };
}

/** The part of a file URL a reader recognises: from node_modules/<pkg> or the app's dist/ on. */
export function shortUrl(url: string): string {
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) return url.slice(modules + "node_modules/".length);
  const app = url.indexOf("/app/");
  if (app >= 0) return url.slice(app + 1);
  return url.replace(/^file:\/\//, "");
}

export function comparisonTable(results: BenchResults): TableView | null {
  const comparison = results.comparison;
  if (!comparison) return null;
  const scripts = [...new Set(comparison.variants.flatMap((v) => v.layers.map((l) => l.script)))];
  const rows: string[][] = [];
  for (const script of scripts) {
    const first = comparison.variants[0]?.costs.find((c) => c.script === script);
    const firstTotal = first ? totalMs(first) : null;
    for (const variant of comparison.variants) {
      const layer = variant.layers.find((l) => l.script === script);
      const cost = variant.costs.find((c) => c.script === script);
      if (!layer || !cost) continue;
      const total = totalMs(cost);
      rows.push([
        layer.name,
        variant.label,
        layer.capacity_rps === null ? NONE : `${layer.limited_by === "highest_rate_tested" ? "≥ " : ""}${formatRps(layer.capacity_rps)}`,
        formatCpuMs(cost.ms_per_request.service),
        formatCpuMs(cost.ms_per_request.worker),
        formatCpuMs(total),
        firstTotal && total ? formatRatio(firstTotal / total) : NONE,
        formatRps(cost.predicted_capacity_per_core_rps),
      ]);
    }
  }
  return {
    headers: [
      "Script",
      "Variant",
      "Capacity (req/s)",
      "API process ms/req",
      "Worker ms/req",
      "Service total ms/req",
      "Throughput per CPU vs first",
      "API predicted per core (req/s)",
    ],
    numeric: [false, false, true, true, true, true, true, true],
    rows,
  };
}

function totalMs(cost: LayerCost): number | null {
  const service = cost.ms_per_request.service;
  if (service === null) return null;
  return service + (cost.ms_per_request.worker ?? 0);
}

export function targetsTable(results: BenchResults): TableView {
  return {
    headers: ["", "Target", "Goal", "Measured", "Why missed", "Measured by"],
    numeric: [false, false, false, false, false, false],
    rows: results.targets.map((t) => [
      t.met === null ? "–" : t.met ? "✓" : "✗",
      t.title,
      t.target_text,
      t.measured_text,
      t.why_missed ?? "",
      t.how,
    ]),
    rowClasses: results.targets.map((t) => (t.met === false ? "fails" : undefined)),
  };
}
