// Every k6 script, smoke-sized, against the real stack: k6 must exit 0 (no threshold crossed, no check
// failed, no script error) and the summary it writes must have the shape the runner relies on.
// That every script goes through the library is checked by what it does, not by its source text: the
// summary names the script's own id (defineBenchmark's `script`), its warm-up, plateaus and VU cap are the
// plan's (options = bench.options), mainStartedAtMs comes from the library's setup envelope and CLI
// --vus/--duration are refused in that setup (setup = bench.setup), and the summary file exists at all
// (handleSummary = bench.handleSummary). That no script imports k6/http itself is a lint rule
// (biome.json: noRestrictedImports for k6/scripts/**).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { K6Result } from "@otp-lab/local-stack/k6";
import { describe, expect, inject, test } from "vitest";
import type { ScriptSummary } from "../lib/summary-format.ts";
import { listScripts, runSmoke, scriptId, smokeEnv } from "./run-smoke.ts";

const targets = inject("smoke");
const output = (run: K6Result) =>
  `k6 exited ${run.exitCode} after ${run.durationMs} ms\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;

describe.concurrent("k6 scripts, smoke-sized", () => {
  test("the ladder has its scripts", () => {
    expect(listScripts().map(scriptId)).toEqual([
      "01-bare-node-hello",
      "02-express-hello",
      "03-delayed-hello",
      "07-otp-code-capacity",
      "08-redis-capacity",
      "09-tenant-settings-capacity",
      "10-insert-capacity",
      "11-send-flow",
      "12-verify-flow",
    ]);
  });

  for (const file of listScripts()) {
    test(scriptId(file), async () => {
      const summaryPath = join(targets.outputDir, `${scriptId(file)}.summary.json`);
      const before = Date.now();
      const run = await runSmoke(file, smokeEnv(file, targets, summaryPath));
      expect(run.exitCode, output(run)).toBe(0);
      expect(run.stdout, output(run)).toMatch(/^p02 /m);

      const summary = JSON.parse(readFileSync(summaryPath, "utf8")) as ScriptSummary;
      expect(summary.script).toBe(scriptId(file));
      expect(summary.mainStartedAtMs).toBeGreaterThan(before);
      expect(summary.mainStartedAtMs).toBeLessThan(Date.now() - 4_000);
      expect(summary.aborted).toBe(false);
      expect(summary.thresholdsCrossed).toEqual([]);
      expect(summary.warmup).toMatchObject({ rate: 3, durationS: 1 });
      expect(summary.warmup?.requests).toBeGreaterThan(0);
      expect(summary.vusMaxObserved).toBeGreaterThan(0);
      expect(
        summary.plateaus.map(({ name, offeredRps, startOffsetS, durationS }) => ({ name, offeredRps, startOffsetS, durationS })),
      ).toEqual([
        { name: "p01", offeredRps: 5, startOffsetS: 1, durationS: 2 },
        { name: "p02", offeredRps: 10, startOffsetS: 3, durationS: 2 },
      ]);
      for (const plateau of summary.plateaus) {
        // rate × duration, +1 for the iteration k6 starts at the boundary, −1 for timer jitter.
        expect(plateau.requests).toBeGreaterThanOrEqual(plateau.offeredRps * plateau.durationS - 1);
        expect(plateau.requests).toBeLessThanOrEqual(plateau.offeredRps * plateau.durationS + 1);
        expect(plateau.failedRequests).toBe(0);
        expect(plateau.droppedIterations).toBe(0);
        expect(plateau.latencyMs.p99).toBeGreaterThan(0);
        expect(plateau.latencyMs.max).toBeGreaterThanOrEqual(plateau.latencyMs.p99);
        expect(plateau.checksPassRate).toBe(1);
        expect(plateau.vusCap).toBe(200);
      }
    });
  }

  test("K6_VUS in the environment is refused before anything runs", async () => {
    const file = "02-express-hello.ts";
    const run = await runSmoke(file, { ...smokeEnv(file, targets, "/dev/null"), K6_VUS: "5" });
    expect(run.exitCode, output(run)).not.toBe(0);
    expect(run.stderr).toContain("K6_VUS is set");
  });

  for (const file of listScripts()) {
    test(`${scriptId(file)}: --vus/--duration on the command line are refused in the library's setup()`, async () => {
      const run = await runSmoke(file, smokeEnv(file, targets, "/dev/null"), ["--vus", "2", "--duration", "2s"]);
      expect(run.exitCode, output(run)).not.toBe(0);
      expect(run.stderr).toContain("k6 is not running this script's scenarios");
    });
  }
});
