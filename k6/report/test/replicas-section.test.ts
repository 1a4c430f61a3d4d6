// The "Replicas over time" section: rendered (Markdown and HTML, nav entry included) when results.json has the
// optional `cluster` part a CapacityBenchmark writes, absent otherwise; such a file validates against the schema.
import { describe, expect, it } from "vitest";
import { renderHtml } from "../render-html.ts";
import { renderMarkdown } from "../render-markdown.ts";
import { validateResults } from "../validate-results.ts";
import { buildClusterFixture, buildFixture } from "./fixture.ts";

describe("replicas over time", () => {
  const withCluster = buildClusterFixture();

  it("a results.json with a cluster part validates", () => {
    const outcome = validateResults(JSON.parse(JSON.stringify(withCluster)));
    expect(outcome.ok).toBe(true);
  });

  it("report.md has the section with what the HPA did and the samples", () => {
    const md = renderMarkdown(withCluster);
    expect(md).toContain("## Replicas over time");
    expect(md).toContain("CapacityBenchmark otp/send-autoscaled, 2 k6 runner(s)");
    expect(md).toContain("ready replicas 1–3; time to scale up 45 s; replicas at the knee 3; least-loaded pod at 82% of an even share.");
    expect(md).toMatch(/\| +30 \| +1 \| +3 \| +400 \| +41\.3 \|/);
    expect(md.indexOf("## Replicas over time")).toBeGreaterThan(md.indexOf("## Behaviour under load"));
    expect(md.indexOf("## Replicas over time")).toBeLessThan(md.indexOf("## Recommendations"));
  });

  it("report.html has the section and its nav entry", () => {
    const html = renderHtml(withCluster, { chartJs: "" });
    expect(html).toContain('<section id="replicas">');
    expect(html).toContain('href="#replicas"');
    expect(html).toContain("time to scale up 45 s");
  });

  it("a local run (no cluster part) has neither", () => {
    const local = buildFixture();
    expect(renderMarkdown(local)).not.toContain("Replicas over time");
    const html = renderHtml(local, { chartJs: "" });
    expect(html).not.toContain('id="replicas"');
    expect(html).not.toContain('href="#replicas"');
  });
});
