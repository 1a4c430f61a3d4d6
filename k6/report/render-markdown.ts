// report.md: the capacity report as Markdown, readable in a terminal, a pull request or a wiki.

import type { BenchResults, LayerResult, PlateauResult } from "../runner/results.ts";
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
import { formatDuration, formatMs, formatRate, formatRatio, formatRps, formatTimestamp } from "./format.ts";
import { replicasView } from "./replicas-view.ts";
import {
  bottleneckLabels,
  capacityPhrase,
  kneeText,
  LIMITED_BY_TEXT,
  PLATEAU_HEADERS,
  PLATEAU_MARKS,
  plateauCells,
  plateauMarks,
  sortedRecommendations,
  validitySummary,
} from "./report-model.ts";

/** Text for a table cell: no pipes or line breaks may break the row. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|").replace(/</g, "&lt;");
}

/** Free text: raw HTML in the input must not render as HTML. */
function text(value: string): string {
  return value.replace(/</g, "&lt;");
}

function table(headers: string[], rows: string[][], align?: ("l" | "r" | "c")[]): string {
  const rule = headers.map((_, i) => {
    const a = align?.[i] ?? "l";
    return a === "r" ? "---:" : a === "c" ? ":---:" : "---";
  });
  const line = (cells: string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(headers), `| ${rule.join(" | ")} |`, ...rows.map(line)].join("\n");
}

function header(results: BenchResults): string {
  const duration = formatDuration(results.started_at, results.finished_at);
  const meta = [
    `Profile **${text(results.profile)}**`,
    `started ${formatTimestamp(results.started_at)}`,
    duration ? `took ${duration}` : `finished ${formatTimestamp(results.finished_at)}`,
    `SLO p99 ≤ ${formatMs(results.slo.p99_ms)}, errors ≤ ${formatRate(results.slo.error_rate)}`,
    `target ${formatRps(results.target_rps)} req/s`,
  ].join(" · ");
  const lines = [`# Capacity report — ${text(results.run_id)}`, "", meta];
  const validity = validitySummary(results);
  if (validity.failing.length > 0) {
    lines.push(
      "",
      `> **✗ ${validity.failing.length} of ${validity.total} validity checks failed** (${validity.failing.join(", ")}): read the figures with them in mind.`,
    );
  }
  return lines.join("\n");
}

function environment(results: BenchResults): string {
  return ["## Environment", ...environmentTables(results).flatMap((t) => ["", view(t)])].join("\n");
}

function capacity(results: BenchResults): string {
  return [
    "## Capacity per layer",
    "",
    capacityNote(results),
    "",
    view(capacityTable(results)),
    "",
    `**${validitySummary(results).text}**`,
  ].join("\n");
}

function physicalLimits(results: BenchResults): string {
  if (results.baselines.length === 0) return "## Physical limits\n\nNo baseline was measured in this run.";
  return ["## Physical limits", "", PHYSICAL_LIMITS_NOTE, "", view(baselinesTable(results))].join("\n");
}

function view(tableView: TableView): string {
  return table(
    tableView.headers,
    tableView.rows,
    tableView.numeric.map((n) => (n ? "r" : "l")),
  );
}

function targets(results: BenchResults): string {
  if (results.targets.length === 0) return "## Cost targets\n\nNone checked in this run.";
  return ["## Cost targets", "", TARGETS_NOTE, "", view(targetsTable(results))].join("\n");
}

function costModel(results: BenchResults): string {
  const lines = ["## Cost model", "", COST_MODEL_NOTE, "", view(costTable(results))];
  for (const flow of flowTables(results)) lines.push("", `### ${text(flow.title)}`, "", view(flow.table));
  return lines.join("\n");
}

function bottleneck(results: BenchResults): string {
  const labels = bottleneckLabels(results);
  const flowCapacity = labels.flow ? capacityPhrase(labels.flow) : "not measured";
  const lines = [
    "## Bottleneck",
    "",
    `- **Flow:** ${text(labels.flowLabel)}: ${flowCapacity}, against a target of ${formatRps(results.target_rps)} req/s`,
    `- **Bounded by:** ${text(labels.boundedByLabel)}`,
    `- **Measured ÷ predicted:** ${formatRatio(results.bottleneck.headroom_ratio)}`,
    "",
    text(results.bottleneck.explanation),
  ];
  if (results.bottleneck.resources.length > 0) lines.push("", view(resourceTable(results)));
  if (results.bottleneck.symptoms.length > 0) {
    lines.push("", "Symptoms, not causes:", "", ...results.bottleneck.symptoms.map((s) => `- ${text(s)}`));
  }
  return lines.join("\n");
}

