// Finds the report's npm packages (chart.js, playwright-core): through normal resolution from this
// folder first (the repository's node_modules), then from REPORT_DEPS_DIR when it is set (a folder
// holding node_modules, for working on the report before the packages are in the lock file).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const here = createRequire(import.meta.url);

function requirers(): NodeJS.Require[] {
  const list = [here];
  const extra = process.env.REPORT_DEPS_DIR;
  if (extra) list.push(createRequire(join(extra, "noop.js")));
  return list;
}

/** Resolves a package entry point; the error names the package and where it was looked for. */
export function resolvePackage(specifier: string): string {
  const failures: string[] = [];
  for (const require of requirers()) {
    try {
      return require.resolve(specifier);
    } catch (error) {
      failures.push((error as Error).message.split("\n")[0] ?? String(error));
    }
  }
  const hint = process.env.REPORT_DEPS_DIR
    ? ""
    : " (install the k6 workspace's dependencies, or set REPORT_DEPS_DIR to a folder whose node_modules has it)";
  throw new Error(`cannot find npm package "${specifier}"${hint}: ${failures.join("; ")}`);
}

export function loadPackage<T>(specifier: string): T {
  return here(resolvePackage(specifier)) as T;
}

/** The Chart.js UMD bundle's source, to inline in the HTML report (it defines window.Chart). */
export function chartJsUmdSource(): string {
  // The package's exports do not list the UMD file: find it beside the CommonJS entry (dist/chart.cjs).
  const umd = join(dirname(resolvePackage("chart.js")), "chart.umd.js");
  return readFileSync(umd, "utf8");
}
