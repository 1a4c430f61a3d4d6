import { describe, expect, it } from "vitest";
import type { FlameNode } from "../../runner/cpu-profile.ts";
import { buildChartSpecs } from "../charts.ts";
import { chartJsUmdSource } from "../deps.ts";
import { escapeHtml, jsonForScript } from "../html.ts";
import { renderHtml } from "../render-html.ts";
import { buildFixture } from "./fixture.ts";

const chartJs = chartJsUmdSource();
const fixture = buildFixture();
const html = renderHtml(fixture, { chartJs });

function jsonScript(id: string): unknown {
  const match = new RegExp(`<script type="application/json" id="${id}">([^<]*)</script>`).exec(html);
  if (!match?.[1]) throw new Error(`no JSON script ${id}`);
  return JSON.parse(match[1]);
}

describe("report.html", () => {
  it("is self-contained: no external resource, the Chart.js bundle inline, a CSP that forbids the network", () => {
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<link[^>]+rel="stylesheet"/);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).toContain("Chart.js v4");
    expect(html).toContain(chartJs.slice(2000, 2400));
    expect(html).not.toContain("sourceMappingURL");
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
    expect(html).toMatch(/<style>[\s\S]*\.table-wrap[\s\S]*<\/style>/);
  });

  it("embeds the results and the chart specs as JSON", () => {
    expect(jsonScript("bench-results")).toEqual(fixture);
    const specs = jsonScript("chart-specs") as { id: string }[];
    expect(specs.map((s) => s.id)).toEqual(buildChartSpecs(fixture).map((s) => s.id));
  });

  it("has one canvas per chart spec, each with a unique id", () => {
    const specs = buildChartSpecs(fixture);
    const canvases = [...html.matchAll(/<canvas id="([^"]+)"/g)].map((m) => m[1]);
    expect(canvases).toEqual(specs.map((s) => s.id));
    expect(new Set(canvases).size).toBe(canvases.length);
    // The capacity chart, the two cost-model charts, then latency, throughput and saturation for each of the 9 layers.
    expect(canvases).toHaveLength(1 + 2 + 3 * 9);
    expect(html).toContain("window.__chartsRendered = rendered");
  });

  it("has the same sections and figures as the markdown", () => {
    for (const title of [
      "Environment",
      "Capacity per layer",
      "Cost targets",
      "Physical limits",
      "Bottleneck",
      "Cost model",
      "CPU profiles",
      "Comparison",
      "Behaviour under load",
      "Recommendations",
      "Validity checks",
    ]) {
      expect(html).toContain(`<h2>${title}</h2>`);
    }
    expect(html).toContain("not measured: the load generator was the limit");
    expect(html).toContain(">14,000<");
    expect(html).toContain("×0.45 of node-http-hello");
    expect(html).toContain("Validity: ✗ 5 of 6 checks passed; failing: generator-headroom");
    expect(html).toContain("◆ knee");
  });

  it("escapes every text it inserts", () => {
    const results = buildFixture();
    const layer = results.layers[0];
    const check = results.validity[0];
    if (!layer || !check) throw new Error("fixture is missing data");
    results.run_id = `run"><img src=x onerror=alert(1)>`;
    layer.name = "<b>bold</b> & co";
    layer.endpoint = "</script><script>alert(1)</script>";
    check.detail = "it's <i>fine</i>";
    const out = renderHtml(results, { chartJs: "/* chart.js */" });
    expect(out).not.toContain("<img src=x");
    expect(out).not.toContain("<b>bold</b>");
    expect(out).not.toContain("<i>fine</i>");
    expect(out).toContain(escapeHtml("<b>bold</b> & co"));
    expect(out).toContain("it&#39;s &lt;i&gt;fine&lt;/i&gt;");
    // Only the five script elements of the template: nothing in the data opened or closed one.
    expect(out.match(/<script/g)).toHaveLength(5);
    expect(out.match(/<\/script>/g)).toHaveLength(5);
  });

  it("shows the cost model, the bottleneck's resources, the targets and each profile with its flame graph", () => {
    const tree: FlameNode = { n: "all", c: "all", v: 10, s: 0, k: [{ n: "handle (app/dist/x.js:1)", c: "app", v: 10, s: 10 }] };
    const out = renderHtml(fixture, { chartJs, flameTrees: { "11-send-flow": tree } });
    expect(out).toContain("service event loop: 0.690 ms of CPU per request → at most ~1,449 req/s");
    expect(out).toMatch(/<tr class="bounds"><td>service event loop<\/td><td class="num">0\.690<\/td>/);
    expect(out).toContain("Residual — not isolated by any layer");
    expect(out).toContain("<td>Express /hello CPU per request vs bare node:http</td>");
    expect(out).toContain('<a href="profiles/11-send-flow.cpuprofile">profiles/11-send-flow.cpuprofile</a>');
    // The flame tree travels as JSON beside its container; without a tree the report says why.
    expect(out).toContain('id="flame-11-send-flow"');
    expect(out).toContain(jsonForScript(tree));
    expect(html).toContain("No flame graph: profiles/11-send-flow.cpuprofile was not found beside results.json.");
    expect(html).toContain("No comparison in this run: make bench-worker-split and make bench-telemetry run one each.");
  });

  it("JSON for a script element cannot close it", () => {
    const text = jsonForScript({ a: "</script><!-- \u2028" });
    expect(text).not.toMatch(/[<>\u2028]/);
    expect(JSON.parse(text)).toEqual({ a: "</script><!-- \u2028" });
  });
});
