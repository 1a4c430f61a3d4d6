// Runs one ladder script with k6 and returns its summary; reports progress once a second.
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { envArgs, runK6 as runK6Process } from "@otp-lab/local-stack/k6";
import type { ScriptSummary } from "../lib/summary-format.ts";
import { clock, type Progress } from "./progress.ts";

export interface K6Run {
  scriptsDir: string;
  script: string;
  env: Record<string, string>;
  rates: number[];
  warmupSeconds: number;
  plateauSeconds: number;
  outDir: string;
  progress: Progress;
  /** Prefix for the status line, e.g. "[4/9] 07-otp-code-capacity". */
  label: string;
  remainingAfterS: number;
  onStart?: (child: ChildProcess) => void;
}

export async function runK6(run: K6Run): Promise<{ summary: ScriptSummary | null; exitCode: number | null; log: string }> {
  const summaryPath = join(run.outDir, `${run.script}.summary.json`);
  const logPath = join(run.outDir, `${run.script}.k6.log`);
  const env = {
    ...run.env,
    RATES: run.rates.join(","),
    WARMUP_SECONDS: String(run.warmupSeconds),
    PLATEAU_SECONDS: String(run.plateauSeconds),
    SUMMARY_PATH: summaryPath,
  };
  const started = performance.now();
  const total = run.warmupSeconds + run.rates.length * run.plateauSeconds;
  const timer = setInterval(() => {
    const elapsed = (performance.now() - started) / 1000;
    const inPlateaus = elapsed - run.warmupSeconds;
    const index = Math.min(run.rates.length - 1, Math.floor(inPlateaus / run.plateauSeconds));
    const stage =
      inPlateaus < 0 ? `warm-up @ ${run.rates[0]} req/s` : `plateau p${String(index + 1).padStart(2, "0")} @ ${run.rates[index]} req/s`;
    run.progress.update(
      `${run.label}  ${stage}  ${clock(elapsed)} / ~${clock(total)}  (~${clock(Math.max(0, total - elapsed) + run.remainingAfterS)} left in the run)`,
    );
  }, 1_000);
  const result = await runK6Process({
    args: ["--no-color", "--quiet", "--log-output", `file=${logPath}`, ...envArgs(env)],
    script: join(run.scriptsDir, `${run.script}.ts`),
    ...(run.onStart ? { onStart: run.onStart } : {}),
  }).finally(() => clearInterval(timer));
  const summary = existsSync(summaryPath) ? (JSON.parse(readFileSync(summaryPath, "utf8")) as ScriptSummary) : null;
  return { summary, exitCode: result.exitCode, log: result.stdout + result.stderr };
}
