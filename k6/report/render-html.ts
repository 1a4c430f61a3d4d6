// report.html: the same report as report.md, self-contained (inline CSS, the Chart.js bundle, the data
// as JSON), with charts. It makes no network request: a Content-Security-Policy forbids any.

import { readFileSync } from "node:fs";
import type { BenchResults, LayerResult, PlateauResult } from "../runner/results.ts";
import { buildChartSpecs, type ChartSpec } from "./charts.ts";
import {
  baselinesTable,
  COST_MODEL_NOTE,
  capacityNote,
  capacityTable,
  comparisonTable,
  costTable,
  environmentTables,
  flowTables,
  PHYSICAL_LIMITS_NOTE,
  profileView,
  resourceTable,
  TARGETS_NOTE,
  type TableView,
  targetsTable,
} from "./cost-view.ts";
import { FLAMEGRAPH_CSS, FLAMEGRAPH_RUNTIME, type FlameNode, renderFlameGraph } from "./flamegraph.ts";
import { formatDuration, formatMs, formatRate, formatRatio, formatRps, formatTimestamp } from "./format.ts";
import { type Content, h, jsonForScript, type Raw, render, scriptSource } from "./html.ts";
import { replicasView } from "./replicas-view.ts";
import {
  bottleneckLabels,
  capacityPhrase,
  GENERATOR_LIMITED_TEXT,
  kneeText,
  LIMITED_BY_TEXT,
  PLATEAU_HEADERS,
  PLATEAU_MARKS,
  plateauCells,
  plateauMarks,
  sortedRecommendations,
  validitySummary,
} from "./report-model.ts";

const STYLE = readFileSync(new URL("./report.css", import.meta.url), "utf8");
const RUNTIME = readFileSync(new URL("./charts-runtime.js", import.meta.url), "utf8");

export interface HtmlAssets {
  /** The Chart.js UMD bundle's source (chart.js/dist/chart.umd.js). */
  chartJs: string;
  /** Flame graph trees by script id, built from the run's .cpuprofile files (absent: no flame graph). */
  flameTrees?: Record<string, FlameNode>;
}

type Cell = Content | { content: Content; className: string };

function table(headers: string[], rows: Cell[][], numeric: boolean[] = [], rowClasses: (string | undefined)[] = []): Raw {
  const className = (i: number) => (numeric[i] ? "num" : undefined);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      null,
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          headers.map((text, i) => h("th", { class: className(i), scope: "col" }, text)),
        ),
      ),
      h(
        "tbody",
        null,
        rows.map((row, r) =>
          h(
            "tr",
            { class: rowClasses[r] },
            row.map((c, i) => {
              if (typeof c === "object" && c !== null && "className" in c) {
                return h("td", { class: [className(i), c.className].filter(Boolean).join(" ") }, c.content);
              }
              return h("td", { class: className(i) }, c);
            }),
          ),
        ),
      ),
    ),
  );
}

function canvas(spec: ChartSpec, wide = false): Raw {
  return h(
    "figure",
    { class: wide ? "chart wide" : "chart" },
    h("div", { class: "chart-box" }, h("canvas", { id: spec.id, role: "img", "aria-label": spec.description })),
  );
}

function mark(passed: boolean): Raw {
  return h("span", { class: passed ? "ok" : "bad", title: passed ? "passed" : "failed" }, passed ? "✓" : "✗");
}

function header(results: BenchResults): Raw {
  const duration = formatDuration(results.started_at, results.finished_at);
  const validity = validitySummary(results);
  const facts: [string, string][] = [
    ["Profile", results.profile],
    ["Started", formatTimestamp(results.started_at)],
    duration ? ["Duration", duration] : ["Finished", formatTimestamp(results.finished_at)],
    ["SLO", `p99 ≤ ${formatMs(results.slo.p99_ms)}, errors ≤ ${formatRate(results.slo.error_rate)}`],
    ["Target", `${formatRps(results.target_rps)} req/s`],
  ];
  return h(
    "header",
    null,
    h("h1", null, "Capacity report ", h("span", { class: "run-id" }, results.run_id)),
    h(
      "dl",
      { class: "facts" },
      facts.map(([k, v]) => h("div", null, h("dt", null, k), h("dd", null, v))),
    ),
    validity.failing.length > 0
      ? h(
          "p",
          { class: "banner bad", role: "alert" },
          `✗ ${validity.failing.length} of ${validity.total} validity checks failed (${validity.failing.join(", ")}): read the figures with them in mind.`,
        )
      : [],
    nav(results),
  );
}

