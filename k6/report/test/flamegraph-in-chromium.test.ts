// Opens a page with two flame graphs (one from a real CPU profile of an Express app, captured through
// the inspector as the runner captures the service's, one from a tiny hand-made tree) in headless
// Chromium (Debian's, driven by playwright-core) under the report's Content-Security-Policy, and uses
// them: frames drawn, zoom in and out, search, tooltip; no console error, page error or network request.
// Leaves a screenshot in /tmp/flamegraph-screenshot.png for a human to look at.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { type FlameNode, flameTree } from "../../runner/cpu-profile.ts";
import { loadPackage } from "../deps.ts";
import { FLAMEGRAPH_CSS, FLAMEGRAPH_RUNTIME, renderFlameGraph } from "../flamegraph.ts";
import { render, scriptSource } from "../html.ts";
import { captureExpressProfile } from "./captured-profile.ts";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOT = "/tmp/flamegraph-screenshot.png";
const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

// Only what this test uses of playwright-core's API (its types are not needed to run the test).
interface Page {
  on(event: "console", listener: (message: { type(): string; text(): string }) => void): void;
  on(event: "pageerror", listener: (error: Error) => void): void;
  on(event: "request", listener: (request: { url(): string }) => void): void;
  goto(url: string): Promise<unknown>;
  waitForFunction(fn: string, arg?: unknown, options?: { timeout: number }): Promise<unknown>;
  evaluate<T>(fn: string): Promise<T>;
  click(selector: string): Promise<void>;
  hover(selector: string): Promise<void>;
  fill(selector: string, value: string): Promise<void>;
  screenshot(options: { path: string; fullPage: boolean }): Promise<unknown>;
}
interface BrowserContext {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
interface PlaywrightCore {
  chromium: {
    launchPersistentContext(
      userDataDir: string,
      options: { executablePath: string; headless: boolean; args: string[]; viewport: { width: number; height: number } },
    ): Promise<BrowserContext>;
  };
}

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

const hasChromium = existsSync(CHROMIUM);
const skipReason = `${CHROMIUM} is missing (apt-get install -y chromium); CI is not set, so the browser test is skipped. With CI set it fails instead.`;
const scratch = mkdtempSync(join(tmpdir(), "flamegraph-chromium-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("flame graph in headless Chromium", () => {
  it("draws, zooms, searches and explains frames, with no error and no network", async (context) => {
    if (!hasChromium) {
      if (!process.env.CI) context.skip(skipReason);
      throw new Error(`${CHROMIUM} is missing and CI is set: the browser test cannot run (install Debian's chromium package)`);
    }
    const { chromium } = loadPackage<PlaywrightCore>("playwright-core");
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

    const userDataDir = join(scratch, "profile");
    mkdirSync(userDataDir);
    const browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1400, height: 1000 },
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error" || message.type() === "warning") problems.push(`console.${message.type()}: ${message.text()}`);
      });
      page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
      page.on("request", (request) => {
        if (!request.url().startsWith("file:") && !request.url().startsWith("data:")) problems.push(`network request: ${request.url()}`);
      });

      await page.goto(pathToFileURL(htmlPath).href);
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
    } finally {
      await browser.close();
    }
  });
});
