import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../render-markdown.ts";
import { buildFixture } from "./fixture.ts";

const fixture = buildFixture();
const md = renderMarkdown(fixture);

/** The Markdown table row whose first cell starts with the given text. */
function row(text: string, after = 0): string {
  const line = md
    .slice(after)
    .split("\n")
    .find((l) => l.startsWith(`| ${text}`));
  if (!line) throw new Error(`no row starting with "${text}"`);
  return line;
}

describe("report.md", () => {
  it("has the title with run id, profile and date", () => {
    expect(md.split("\n")[0]).toBe("# Capacity report — 20261124T073012Z-default");
    expect(md).toContain("Profile **default**");
    expect(md).toContain("started 2026-11-24 07:30:12 UTC");
    expect(md).toContain("took 1 h 11 min");
  });

  it("has every section, in order", () => {
    const sections = [
      "## Environment",
      "## Capacity per layer",
      "## Physical limits",
      "## Bottleneck",
      "## Behaviour under load",
      "## Recommendations",
      "## Validity checks",
    ];
    const positions = sections.map((s) => md.indexOf(`\n${s}\n`));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it("shows the environment: host, versions and config", () => {
    expect(row("CPU ")).toContain("AMD EPYC 7B13 64-Core Processor");
    expect(row("Memory")).toContain("31.3 GiB");
    expect(row("Kernel")).toContain("6.1.0-27-amd64");
    expect(row("node ")).toContain("26.10.0");
    expect(row("PG_POOL_MAX")).toContain("| 10 |");
    expect(row("ACCESS_LOG_ENABLED")).toContain("| false |");
  });

  it("shows each layer's capacity, limit, latency at capacity and ratio to its physical limit", () => {
    const framework = row("Framework (Express hello)");
    expect(framework).toContain("| 14,000 |");
    expect(framework).toContain("dropped iterations");
    expect(framework).toContain("| 21.6 |"); // p99 at capacity
    expect(framework).toContain("×0.45 of node-http-hello");
    const send = row("Full send flow");
    expect(send).toContain("| 1,200 | p99 latency SLO |");
    expect(send).toContain("×0.12 of pgbench-insert");
    expect(row("PostgreSQL INSERT")).toContain("| 3,000 |");
    expect(row("CPU (code generation)")).toContain("≥ 10,000");
  });

  it("says a generator-limited layer was not measured instead of giving a capacity", () => {
    const concurrency = row("Concurrency (100 ms timer)");
    expect(concurrency).toContain("not measured: the load generator was the limit");
    expect(concurrency).toContain("| load generator |");
    expect(concurrency).not.toMatch(/\| 2,000 \|/);
  });

  it("shows a dash and the reason for a layer without capacity", () => {
    expect(row("Full verify flow")).toContain("| — | no plateau met the SLO |");
  });

  it("puts a validity summary under the capacity table, and the failing check in the validity table", () => {
    const capacity = md.slice(md.indexOf("## Capacity per layer"), md.indexOf("## Physical limits"));
    expect(capacity).toContain("Validity: ✗ 5 of 6 checks passed; failing: generator-headroom");
    const validity = md.slice(md.indexOf("## Validity checks"));
    expect(validity).toMatch(/\| ✗ \| generator-headroom \| the load generator used 7\.14 of 8 cores/);
    expect(validity).toContain("| ✓ | plateau-duration |");
    expect(md).toContain("> **✗ 1 of 6 validity checks failed** (generator-headroom)");
  });

  it("lists the physical limits", () => {
    expect(row("pgbench-select")).toContain("| pgbench | 38,520 | — |");
    expect(row("redis-set")).toContain("| redis-benchmark | 142,300 | 0.56 |");
  });

  it("sets the send flow against its layers in the bottleneck section", () => {
    const section = md.slice(md.indexOf("## Bottleneck"), md.indexOf("## Behaviour under load"));
    expect(section).toContain("**Bounded by:** PostgreSQL INSERT (postgres-insert)");
    expect(section).toContain("**Headroom:** ×1.20");
    expect(section).toContain("| PostgreSQL INSERT | 3,000 | ×0.40 | ◀ bounds the flow |");
    expect(section).toContain("Full send flow (POST /v1/otp/send): 1,200 req/s, against a target of 1,000 req/s");
  });

  it("shows every plateau with its server signals and marks the knee and the capacity", () => {
    const at = md.indexOf("### Full send flow");
    expect(at).toBeGreaterThan(0);
    expect(row("p06 ◆ knee ● capacity", at)).toMatch(
      /^\| p06 ◆ knee ● capacity \| 1,200 \| 1,199 \| 14\.4 \| 45\.4 \| 96\.0 \| 0% \| 0 \| 0\.30 \| 28\.6 \| 6 \|/,
    );
    expect(row("p09", at)).toContain("| 9,675 |");
    expect(row("p09", at)).toMatch(/\| ✗ \|$/);
    const send = fixture.layers.find((l) => l.layer === "full-send");
    expect(md.slice(at)).toContain(`p07 (1,400 req/s): ${send?.plateaus[6]?.failedBecause.join("; ")}`);
    // The generator-limited layer flags its saturated plateaus.
    const concurrency = md.indexOf("### Concurrency");
    expect(row("p04", concurrency)).toContain("| 7.14 ⚠ |");
  });

  it("orders recommendations by severity, with evidence and expected gain", () => {
    const section = md.slice(md.indexOf("## Recommendations"), md.indexOf("## Validity checks"));
    const order = [...section.matchAll(/\*\*\[(HIGH|MEDIUM|LOW)\] /g)].map((m) => m[1]);
    expect(order).toEqual(["HIGH", "HIGH", "MEDIUM", "LOW"]);
    expect(section).toContain("1. **[HIGH] Raise PG_POOL_MAX from 10 to 20 for the send flow** (`pg-pool-size`)");
    expect(section).toContain("   - Expected gain: send-flow capacity ×1.3 (from 1,200 to ~1,550 req/s)");
  });

  it("keeps table rows intact when text holds pipes or markup", () => {
    const results = buildFixture();
    const layer = results.layers[1];
    if (!layer) throw new Error("fixture has no layer 1");
    layer.name = "A | B <script>";
    const out = renderMarkdown(results);
    expect(out).toContain("| A \\| B &lt;script> |");
  });
});