const SECTIONS: [string, string][] = [
  ["environment", "Environment"],
  ["capacity", "Capacity per layer"],
  ["targets", "Cost targets"],
  ["physical-limits", "Physical limits"],
  ["bottleneck", "Bottleneck"],
  ["cost-model", "Cost model"],
  ["profiles", "CPU profiles"],
  ["comparison", "Comparison"],
  ["behaviour", "Behaviour under load"],
  ["replicas", "Replicas over time"],
  ["recommendations", "Recommendations"],
  ["validity", "Validity checks"],
];

function nav(results: BenchResults): Raw {
  return h(
    "nav",
    null,
    h(
      "ul",
      null,
      SECTIONS.filter(([id]) => id !== "replicas" || results.cluster).map(([id, label]) =>
        h("li", null, h("a", { href: `#${id}` }, label)),
      ),
    ),
  );
}

function section(id: string, ...children: Content[]): Raw {
  const label = SECTIONS.find(([key]) => key === id)?.[1] ?? id;
  return h("section", { id }, h("h2", null, label), ...children);
}

function environment(results: BenchResults): Raw {
  const [host, versions, settings] = environmentTables(results);
  const code = settings.rows.map((row) => row.map((cell, i) => (i === 1 ? h("code", null, cell) : cell)));
  return section("environment", h("div", { class: "grid3" }, viewTable(host), viewTable(versions), table(settings.headers, code)));
}

function capacity(results: BenchResults, specs: ChartSpec[]): Raw {
  const validity = validitySummary(results);
  const view = capacityTable(results);
  const chart = specs.find((s) => s.kind === "capacity");
  return section(
    "capacity",
    h("p", { class: "note" }, capacityNote(results)),
    table(
      view.headers,
      view.rows.map((row) =>
        row.map((cell, i): Cell => {
          if (i === 1) return h("code", null, cell);
          if (i === 2) return { content: cell, className: cell === GENERATOR_LIMITED_TEXT ? "warn-text" : "strong" };
          return cell;
        }),
      ),
      view.numeric,
      view.rowClasses,
    ),
    h("p", { class: validity.failing.length > 0 ? "validity-line bad" : "validity-line ok" }, validity.text),
    chart ? canvas(chart, true) : [],
  );
}

function physicalLimits(results: BenchResults): Raw {
  if (results.baselines.length === 0) return section("physical-limits", h("p", null, "No baseline was measured in this run."));
  return section("physical-limits", h("p", { class: "note" }, PHYSICAL_LIMITS_NOTE), viewTable(baselinesTable(results)));
}

function viewTable(view: TableView): Raw {
  return table(view.headers, view.rows, view.numeric, view.rowClasses ?? []);
}

function targets(results: BenchResults): Raw {
  return section(
    "targets",
    h("p", { class: "note" }, TARGETS_NOTE),
    results.targets.length > 0 ? viewTable(targetsTable(results)) : h("p", null, "None checked in this run."),
  );
}

function bottleneck(results: BenchResults): Raw {
  const labels = bottleneckLabels(results);
  const flowCapacity = labels.flow ? capacityPhrase(labels.flow) : "not measured";
  return section(
    "bottleneck",
    h(
      "dl",
      { class: "facts big" },
      h("div", null, h("dt", null, "Flow"), h("dd", null, labels.flowLabel)),
      h("div", null, h("dt", null, "Capacity"), h("dd", null, `${flowCapacity} (target ${formatRps(results.target_rps)} req/s)`)),
      h("div", null, h("dt", null, "Bounded by"), h("dd", null, labels.boundedByLabel)),
      h("div", null, h("dt", null, "Measured ÷ predicted"), h("dd", null, formatRatio(results.bottleneck.headroom_ratio))),
    ),
    h("p", null, results.bottleneck.explanation),
    results.bottleneck.resources.length > 0 ? viewTable(resourceTable(results)) : [],
    results.bottleneck.symptoms.length > 0
      ? [
          h("p", null, h("strong", null, "Symptoms, not causes:")),
          h(
            "ul",
            null,
            results.bottleneck.symptoms.map((text) => h("li", null, text)),
          ),
        ]
      : [],
  );
}

