// Every scenario in its fast size, through the real entry point (node reliability/run.ts <name> --fast),
// one after another: each must exit 0 and write a report that says passed, with its checks and figures.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RELIABILITY_DIR } from "../lib/paths.ts";
import type { ScenarioReport } from "../lib/scenario.ts";
import { SCENARIOS } from "../scenarios/index.ts";

const outDir = mkdtempSync(join(tmpdir(), "otp-reliability-test-"));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

function runFast(name: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(RELIABILITY_DIR, "run.ts"), name, "--fast", "--out", outDir], {
      env: process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("close", (code) => resolve({ code, output }));
  });
}

describe("reliability scenarios (fast)", () => {
  for (const scenario of SCENARIOS) {
    it(scenario.name, async () => {
      const { code, output } = await runFast(scenario.name);
      const report = JSON.parse(readFileSync(join(outDir, `${scenario.name}.json`), "utf8")) as ScenarioReport;
      // On failure the assertion message carries the scenario's table and log.
      expect({ passed: report.passed, exitCode: code, error: report.error }, output).toEqual({
        passed: true,
        exitCode: 0,
        error: undefined,
      });
      expect(report).toMatchObject({ scenario: scenario.name, mode: "fast" });
      expect(report.checks.length).toBeGreaterThan(0);
      expect(Object.keys(report.figures).length).toBeGreaterThan(0);
    });
  }
});
