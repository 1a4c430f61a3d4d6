// Opens a page with two flame graphs (one from a real CPU profile of an Express app, captured through
// the inspector as the runner captures the service's, one from a tiny hand-made tree) in headless
// Chromium (Debian's, driven by playwright-core) under the report's Content-Security-Policy, and uses
// them: frames drawn, zoom in and out, search, tooltip; no console error, page error or network request.
// Leaves a screenshot in /tmp/flamegraph-screenshot.png for a human to look at.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type FlameNode, flameTree } from "../../runner/cpu-profile.ts";
import { FLAMEGRAPH_CSS, FLAMEGRAPH_RUNTIME, renderFlameGraph } from "../flamegraph.ts";
import { render, scriptSource } from "../html.ts";
import { captureExpressProfile } from "./captured-profile.ts";
import { requireChromium, withPage } from "./chromium-page.ts";

const SCREENSHOT = "/tmp/flamegraph-screenshot.png";
const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

interface FrameBox {
  index: number;
  name: string;
  width: number;
  left: number;
  top: number;
}

/** A real flame tree: 1.5 s of an Express app answering JSON posts, profiled from outside. */
async function capturedTree(): Promise<FlameNode> {
  return flameTree(await captureExpressProfile());
}

const SMALL_TREE: FlameNode = {
  n: "all",
  c: "all",
  v: 10,
  s: 0,
  k: [
    { n: "handler (app/dist/http/routes.js:10)", c: "app", v: 6, s: 2, k: [{ n: "Hash", c: "crypto", v: 4, s: 4 }] },
    { n: "(garbage collector)", c: "gc", v: 3, s: 3 },
    { n: 'name with <b>markup</b> & "quotes" </script>', c: "other", v: 1, s: 1 },
  ],
};

// Runs in the page: every drawn frame of one flame graph, with its box relative to the frames area.
const framesOf = (id: string) => `(() => {
  const area = document.querySelector("#${id} .fg-frames").getBoundingClientRect();
  return [...document.querySelectorAll("#${id} .fg-frame")].map((el) => {
    const box = el.getBoundingClientRect();
    return { index: Number(el.dataset.index), name: el.textContent, width: box.width, left: box.left - area.left, top: box.top - area.top };
  });
})()`;
const areaWidth = (id: string) => `document.querySelector("#${id} .fg-frames").getBoundingClientRect().width`;

const scratch = mkdtempSync(join(tmpdir(), "flamegraph-chromium-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("flame graph in headless Chromium", () => {
  it("draws, zooms, searches and explains frames, with no error and no network", async (context) => {
    requireChromium(context);
    const tree = await capturedTree();
    const htmlPath = join(scratch, "flamegraph.html");
    writeFileSync(
      htmlPath,
      `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>flame graph</title>
<link rel="icon" href="data:,">
<style>${FLAMEGRAPH_CSS}</style>
</head>
<body>
${render([renderFlameGraph("flame-real", tree, "Express app: CPU by call stack"), renderFlameGraph("flame-small", SMALL_TREE, "Hand-made tree")])}
<script>
${scriptSource(FLAMEGRAPH_RUNTIME)}
</script>
</body>
</html>
`,
    );

    await withPage(htmlPath, scratch, async (page, problems) => {
      await page.waitForFunction("window.__flamegraphsRendered !== undefined", undefined, { timeout: 15_000 });
      expect(await page.evaluate<number>("window.__flamegraphsRendered")).toBe(2);

      // Drawn: the root spans the whole width on top, and many frames below it.
      const width = await page.evaluate<number>(areaWidth("flame-real"));
      expect(width).toBeGreaterThan(1000);
      const before = await page.evaluate<FrameBox[]>(framesOf("flame-real"));
      expect(before.length).toBeGreaterThan(20);
      expect(before[0]).toMatchObject({ index: 0, name: "all", top: 0 });
      expect(before[0]?.width).toBeCloseTo(width, 0);
      // The hand-made tree's names are text, not markup.
      const small = await page.evaluate<FrameBox[]>(framesOf("flame-small"));
      expect(small.map((f) => f.name)).toContain('name with <b>markup</b> & "quotes" </script>');
      expect(await page.evaluate<number>(`document.querySelectorAll("#flame-small b").length`)).toBe(0);

      // Zoom: a frame a few levels down that is narrower than half the width spans it all once clicked.
      const target = before.find((f) => f.top >= 3 * 18 && f.width > 20 && f.width < width / 2);
      expect(target, "a frame to zoom into").toBeDefined();
      const selector = `#flame-real .fg-frame[data-index="${target?.index}"]`;
      await page.click(selector);
      const zoomed = await page.evaluate<FrameBox[]>(framesOf("flame-real"));
      const zoomedTarget = zoomed.find((f) => f.index === target?.index);
      expect(zoomedTarget?.width).toBeCloseTo(width, 0);
      expect(zoomedTarget?.left).toBeCloseTo(0, 0);
      expect(zoomed.length).toBeLessThan(before.length);
      expect(await page.evaluate<boolean>(`document.querySelector("#flame-real").classList.contains("fg-zoomed")`)).toBe(true);

      // Tooltip: hovering the zoomed frame names it, with its category and times.
      await page.hover(selector);
      const tooltip = await page.evaluate<{ hidden: boolean; text: string }>(
        `(() => { const t = document.querySelector("#flame-real .fg-tooltip"); return { hidden: t.hidden, text: t.textContent }; })()`,
      );
      expect(tooltip.hidden).toBe(false);
      expect(tooltip.text).toContain(target?.name);
      expect(tooltip.text).toMatch(/total [\d.,]+ ms \([\d.]+% of all\)/);
      expect(tooltip.text).toMatch(/self [\d.,]+ ms/);

      // Zoom out by clicking the root, drawn above as an ancestor.
      await page.click(`#flame-real .fg-frame[data-index="0"]`);
      const after = await page.evaluate<FrameBox[]>(framesOf("flame-real"));
      expect(after.length).toBe(before.length);
      expect(after.find((f) => f.index === target?.index)?.width).toBeCloseTo(target?.width ?? 0, 0);

      // Search: frames whose name contains the text are highlighted, the others are not.
      await page.fill("#flame-real .fg-search", "router/");
      const marked = await page.evaluate<{ name: string; match: boolean }[]>(
        `[...document.querySelectorAll("#flame-real .fg-frame")].map((el) => ({ name: el.textContent, match: el.classList.contains("fg-match") }))`,
      );
      const matches = marked.filter((f) => f.match);
      expect(matches.length).toBeGreaterThan(0);
      for (const f of marked) expect(f.match, f.name).toBe(f.name.toLowerCase().includes("router/"));
      expect(await page.evaluate<string>(`document.querySelector("#flame-real .fg-status").textContent`)).toMatch(
        /^\d+ matching frames?: [\d.,]+ ms, [\d.]+% of all$/,
      );

      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(problems).toEqual([]);
    });
  });
});