function costModel(results: BenchResults, specs: ChartSpec[]): Raw {
  const charts = specs.filter((s) => s.group === "cost-model");
  return section(
    "cost-model",
    h("p", { class: "note" }, COST_MODEL_NOTE),
    viewTable(costTable(results)),
    h(
      "div",
      { class: "charts" },
      charts.map((c) => canvas(c)),
    ),
    flowTables(results).map((flow) => [h("h3", null, flow.title), viewTable(flow.table)]),
  );
}

function profiles(results: BenchResults, flameTrees: Record<string, FlameNode>): Raw {
  if (results.profiles.length === 0) return section("profiles", h("p", null, "No profile was taken in this run."));
  return section(
    "profiles",
    h(
      "p",
      { class: "note" },
      "A V8 CPU profile of the service during one plateau of each flow, in a run of its own (the profiler's overhead never touches the capacity figures). Click a frame to zoom into it, the root to zoom out; the search box highlights matching frames. The .cpuprofile files open in Chrome DevTools (Performance → Load profile) and speedscope.",
    ),
    results.profiles.map((p) => {
      const { name, summary, categories, functions } = profileView(results, p);
      const tree = flameTrees[p.script];
      return h(
        "article",
        { class: "profile", id: `profile-${p.script}` },
        h("h3", null, `${name} at ${formatRps(p.offered_rps)} req/s `, h("a", { href: p.file }, p.file)),
        h("p", null, summary),
        viewTable(categories),
        tree
          ? renderFlameGraph(`flame-${p.script}`, tree, `${name}: where the service's CPU went (width ∝ time)`)
          : h("p", { class: "note" }, `No flame graph: ${p.file} was not found beside results.json.`),
        h("details", null, h("summary", null, "Top functions by self time"), viewTable(functions)),
      );
    }),
  );
}

function comparison(results: BenchResults): Raw {
  const view = comparisonTable(results);
  if (!results.comparison || !view) {
    return section("comparison", h("p", null, "No comparison in this run: make bench-worker-split and make bench-telemetry run one each."));
  }
  return section("comparison", h("h3", null, results.comparison.title), h("p", null, results.comparison.question), viewTable(view));
}

function plateauLabel(layer: LayerResult, p: PlateauResult, index: number): Content {
  return [p.name, ...plateauMarks(layer, p, index).map((mark) => [" ", h("span", { class: `badge ${mark}` }, PLATEAU_MARKS[mark])])];
}

function layerBehaviour(layer: LayerResult, specs: ChartSpec[]): Raw {
  const charts = specs.filter((s) => s.group === layer.script && s.kind !== "capacity");
  const failed = layer.plateaus.filter((p) => p.failedBecause.length > 0);
  return h(
    "article",
    { class: "layer", id: `layer-${layer.script}` },
    h("h3", null, layer.name, " ", h("code", null, layer.endpoint)),
    h(
      "p",
      null,
      "Capacity: ",
      h("strong", { class: layer.generator_limited ? "warn-text" : undefined }, capacityPhrase(layer)),
      ` (limited by ${LIMITED_BY_TEXT[layer.limited_by]}); `,
      `${kneeText(layer)}.`,
    ),
    layer.plateaus.length === 0
      ? h("p", null, "No plateau data.")
      : [
          h(
            "div",
            { class: "charts" },
            charts.map((c) => canvas(c)),
          ),
          table(
            PLATEAU_HEADERS,
            layer.plateaus.map((p, i): Cell[] => {
              const cells: Cell[] = [{ content: plateauLabel(layer, p, i), className: "plateau" }, ...plateauCells(p)];
              cells[cells.length - 1] = mark(p.meetsSlo);
              return cells;
            }),
            PLATEAU_HEADERS.map((_, i) => i > 0 && i < PLATEAU_HEADERS.length - 1),
            layer.plateaus.map(
              (p, i) => [i === layer.knee_index ? "knee" : "", p.meetsSlo ? "" : "fails"].filter(Boolean).join(" ") || undefined,
            ),
          ),
        ],
    failed.length > 0
      ? h(
          "details",
          null,
          h("summary", null, `Plateaus that fail the capacity rule (${failed.length})`),
          h(
            "ul",
            null,
            failed.map((p) =>
              h("li", null, h("strong", null, `${p.name} (${formatRps(p.offeredRps)} req/s)`), `: ${p.failedBecause.join("; ")}`),
            ),
          ),
        )
      : [],
  );
}

