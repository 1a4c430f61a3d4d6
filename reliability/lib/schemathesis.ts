// schemathesis from PyPI, pinned, in a virtualenv under the lab's tool cache (created on first use by
// `python3 -m venv` + pip), and one bounded run of it against the service.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RELIABILITY_DIR, toolCache } from "./paths.ts";

export const SCHEMATHESIS_VERSION = "4.32.5";
export const SCHEMATHESIS_CONFIG = join(RELIABILITY_DIR, "schemathesis.toml");

/** Returns the schemathesis executable, installing it first when the pinned venv is missing or incomplete. */
export function ensureSchemathesis(log: (message: string) => void): string {
  const venv = join(toolCache(), `schemathesis-${SCHEMATHESIS_VERSION}`);
  const binary = join(venv, "bin", "schemathesis");
  const marker = join(venv, ".installed");
  if (existsSync(marker) && existsSync(binary)) return binary;
  const python = process.env.PYTHON ?? "python3";
  log(`installing schemathesis ${SCHEMATHESIS_VERSION} from PyPI into ${venv} (once)`);
  rmSync(venv, { recursive: true, force: true });
  try {
    execFileSync(python, ["-m", "venv", venv], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    throw new Error(
      `${python} -m venv failed (${(error as Error).message.split("\n")[0]}); on Debian install python3-venv (apt-get install python3-venv) or set PYTHON`,
    );
  }
  execFileSync(
    join(venv, "bin", "python"),
    ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input", `schemathesis==${SCHEMATHESIS_VERSION}`],
    { stdio: ["ignore", "ignore", "inherit"], timeout: 600_000 },
  );
  execFileSync(binary, ["--version"], { stdio: "ignore" });
  writeFileSync(marker, `${SCHEMATHESIS_VERSION}\n`);
  return binary;
}

export interface SchemathesisRun {
  exitCode: number | null;
  output: string;
  /** Generated test cases, as its summary reports them. */
  testCases: number;
  /** Distinct failures found (any check); -1 when the report is missing. */
  failures: number;
  /** Errors (schemathesis could not run a test); -1 when the report is missing. */
  errors: number;
  failureKinds: string[];
  warnings: string[];
  /** Its closing summary lines. */
  summary: string[];
  durationS: number;
}

export async function runSchemathesis(options: {
  binary: string;
  schema: string;
  url: string;
  /** The tenant's API key: the bearer credential of the schema's securityScheme (see schemathesis.toml). */
  apiKey: string;
  maxExamples: number;
  dir: string;
  timeoutMs: number;
}): Promise<SchemathesisRun> {
  const reportFile = join(options.dir, "schemathesis-report.json");
  const args = [
    "--config-file",
    SCHEMATHESIS_CONFIG,
    "run",
    options.schema,
    "--url",
    options.url,
    "--checks",
    "all",
    "--max-examples",
    String(options.maxExamples),
    "--request-timeout",
    "10",
    "--seed",
    "20261124",
    "--workers",
    "1",
    "--report",
    "json",
    "--report-json-path",
    reportFile,
  ];
  const started = Date.now();
  const child = spawn(options.binary, args, {
    cwd: options.dir,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? options.dir, NO_COLOR: "1", OTP_API_KEY: options.apiKey },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
  const exitCode = await new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  clearTimeout(timer);
  process.off("exit", killOnExit);
  return { exitCode, output, ...readResults(output, reportFile), durationS: Math.round((Date.now() - started) / 100) / 10 };
}

interface JsonReport {
  exit_code?: number;
  test_cases?: { generated?: number; unique_failures?: number };
  failures?: Array<{ code: string; title: string; count: number; operations: string[] }>;
  errors?: unknown[];
  warnings?: Record<string, string[]>;
}

/** The counts from schemathesis' JSON report (--report json), or from its text output when there is none. */
export function readResults(output: string, reportFile: string): Omit<SchemathesisRun, "exitCode" | "output" | "durationS"> {
  const lines = output.split("\n").map((line) => line.trimEnd());
  const start = lines.findIndex((line) => /SUMMARY/.test(line));
  const summary = (start >= 0 ? lines.slice(start + 1) : lines.slice(-15)).filter((line) => line.trim() !== "" && !/^=+/.test(line));
  if (!existsSync(reportFile)) return { testCases: 0, failures: -1, errors: -1, failureKinds: [], warnings: [], summary };
  const report = JSON.parse(readFileSync(reportFile, "utf8")) as JsonReport;
  return {
    testCases: report.test_cases?.generated ?? 0,
    failures: report.test_cases?.unique_failures ?? 0,
    errors: report.errors?.length ?? 0,
    failureKinds: (report.failures ?? []).map(
      (failure) => `${failure.code} ${failure.title} (${failure.operations.join(", ")}): ${failure.count}`,
    ),
    warnings: Object.entries(report.warnings ?? {})
      .filter(([, operations]) => operations.length > 0)
      .map(([kind, operations]) => `${kind}: ${operations.join(", ")}`),
    summary,
  };
}
