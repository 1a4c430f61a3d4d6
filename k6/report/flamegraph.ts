// A zoomable flame graph of a CPU profile for the self-contained report.html: the container (the tree
// embedded as JSON, a legend, a search box) comes from renderFlameGraph; FLAMEGRAPH_RUNTIME and
// FLAMEGRAPH_CSS, inlined once per report, draw every container on the page.
//
// d3-flame-graph (5.0.0) was considered and not used: its UMD bundle is not standalone (it needs d3's
// selection, scale, hierarchy, format, ease and transition modules as a global d3, about 90 KB more
// to inline), it injects its own <style> element, and it brings an animation layer the report does not
// need. The trees here are already pruned to a few hundred frames, which plain positioned divs draw
// with zoom, search and tooltips in the ~170 lines of flamegraph-runtime.js.
import { readFileSync } from "node:fs";
import { CATEGORY_LABELS, CATEGORY_RULES, type CategoryId } from "../runner/cpu-categories.ts";
import type { FlameNode } from "../runner/cpu-profile.ts";
import { h, jsonForScript, type Raw, raw } from "./html.ts";

export type { FlameNode } from "../runner/cpu-profile.ts";

/** Light fills so that black frame labels stay readable; the service's own code stands out in green. */
export const CATEGORY_COLORS: Readonly<Record<CategoryId | "all", string>> = {
  "http-express": "#f6b26b",
  opentelemetry: "#c9b3ec",
  pino: "#f3dc7a",
  "prom-client": "#f2b8cf",
  pg: "#8fbbe8",
  ioredis: "#ee9a9a",
  undici: "#8fd3c9",
  zod: "#c5e08e",
  crypto: "#d9b99b",
  app: "#6cc48a",
  "node-http-net": "#aec4d9",
  gc: "#b9b9b9",
  program: "#d9d9d9",
  idle: "#eeeeee",
  other: "#e8e2d4",
  all: "#cfd5de",
};

export const FLAMEGRAPH_RUNTIME = readFileSync(new URL("./flamegraph-runtime.js", import.meta.url), "utf8");

/**
 * The categories the tree shows, in the table's fixed order so that two flows' graphs read alike. No
 * shares: the folded "(other: …)" frames mix categories, so the tree cannot give them exactly (the
 * profile summary does).
 */
function legend(tree: FlameNode): Raw {
  const present = new Set<string>();
  const visit = (node: FlameNode): void => {
    present.add(node.c);
    node.k?.forEach(visit);
  };
  visit(tree);
  return h(
    "ul",
    { class: "fg-legend" },
    CATEGORY_RULES.filter((rule) => present.has(rule.id)).map((rule) =>
      h("li", null, h("span", { class: "fg-swatch", style: `background-color: ${CATEGORY_COLORS[rule.id]}` }), rule.label),
    ),
  );
}

/** A flame graph container: draw it by inlining FLAMEGRAPH_RUNTIME (and FLAMEGRAPH_CSS) once in the page. */
export function renderFlameGraph(id: string, tree: FlameNode, caption: string): Raw {
  const data = { tree, colors: CATEGORY_COLORS, labels: { ...CATEGORY_LABELS, all: "Everything sampled but idle" } };
  return h(
    "figure",
    { class: "flamegraph", id },
    h("figcaption", null, caption),
    h(
      "div",
      { class: "fg-toolbar" },
      raw('<input type="search" class="fg-search" placeholder="Search frames (function or file)" aria-label="Search frames">'),
      h("button", { type: "button", class: "fg-reset" }, "Reset zoom"),
      h("span", { class: "fg-status", "aria-live": "polite" }),
    ),
    legend(tree),
    h("div", {
      class: "fg-frames",
      role: "group",
      "aria-label": `Flame graph: ${caption}. Click a frame to zoom into it, an ancestor to zoom out.`,
    }),
    h("div", { class: "fg-tooltip", role: "tooltip", hidden: "" }),
    raw(`<script type="application/json" class="fg-data">${jsonForScript(data)}</script>`),
  );
}

export const FLAMEGRAPH_CSS = `
.flamegraph {
  position: relative;
  margin: 12px 0 20px;
  padding: 12px;
  background: var(--card, #fff);
  border: 1px solid var(--line, #e5e7eb);
  border-radius: 6px;
}
.flamegraph figcaption {
  font-weight: 600;
  margin-bottom: 8px;
}
.fg-toolbar {
  display: flex;
  gap: 8px;
  align-items: center;
  margin-bottom: 8px;
}
.fg-search {
  width: 280px;
  padding: 3px 6px;
  font: inherit;
}
.fg-reset {
  font: inherit;
  padding: 2px 10px;
}
.flamegraph:not(.fg-zoomed) .fg-reset {
  visibility: hidden;
}
.fg-status {
  color: var(--muted, #6b7280);
}
.fg-legend {
  display: flex;
  flex-wrap: wrap;
  gap: 4px 16px;
  list-style: none;
  margin: 0 0 8px;
  padding: 0;
  font-size: 12px;
}
.fg-swatch {
  display: inline-block;
  width: 12px;
  height: 12px;
  margin-right: 5px;
  vertical-align: -1px;
  border-radius: 2px;
}
.fg-frames {
  position: relative;
  overflow: hidden;
}
.fg-frame {
  position: absolute;
  height: 17px;
  padding: 0 3px;
  box-sizing: border-box;
  border-right: 1px solid #fff;
  overflow: hidden;
  white-space: nowrap;
  text-overflow: ellipsis;
  font: 11px/17px ui-monospace, "SFMono-Regular", Menlo, monospace;
  color: #111827;
  cursor: pointer;
}
.fg-frame:hover {
  outline: 1px solid #111827;
  z-index: 1;
}
.fg-frame.fg-ancestor {
  opacity: 0.55;
}
.flamegraph.fg-searching .fg-frame:not(.fg-match) {
  opacity: 0.3;
}
.fg-frame.fg-match {
  background-color: #e86bd3 !important;
  opacity: 1;
}
.fg-tooltip {
  position: absolute;
  z-index: 2;
  max-width: 520px;
  padding: 6px 8px;
  background: #111827;
  color: #f9fafb;
  border-radius: 4px;
  font-size: 12px;
  pointer-events: none;
  overflow-wrap: anywhere;
}
.fg-tooltip-category {
  color: #cbd5e1;
}
`;
