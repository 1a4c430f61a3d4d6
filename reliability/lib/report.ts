// Writes a scenario's report and prints its short table.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ScenarioReport } from "./scenario.ts";

export function writeReport(dir: string, report: ScenarioReport): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${report.scenario}.json`);
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}

/** The checks of one scenario as a plain-text table. */
export function formatReport(report: ScenarioReport): string {
  const rows = report.checks.map((check) => [check.passed ? "ok" : "FAIL", check.name, check.goal, check.measured]);
  if (report.error) rows.push(["FAIL", "scenario ran to the end", "no error", report.error]);
  const header = ["", "check", "goal", "measured"];
  const widths = header.map((title, column) => Math.min(60, Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length))));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => {
        const width = widths[column] as number;
        return cell.length > width ? `${cell.slice(0, width - 1)}…` : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  const title = `${report.scenario} (${report.mode}): ${report.passed ? "PASSED" : "FAILED"} in ${report.durationS} s`;
  return [title, line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}

/** One line per scenario, for the end of a run of several. */
export function formatSummary(reports: ScenarioReport[]): string {
  const width = Math.max(8, ...reports.map((report) => report.scenario.length));
  return reports
    .map((report) => {
      const failed = report.checks.filter((check) => !check.passed).map((check) => check.name);
      const why = report.error ? ` (${report.error})` : failed.length > 0 ? ` (failed: ${failed.join("; ")})` : "";
      return `  ${report.scenario.padEnd(width)}  ${report.passed ? "passed" : "FAILED"}  ${String(report.durationS).padStart(5)} s${why}`;
    })
    .join("\n");
}
