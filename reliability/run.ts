#!/usr/bin/env node
// The reliability scenarios' entry point:
//   node reliability/run.ts [scenario…] [--fast] [--out DIR] [--keep]
// Runs the named scenarios (all by default) one after another, each in its own scratch directory with
// its own PostgreSQL, Redis, mock SMS provider and service processes, writes each report to
// <out>/<scenario>.json (default reports/reliability) and prints its table. Exits 1 when any failed.
// Ctrl-C stops whatever the running scenario started before exiting.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { APP_MAIN } from "@otp-lab/local-stack/app-cli";
import { Cleanup } from "./lib/cleanup.ts";
import { DEFAULT_REPORT_DIR } from "./lib/paths.ts";
import { formatReport, formatSummary, writeReport } from "./lib/report.ts";
import type { Mode, Scenario, ScenarioReport } from "./lib/scenario.ts";
import { SCENARIOS } from "./scenarios/index.ts";

const USAGE = `usage: node reliability/run.ts [scenario…] [--fast] [--out DIR] [--keep]
  scenarios: ${SCENARIOS.map((scenario) => scenario.name).join(", ")} (default: all)
  --fast     the small version of each (seconds), as the tests run them
  --out DIR  where the <scenario>.json reports go (default reports/reliability)
  --keep     keep each scenario's scratch directory (logs, configs, k6 samples)`;

let current: { cleanup: Cleanup; workDir: string; keep: boolean } | undefined;
let interrupted = false;

function onSignal(signal: NodeJS.Signals): void {
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write(`\n${signal}: stopping what the running scenario started…\n`);
  const running = current;
  (running?.cleanup.runAll() ?? Promise.resolve()).finally(() => {
    if (running && !running.keep) rmSync(running.workDir, { recursive: true, force: true });
    process.exit(130);
  });
}

export async function runScenario(scenario: Scenario, mode: Mode, keep: boolean): Promise<ScenarioReport> {
  const workDir = mkdtempSync(join(tmpdir(), `otp-reliability-${scenario.name}-`));
  const cleanup = new Cleanup();
  current = { cleanup, workDir, keep };
  const startedAt = new Date();
  const log = (message: string) => process.stdout.write(`[${scenario.name}] ${message}\n`);
  log(`${mode} run: ${scenario.summary}`);
  let report: ScenarioReport;
  try {
    const outcome = await scenario.run({ mode, workDir, cleanup, size: (fast, full) => (mode === "fast" ? fast : full), log });
    report = {
      scenario: scenario.name,
      mode,
      passed: outcome.checks.length > 0 && outcome.checks.every((check) => check.passed),
      figures: outcome.figures,
      checks: outcome.checks,
      notes: outcome.notes,
      startedAt: startedAt.toISOString(),
      durationS: 0,
    };
  } catch (error) {
    log(`error: ${(error as Error).stack ?? String(error)}`);
    report = {
      scenario: scenario.name,
      mode,
      passed: false,
      figures: {},
      checks: [],
      notes: [],
      startedAt: startedAt.toISOString(),
      durationS: 0,
      error: (error as Error).message,
    };
  } finally {
    await cleanup.runAll();
    current = undefined;
  }
  report.durationS = Math.round((Date.now() - startedAt.getTime()) / 100) / 10;
  if (keep) log(`scratch directory kept: ${workDir}`);
  else rmSync(workDir, { recursive: true, force: true });
  return report;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      fast: { type: "boolean", default: false },
      out: { type: "string", default: DEFAULT_REPORT_DIR },
      keep: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const unknown = positionals.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown scenario(s): ${unknown.join(", ")}\n${USAGE}\n`);
    return 2;
  }
  if (!existsSync(APP_MAIN)) {
    process.stderr.write(`${APP_MAIN} is missing: run \`make build\` first\n`);
    return 2;
  }
  const selected = positionals.length === 0 ? SCENARIOS : SCENARIOS.filter((scenario) => positionals.includes(scenario.name));
  const mode: Mode = values.fast ? "fast" : "full";
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  const reports: ScenarioReport[] = [];
  for (const scenario of selected) {
    if (interrupted) break;
    const report = await runScenario(scenario, mode, values.keep);
    const path = writeReport(values.out, report);
    process.stdout.write(`\n${formatReport(report)}\n→ ${path}\n\n`);
    reports.push(report);
  }
  if (reports.length > 1) process.stdout.write(`reliability (${mode}):\n${formatSummary(reports)}\n`);
  return reports.every((report) => report.passed) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`fatal: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
