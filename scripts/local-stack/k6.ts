// The pinned k6, found and run one way for the benchmarks, the smoke, the dashboards proof, the operator
// tests and the reliability scenarios: a clean environment, so no K6_* of the caller's shell reshapes a run.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";

let ensured: string | undefined;

/** K6_BIN (make passes what scripts/ensure-k6.sh printed), else what that script prints: it builds the pinned k6 when missing. */
export function k6Binary(env: NodeJS.ProcessEnv = process.env): string {
  if (env.K6_BIN) return env.K6_BIN;
  ensured ??= execFileSync(join(import.meta.dirname, "..", "ensure-k6.sh"), {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  if (!ensured) throw new Error("scripts/ensure-k6.sh printed no path");
  return ensured;
}

/** The whole environment k6 runs with: what it needs to start, no usage report, and the run's own settings. */
export function k6Environment(env: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? homedir(), K6_NO_USAGE_REPORT: "true", ...env };
}

/** Settings as `-e NAME=value` arguments: the script sees them in __ENV while k6 itself ignores them. */
export function envArgs(env: Record<string, string>): string[] {
  return Object.entries(env).flatMap(([name, value]) => ["-e", `${name}=${value}`]);
}

export interface K6RunOptions {
  /** The flags of `k6 run`, before the script. */
  args: string[];
  script: string;
  /** Added to k6's own environment (k6Environment). */
  env?: Record<string, string>;
  cwd?: string;
  /** Where stdout and stderr go instead of the result. */
  logFile?: string;
  /** SIGKILL after this long; no limit when absent. */
  timeoutMs?: number;
  onStart?: (child: ChildProcess) => void;
}

export interface K6Result {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** `k6 run <args> <script>`, killed at the timeout and when this process exits first. */
export function runK6(options: K6RunOptions): Promise<K6Result> {
  const started = performance.now();
  const child = spawn(k6Binary(), ["run", ...options.args, options.script], {
    cwd: options.cwd,
    env: k6Environment(options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  options.onStart?.(child);
  // If this process dies (Ctrl-C, a crash), k6 must not outlive it and keep loading the host.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(killOnExit, options.timeoutMs);
  const output = { stdout: "", stderr: "" };
  const log = options.logFile === undefined ? undefined : createWriteStream(options.logFile);
  for (const stream of ["stdout", "stderr"] as const) {
    if (log) child[stream].pipe(log, { end: false });
    else
      child[stream].setEncoding("utf8").on("data", (chunk: string) => {
        output[stream] += chunk;
      });
  }
  return new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  })
    .finally(() => {
      clearTimeout(timer);
      process.off("exit", killOnExit);
      log?.end();
    })
    .then(async (exitCode) => {
      if (log) await finished(log);
      return { exitCode, ...output, durationMs: performance.now() - started };
    });
}