function profiles(results: BenchResults): string {
  if (results.profiles.length === 0) return "## CPU profiles\n\nNo profile was taken in this run.";
  const lines = [
    "## CPU profiles",
    "",
    "A V8 CPU profile of the service during one plateau of each flow, in a run of its own (the profiler's overhead never touches the capacity figures). Open the `.cpuprofile` files in Chrome DevTools (Performance → Load profile) or speedscope; report.html has a zoomable flame graph of each.",
  ];
  for (const p of results.profiles) {
    const profile = profileView(results, p);
    lines.push(
      "",
      `### ${text(profile.name)} at ${formatRps(p.offered_rps)} req/s — [${p.file}](${p.file})`,
      "",
      profile.summary,
      "",
      view(profile.categories),
      "",
      view(profile.functions),
    );
  }
  return lines.join("\n");
}

function comparison(results: BenchResults): string {
  const table = comparisonTable(results);
  if (!results.comparison || !table) return "";
  return [`## Comparison: ${text(results.comparison.title)}`, "", text(results.comparison.question), "", view(table)].join("\n");
}

function plateauLabel(layer: LayerResult, p: PlateauResult, index: number): string {
  return [p.name, ...plateauMarks(layer, p, index).map((mark) => PLATEAU_MARKS[mark])].join(" ");
}

function layerBehaviour(layer: LayerResult): string {
  const summary = `Capacity: **${capacityPhrase(layer)}** (limited by ${LIMITED_BY_TEXT[layer.limited_by]}); ${kneeText(layer)}`;
  const lines = [`### ${text(layer.name)} — \`${layer.endpoint.replace(/`/g, "'")}\``, "", `${summary}.`];
  if (layer.plateaus.length === 0) return [...lines, "", "No plateau data."].join("\n");
  lines.push(
    "",
    table(
      PLATEAU_HEADERS,
      layer.plateaus.map((p, i) => [plateauLabel(layer, p, i), ...plateauCells(p)]),
      [...PLATEAU_HEADERS.slice(0, -1).map((_, i) => (i === 0 ? "l" : "r") as "l" | "r"), "c"],
    ),
  );
  const failed = layer.plateaus.filter((p) => p.failedBecause.length > 0);
  if (failed.length > 0) {
    lines.push("", "Plateaus that fail the capacity rule:", "");
    for (const p of failed) lines.push(`- ${p.name} (${formatRps(p.offeredRps)} req/s): ${text(p.failedBecause.join("; "))}`);
  }
  return lines.join("\n");
}

function behaviour(results: BenchResults): string {
  return [
    "## Behaviour under load",
    "",
    "One row per plateau (a constant arrival rate held for its duration). ◆ knee: where latency starts rising steeply; ● capacity: the plateau the capacity is taken from; ⚠ the load generator was saturated. Server signals: EL lag = event-loop lag p99, PG pool waiting = most clients queued for a connection, stream lag = SMS stream entries not yet delivered (max); CPU and PSS per process: service / separate SMS worker / PostgreSQL / Redis (PSS counts shared pages once across a process tree); heap used: the service's V8 heap.",
    ...results.layers.map((l) => `\n${layerBehaviour(l)}`),
  ].join("\n");
}

function recommendations(results: BenchResults): string {
  const sorted = sortedRecommendations(results);
  if (sorted.length === 0) return "## Recommendations\n\nNone from this run.";
  const items = sorted.map((r, i) =>
    [
      `${i + 1}. **[${r.severity.toUpperCase()}] ${text(r.title)}** (\`${r.id}\`)`,
      `   - Evidence: ${text(r.evidence)}`,
      `   - Expected gain (×${r.gain_ratio.toFixed(2)}): ${text(r.expected_gain)}`,
      `   - Confirm with: \`${r.rerun}\``,
    ].join("\n"),
  );
  return ["## Recommendations", "", ...items].join("\n");
}

function validity(results: BenchResults): string {
  const summary = validitySummary(results);
  if (summary.total === 0) return `## Validity checks\n\n${summary.text}`;
  return [
    "## Validity checks",
    "",
    summary.text,
    "",
    table(
      ["", "Check", "Detail"],
      results.validity.map((c) => [c.passed ? "✓" : "✗", c.id, c.detail]),
      ["c", "l", "l"],
    ),
  ].join("\n");
}

function replicas(results: BenchResults): string[] {
  const found = replicasView(results);
  if (!found) return [];
  const lines = ["## Replicas over time", "", text(found.intro)];
  for (const step of found.steps) lines.push("", `### ${text(step.script)}`, "", text(step.summary), "", view(step.table));
  return [lines.join("\n")];
}

export function renderMarkdown(results: BenchResults): string {
  return `${[
    header(results),
    environment(results),
    capacity(results),
    targets(results),
    physicalLimits(results),
    bottleneck(results),
    costModel(results),
    profiles(results),
    ...(results.comparison ? [comparison(results)] : []),
    behaviour(results),
    ...replicas(results),
    recommendations(results),
    validity(results),
    `---\n\nGenerated from results.json (schema v${results.schema_version}) by k6/report/render-report.ts.`,
  ].join("\n\n")}\n`;
}
