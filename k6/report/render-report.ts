// The report's command line: `node k6/report/render-report.ts reports/<run-id>` reads results.json
// from the run's folder, validates it against results.schema.json and writes report.md and
// report.html beside it. Exits 1 with a message naming the problem when results.json is missing or
// invalid, 2 on a usage error.
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { type CpuProfile, flameTree } from "../runner/cpu-profile.ts";
import { chartJsUmdSource } from "./deps.ts";
import type { FlameNode } from "./flamegraph.ts";
import { renderHtml } from "./render-html.ts";
import { renderMarkdown } from "./render-markdown.ts";
import { formatValidationErrors, validateResults } from "./validate-results.ts";

export class ReportError extends Error {}

export interface ReportFiles {
  results: string;
  markdown: string;
  html: string;
}

/** Accepts the run's folder or its results.json. */
export function resultsPathFor(target: string): string {
  if (basename(target) === "results.json" || (existsSync(target) && statSync(target).isFile())) return target;
  return join(target, "results.json");
}

export function renderReport(target: string): ReportFiles {
  const resultsPath = resultsPathFor(target);
  if (!existsSync(resultsPath)) {
    throw new ReportError(`${resultsPath} not found: run the benchmark first (make bench), or pass the folder of a finished run`);
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(resultsPath, "utf8"));
  } catch (error) {
    throw new ReportError(`${resultsPath} is not valid JSON: ${(error as Error).message}`);
  }
  const outcome = validateResults(data);
  if (!outcome.ok) {
    throw new ReportError(
      `${resultsPath} does not match k6/report/results.schema.json (${outcome.errors.length} error(s)):\n${formatValidationErrors(outcome.errors)}`,
    );
  }
  const dir = dirname(resultsPath);
  const files = { results: resultsPath, markdown: join(dir, "report.md"), html: join(dir, "report.html") };
  writeFileSync(files.markdown, renderMarkdown(outcome.results));
  writeFileSync(files.html, renderHtml(outcome.results, { chartJs: chartJsUmdSource(), flameTrees: flameTreesOf(outcome.results, dir) }));
  return files;
}

/** The flame graph of each profile the run kept; a missing or unreadable file only loses its graph. */
function flameTreesOf(results: { profiles: { script: string; file: string }[] }, dir: string): Record<string, FlameNode> {
  const trees: Record<string, FlameNode> = {};
  for (const profile of results.profiles) {
    const path = join(dir, profile.file);
    if (!existsSync(path)) continue;
    try {
      trees[profile.script] = flameTree(JSON.parse(readFileSync(path, "utf8")) as CpuProfile);
    } catch (error) {
      process.stderr.write(`render-report: no flame graph for ${profile.file}: ${(error as Error).message}\n`);
    }
  }
  return trees;
}

function main(args: string[]): number {
  const target = args[0];
  if (args.length !== 1 || target === undefined || target.startsWith("-")) {
    console.error("usage: node k6/report/render-report.ts <reports/RUN_ID | path/to/results.json>");
    return 2;
  }
  try {
    const files = renderReport(target);
    process.stdout.write(`report written: ${files.markdown}, ${files.html}\n`);
    return 0;
  } catch (error) {
    console.error(`render-report: ${error instanceof ReportError ? error.message : (error as Error).stack}`);
    return 1;
  }
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
