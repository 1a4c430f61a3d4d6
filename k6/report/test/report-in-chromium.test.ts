// Renders a run folder (results.json and a real .cpuprofile) with render-report, as `make bench` does,
// opens report.html in headless Chromium (Debian's, driven by playwright-core) and checks that every
// chart and the flame graph rendered, with no console error, page error or network request. Leaves a
// full-page screenshot in /tmp/report-screenshot.png for a human to look at.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { buildChartSpecs } from "../charts.ts";
import { loadPackage } from "../deps.ts";
import { renderReport } from "../render-report.ts";
import { captureExpressProfile } from "./captured-profile.ts";
import { buildFixture, SEND_PROFILE } from "./fixture.ts";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOT = "/tmp/report-screenshot.png";
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

interface CanvasReport {
  id: string;
  width: number;
  height: number;
  inkedPixels: number;
  dataUrlLength: number;
}

// Runs in the page: size and drawn pixels of every canvas.
const INSPECT_CANVASES = `[...document.querySelectorAll("canvas")].map((canvas) => {
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  let inked = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) inked += 1;
  return { id: canvas.id, width: canvas.width, height: canvas.height, inkedPixels: inked, dataUrlLength: canvas.toDataURL().length };
})`;

const hasChromium = existsSync(CHROMIUM);
const skipReason = `${CHROMIUM} is missing (apt-get install -y chromium); CI is not set, so the browser test is skipped. With CI set it fails instead.`;
const scratch = mkdtempSync(join(tmpdir(), "report-chromium-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("report.html in headless Chromium", () => {
  it("renders every chart with no console error, page error or network request", async (context) => {
    if (!hasChromium) {
      if (!process.env.CI) context.skip(skipReason);
      throw new Error(`${CHROMIUM} is missing and CI is set: the browser test cannot run (install Debian's chromium package)`);
    }
    const { chromium } = loadPackage<PlaywrightCore>("playwright-core");
    const fixture = buildFixture();
    const expectedCharts = buildChartSpecs(fixture).length;
    const runDir = join(scratch, "run");
    mkdirSync(join(runDir, "profiles"), { recursive: true });
    writeFileSync(join(runDir, "results.json"), JSON.stringify(fixture));
    writeFileSync(join(runDir, SEND_PROFILE.file), JSON.stringify(await captureExpressProfile()));
    const htmlPath = renderReport(runDir).html;

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
      await page.waitForFunction("window.__chartsRendered !== undefined", undefined, { timeout: 15_000 });
      await page.waitForFunction("window.__flamegraphsRendered !== undefined", undefined, { timeout: 15_000 });
      const rendered = await page.evaluate<number>("window.__chartsRendered");
      const flameFrames = await page.evaluate<number>(`document.querySelectorAll("#profile-11-send-flow .flamegraph [data-index]").length`);
      const canvases = await page.evaluate<CanvasReport[]>(INSPECT_CANVASES);
      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      expect(problems).toEqual([]);
      expect(canvases).toHaveLength(expectedCharts);
      expect(rendered).toBe(canvases.length);
      // The send flow's profile, read from its .cpuprofile beside results.json, drawn as a flame graph.
      expect(await page.evaluate<number>("window.__flamegraphsRendered")).toBe(1);
      expect(flameFrames).toBeGreaterThan(20);
      for (const canvas of canvases) {
        expect(canvas.width, canvas.id).toBeGreaterThan(100);
        expect(canvas.height, canvas.id).toBeGreaterThan(100);
        // Axes, labels and data: a blank canvas has no inked pixel and a tiny data URL.
        expect(canvas.inkedPixels, canvas.id).toBeGreaterThan(2000);
        expect(canvas.dataUrlLength, canvas.id).toBeGreaterThan(5000);
      }
    } finally {
      await browser.close();
    }
  });
});
