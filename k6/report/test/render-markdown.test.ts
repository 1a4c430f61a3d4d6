import { describe, expect, it } from "vitest";
import { renderMarkdown } from "../render-markdown.ts";
import { buildFixture, buildWorkerSplitFixture } from "./fixture.ts";

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
      "## Cost targets",
      "## Physical limits",
      "## Bottleneck",
      "## Cost model",
      "## CPU profiles",
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
    expect(framework).toContain("| 14,000 | error-rate SLO |"); // 16,000 req/s also dropped: errors rank first
    expect(row("Redis (SET + GET)")).toContain("| 10,000 | dropped iterations |");
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

  it("names the resource whose CPU per request bounds the flow, with the other resources and the symptoms", () => {
    const section = md.slice(md.indexOf("## Bottleneck"), md.indexOf("## Cost model"));
    expect(section).toContain("**Bounded by:** service event loop: 0.690 ms of CPU per request → at most ~1,449 req/s");
    expect(section).toContain("**Measured ÷ predicted:** ×0.83");
    expect(section).toContain("Full send flow (POST /v1/otp/send): 1,200 req/s, against a target of 1,000 req/s");
    expect(row("service event loop", md.indexOf("## Bottleneck"))).toBe("| service event loop | 0.690 | 1 | 1,449 |");
    expect(row("PostgreSQL", md.indexOf("## Bottleneck"))).toBe("| PostgreSQL | 1.64 | 8 | 4,884 |");
    expect(section).toContain("Symptoms, not causes:");
    expect(section).toContain(
      "- Full send flow at 1,200 req/s: up to 6 requests waited for a PostgreSQL connection while the service used 0.84 cores",
    );
  });

  it("shows the cost model: CPU per request per process, predicted against measured, and each flow decomposed", () => {
    const at = md.indexOf("## Cost model");
    expect(row("Full send flow", at)).toBe(
      "| Full send flow | 1,000, 1,200 | 0.690 | — | 1.64 | 0.382 | 0.076 | 0.250 | 1,449 | 1,200 | ×0.83 |",
    );
    expect(row("Full verify flow", at)).toContain("| 250 (no clean plateau: lowest used) |");
    expect(md).toContain("### Full send flow: 0.690 ms of service CPU per request (and outside it: PostgreSQL 1.64 ms, Redis 0.382 ms");
    expect(row("Express + middleware + telemetry floor (/hello)", at)).toBe(
      "| Express + middleware + telemetry floor (/hello) | 0.069 | 10% |",
    );
    expect(row("Residual — not isolated by any layer: the in-process SMS worker", at)).toMatch(/\| 0\.524 \| 76% \|$/);
  });

  it("checks the cost targets, saying which command measures the ones this run does not", () => {
    const at = md.indexOf("## Cost targets");
    expect(md.slice(at)).toContain(
      "| ✗ | Express /hello CPU per request vs bare node:http | ≤ ×2.0 | ×2.09 (0.069 ms at 10000/12000 vs 0.033 ms at 20000/25000 req/s) |",
    );
    expect(md.slice(at)).toContain(
      "| – | Send flow CPU per request in the API process (worker in its own process) | ≤ 0.5 ms | measured by make bench-worker-split |",
    );
    expect(md.slice(at)).toContain(
      "| ✓ | The whole send's CPU per request (API + SMS worker + provider call + send log) | ≤ 0.9 ms | 0.690 ms |",
    );
  });

  it("shows each profile with its file, the time by group (idle left out) and the top functions", () => {
    const section = md.slice(md.indexOf("## CPU profiles"), md.indexOf("## Behaviour under load"));
    expect(section).toContain("### Full send flow at 1,000 req/s — [profiles/11-send-flow.cpuprofile](profiles/11-send-flow.cpuprofile)");
    expect(section).toContain("| OpenTelemetry | 3210.0 | 15% |");
    expect(section).not.toContain("| Idle |");
    expect(section).toContain("| writeOrBuffer | node:internal/streams/writable:546 | node-http-net | 640.2 | 3% |");
  });

  it("adds the comparison only to a comparison run", () => {
    expect(md).not.toContain("## Comparison");
    const results = buildWorkerSplitFixture();
    const out = renderMarkdown(results);
    expect(out).toContain("## Comparison: SMS worker in the API process or in its own");
    expect(out).toContain("| Full send flow | worker as its own process | 1,200 | 0.400 | 0.200 | 0.600 | ×1.15 | 1,449 |");
  });

  it("shows every plateau with its server signals and marks the knee and the capacity", () => {
    const at = md.indexOf("### Full send flow — ");
    expect(at).toBeGreaterThan(0);
    expect(row("p05 ◆ knee", at)).toContain("| 1,000 | 999 |");
    expect(row("p06 ● capacity", at)).toMatch(
      /^\| p06 ● capacity \| 1,200 \| 1,199 \| 14\.4 \| 45\.4 \| 96\.0 \| 0% \| 0 \| 0\.30 \| 28\.6 \| 6 \|/,
    );
    expect(row("p09", at)).toContain("| 9,675 |");
    expect(row("p09", at)).toMatch(/\| ✗ \|$/);
    const send = fixture.layers.find((l) => l.layer === "full-send");
    expect(md.slice(at)).toContain(`p07 (1,400 req/s): ${send?.plateaus[6]?.failedBecause.join("; ")}`);
    // The generator-limited layer flags its saturated plateaus.
    const concurrency = md.indexOf("### Concurrency");
    expect(row("p04", concurrency)).toContain("| 7.14 ⚠ |");
  });

  it("orders recommendations by expected gain, with evidence, the gain and the run that confirms it", () => {
    const section = md.slice(md.indexOf("## Recommendations"), md.indexOf("## Validity checks"));
    const order = [...section.matchAll(/\(`([a-z-]+)`\)/g)].map((m) => m[1]);
    expect(order).toEqual(["batch-send-log", "verify-errors", "pg-pool-size", "log-level"]);
    expect(section).toContain("3. **[HIGH] Raise PG_POOL_MAX from 10 to 20 for the send flow** (`pg-pool-size`)");
    expect(section).toContain("   - Expected gain (×1.30): send-flow capacity ×1.3 (from 1,200 to ~1,550 req/s)");
    expect(section).toContain("   - Confirm with: `PG_POOL_MAX=20 BENCH_ONLY=11-send-flow make bench`");
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
