// `make bench` end to end in its smoke size, on three scripts: the real stack, k6, the sampler, a CPU
// profile taken through the service's inspector, the cost model, and the report rendered from it.
// What it proves is the plumbing (every figure present, consistent and rendered), not the figures.
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { validateResults } from "../../report/validate-results.ts";
import type { BenchResults } from "../results.ts";

const run = promisify(execFile);
const REPO = join(import.meta.dirname, "..", "..", "..");
const reportsDir = mkdtempSync(join(tmpdir(), "otp-lab-bench-smoke-"));
// PostgreSQL runs as its own user (when the tests run as root) and must reach its data folder inside.
chmodSync(reportsDir, 0o755);
afterAll(() => rmSync(reportsDir, { recursive: true, force: true }));

describe("make bench (smoke profile, three scripts)", () => {
  it("writes a valid results.json with the cost model, a CPU profile and a report with its flame graph", async () => {
    const k6Bin = process.env.K6_BIN;
    if (!k6Bin) throw new Error("K6_BIN is not set: run through `make test-bench` (it builds k6 first)");
    const { stderr } = await run(process.execPath, [join(REPO, "k6", "runner", "bench.ts")], {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/tmp",
        K6_BIN: k6Bin,
        BENCH_PROFILE: "smoke",
        BENCH_ONLY: "01-bare-node-hello,02-express-hello,11-send-flow",
        BENCH_PROFILES: "11-send-flow",
        BENCH_REPORTS_DIR: reportsDir,
      },
      timeout: 240_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const [runId] = readdirSync(reportsDir);
    if (!runId) throw new Error(`no run folder; bench said:\n${stderr}`);
    const dir = join(reportsDir, runId);
    const outcome = validateResults(JSON.parse(readFileSync(join(dir, "results.json"), "utf8")));
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.errors));
    const results: BenchResults = outcome.results;

    expect(results.layers.map((l) => l.script)).toEqual(["01-bare-node-hello", "02-express-hello", "11-send-flow"]);
    // Every process of the stack was measured on every layer (a smoke plateau is too short for a CPU
    // clock tick of 10 ms to show everywhere, so only the service's cost of /hello and the send is > 0).
    for (const cost of results.cost_model.layers) {
      for (const process of ["service", "postgres", "redis"] as const)
        expect(cost.ms_per_request[process], `${cost.script} ${process}`).toBeTypeOf("number");
    }
    const serviceMs = (layer: string) => results.cost_model.layers.find((c) => c.layer === layer)?.ms_per_request.service;
    expect(serviceMs("framework")).toBeGreaterThan(0);
    expect(serviceMs("full-send")).toBeGreaterThan(0);
    expect(results.cost_model.layers.find((c) => c.layer === "full-send")?.ms_per_request.mockSms).toBeTypeOf("number");
    expect(results.cost_model.idle_cores.service).not.toBeNull();
    expect(results.cost_model.flows.map((f) => f.flow)).toEqual(["full-send"]);
    expect(results.bottleneck.resources.length).toBeGreaterThan(2);
    // Memory is PSS per process tree, and the service's heap is broken down.
    const plateau = results.layers[2]?.plateaus[0];
    expect(plateau?.server.pssMiB.service).toBeGreaterThan(10);
    expect(plateau?.server.pssMiB.postgres).toBeGreaterThan(1);
    expect(plateau?.server.serviceHeapMiB.used).toBeGreaterThan(1);

    const [profile] = results.profiles;
    expect(profile?.script).toBe("11-send-flow");
    expect(profile?.samples).toBeGreaterThan(100);
    expect(profile?.categories.map((c) => c.id)).toEqual(expect.arrayContaining(["http-express", "app", "pg", "ioredis"]));
    expect(existsSync(join(dir, profile?.file ?? "missing"))).toBe(true);
    const html = readFileSync(join(dir, "report.html"), "utf8");
    expect(html).toContain('id="flame-11-send-flow"');
    expect(html).toContain("<h2>Cost model</h2>");
    expect(results.targets.find((t) => t.id === "hello-vs-bare")?.measured).toBeGreaterThan(0);
  }, 300_000);
});