function behaviour(results: BenchResults, specs: ChartSpec[]): Raw {
  return section(
    "behaviour",
    h(
      "p",
      { class: "note" },
      "One row per plateau (a constant arrival rate held for its duration). ◆ knee: where latency starts rising steeply; ● capacity: the plateau the capacity is taken from; ⚠ the load generator was saturated. EL lag = event-loop lag p99; PG pool waiting = most clients queued for a connection; stream lag = SMS stream entries not yet delivered (max); CPU and PSS per process: service / separate SMS worker / PostgreSQL / Redis (PSS counts shared pages once across a process tree); heap used: the service's V8 heap.",
    ),
    results.layers.map((l) => layerBehaviour(l, specs)),
  );
}

/** Only for CapacityBenchmark runs (results.cluster): replicas, offered rate and p99 over time. */
function replicas(results: BenchResults): Raw[] {
  const found = replicasView(results);
  if (!found) return [];
  return [
    section(
      "replicas",
      h("p", null, found.intro),
      ...found.steps.flatMap((step) => [h("h3", null, step.script), h("p", null, step.summary), viewTable(step.table)]),
    ),
  ];
}

function recommendations(results: BenchResults): Raw {
  const sorted = sortedRecommendations(results);
  if (sorted.length === 0) return section("recommendations", h("p", null, "None from this run."));
  return section(
    "recommendations",
    h(
      "ol",
      { class: "recs" },
      sorted.map((r) =>
        h(
          "li",
          { class: `rec ${r.severity}` },
          h(
            "div",
            { class: "rec-head" },
            h("span", { class: `sev ${r.severity}` }, r.severity),
            " ",
            h("strong", null, r.title),
            " ",
            h("code", null, r.id),
          ),
          h("p", null, h("span", { class: "label" }, "Evidence: "), r.evidence),
          h("p", null, h("span", { class: "label" }, `Expected gain (×${r.gain_ratio.toFixed(2)}): `), r.expected_gain),
          h("p", null, h("span", { class: "label" }, "Confirm with: "), h("code", null, r.rerun)),
        ),
      ),
    ),
  );
}

function validity(results: BenchResults): Raw {
  const summary = validitySummary(results);
  return section(
    "validity",
    h("p", { class: summary.failing.length > 0 ? "validity-line bad" : "validity-line ok" }, summary.text),
    summary.total > 0
      ? table(
          ["", "Check", "Detail"],
          results.validity.map((c) => [mark(c.passed), h("code", null, c.id), c.detail]),
          [],
          results.validity.map((c) => (c.passed ? undefined : "fails")),
        )
      : [],
  );
}

const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

export function renderHtml(results: BenchResults, assets: HtmlAssets): string {
  const specs = buildChartSpecs(results);
  const body = render([
    header(results),
    h(
      "main",
      null,
      environment(results),
      capacity(results, specs),
      targets(results),
      physicalLimits(results),
      bottleneck(results),
      costModel(results, specs),
      profiles(results, assets.flameTrees ?? {}),
      comparison(results),
      behaviour(results, specs),
      ...replicas(results),
      recommendations(results),
      validity(results),
    ),
    h("footer", null, `Generated from results.json (schema v${results.schema_version}) by k6/report/render-report.ts.`),
  ]);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>${render(`Capacity report — ${results.run_id}`)}</title>
<link rel="icon" href="data:,">
<style>
${STYLE}
${FLAMEGRAPH_CSS}
</style>
</head>
<body>
${body}
<script type="application/json" id="bench-results">${jsonForScript(results)}</script>
<script type="application/json" id="chart-specs">${jsonForScript(specs)}</script>
<script>
${scriptSource(assets.chartJs.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n"))}
</script>
<script>
${scriptSource(RUNTIME)}
</script>
<script>
${scriptSource(FLAMEGRAPH_RUNTIME)}
</script>
</body>
</html>
`;
}
