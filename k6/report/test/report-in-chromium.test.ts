// Renders a run folder (results.json and a real .cpuprofile) with render-report, as `make bench` does,
// opens report.html in headless Chromium (Debian's, driven by playwright-core) and checks that every
// chart and the flame graph rendered, with no console error, page error or network request. Leaves a
// full-page screenshot in /tmp/report-screenshot.png for a human to look at.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildChartSpecs } from "../charts.ts";
import { renderReport } from "../render-report.ts";
import { captureExpressProfile } from "./captured-profile.ts";
import { requireChromium, withPage } from "./chromium-page.ts";
import { buildFixture, SEND_PROFILE } from "./fixture.ts";

const SCREENSHOT = "/tmp/report-screenshot.png";

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

const scratch = mkdtempSync(join(tmpdir(), "report-chromium-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("report.html in headless Chromium", () => {
  it("renders every chart with no console error, page error or network request", async (context) => {
    requireChromium(context);
    const fixture = buildFixture();
    const expectedCharts = buildChartSpecs(fixture).length;
    const runDir = join(scratch, "run");
    mkdirSync(join(runDir, "profiles"), { recursive: true });
    writeFileSync(join(runDir, "results.json"), JSON.stringify(fixture));
    writeFileSync(join(runDir, SEND_PROFILE.file), JSON.stringify(await captureExpressProfile()));
    const htmlPath = renderReport(runDir).html;

    await withPage(htmlPath, scratch, async (page, problems) => {
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
    });
  });
});
