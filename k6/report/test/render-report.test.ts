// The CLI as `make report` calls it: a child process, exit codes and messages.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { buildFixture } from "./fixture.ts";

const CLI = fileURLToPath(new URL("../render-report.ts", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "render-report-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: process.env, timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function runDir(name: string, results?: unknown | string): string {
  const dir = join(scratch, name);
  spawnSync("mkdir", ["-p", dir]);
  if (results !== undefined)
    writeFileSync(join(dir, "results.json"), typeof results === "string" ? results : JSON.stringify(results, null, 2));
  return dir;
}

describe("render-report.ts", () => {
  it("writes report.md and report.html beside results.json", () => {
    const dir = runDir("ok", buildFixture());
    const { code, stdout, stderr } = run(dir);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain("report written");
    expect(readFileSync(join(dir, "report.md"), "utf8")).toContain("# Capacity report — 20261124T073012Z-default");
    expect(readFileSync(join(dir, "report.html"), "utf8")).toContain("<!doctype html>");
  });

  it("exits 1 naming the file when results.json is missing", () => {
    const dir = runDir("missing");
    const { code, stderr } = run(dir);
    expect(code).toBe(1);
    expect(stderr).toContain(`${join(dir, "results.json")} not found`);
    expect(existsSync(join(dir, "report.md"))).toBe(false);
  });

  it("exits 1 when results.json is not JSON", () => {
    const { code, stderr } = run(runDir("garbage", "{ not json"));
    expect(code).toBe(1);
    expect(stderr).toMatch(/is not valid JSON/);
  });

  it("exits 1 listing the JSON paths when results.json breaks the schema", () => {
    const results = buildFixture() as unknown as { layers: { capacity_rps: unknown }[]; profile: string };
    results.profile = "huge";
    if (results.layers[1]) results.layers[1].capacity_rps = "fast";
    const dir = runDir("invalid", results);
    const { code, stderr } = run(dir);
    expect(code).toBe(1);
    expect(stderr).toContain("does not match k6/report/results.schema.json (2 error(s))");
    expect(stderr).toContain("$.profile: expected one of");
    expect(stderr).toContain("$.layers[1].capacity_rps: expected number or null, got string");
    expect(existsSync(join(dir, "report.html"))).toBe(false);
  });

  it("exits 2 with a usage line when called without a run folder", () => {
    const { code, stderr } = run();
    expect(code).toBe(2);
    expect(stderr).toContain("usage: node k6/report/render-report.ts");
  });
});
