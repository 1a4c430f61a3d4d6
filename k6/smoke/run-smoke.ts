// Runs one k6 script as a short smoke: tiny rates, every check on, a generous latency SLO (the smoke proves
// the script works end to end, not how fast anything is). Shared by the vitest smoke test and anyone
// who wants to try a script against a running stack.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join } from "node:path";

export const K6_DIR = join(import.meta.dirname, "..");
export const REPO_ROOT = join(K6_DIR, "..");
export const SCRIPTS_DIR = join(K6_DIR, "scripts");

/** Where a build of k6 may already be, for machines without the pinned one yet. */
export const PREBUILT_K6 = "/tmp/k6-prebuilt";

/** Small enough that every script finishes in a few seconds, large enough for two plateaus with data. */
export const SMOKE_ENV: Readonly<Record<string, string>> = {
  RATES: "5,10",
  PLATEAU_SECONDS: "2",
  WARMUP_SECONDS: "1",
  CHECK_SAMPLE_RATE: "1",
  // Parallel k6 processes share this machine with the stack: a tight SLO would make the smoke flaky.
  SLO_P99_MS: "1000",
};

export interface SmokeTargets {
  serviceUrl: string;
  mockSmsUrl: string;
  bareHelloUrl: string;
  tenantsFile: string;
  k6Bin: string;
}

/** K6_BIN, else the pinned build in the tool cache (scripts/ensure-k6.sh puts it there). */
export function resolveK6Bin(env: NodeJS.ProcessEnv = process.env): string {
  if (env.K6_BIN) return env.K6_BIN;
  const versions = readFileSync(join(REPO_ROOT, "scripts", "versions.env"), "utf8");
  const version = /^K6_VERSION=(\S+)/m.exec(versions)?.[1];
  if (!version) return PREBUILT_K6;
  const cache = env.OTP_LAB_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "otp-capacity-lab");
  const pinned = join(cache, `k6-${version}`, "k6");
  if (existsSync(pinned)) return pinned;
  throw new Error(`k6 ${version} is not at ${pinned}: run scripts/ensure-k6.sh (or set K6_BIN)`);
}

/** Every script in k6/scripts, so a new script is smoke-tested without anyone remembering to add it. */
export function listScripts(): string[] {
  return readdirSync(SCRIPTS_DIR)
    .filter((file) => /^\d\d-.+\.ts$/.test(file))
    .sort();
}

export function scriptId(file: string): string {
  return basename(file, ".ts");
}

/** The environment one script needs: the bare-node script targets the bare server, every other the service. */
export function smokeEnv(file: string, targets: SmokeTargets, summaryPath: string): Record<string, string> {
  return {
    ...SMOKE_ENV,
    BASE_URL: file.includes("bare-node") ? targets.bareHelloUrl : targets.serviceUrl,
    SMS_URL: targets.mockSmsUrl,
    TENANTS_FILE: targets.tenantsFile,
    SUMMARY_PATH: summaryPath,
  };
}

export interface K6Run {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export function runK6(options: {
  k6Bin: string;
  script: string;
  env: Record<string, string>;
  args?: string[];
  timeoutMs?: number;
}): Promise<K6Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // A clean environment: no K6_* from the caller's shell can reshape the run.
    const child = spawn(
      options.k6Bin,
      ["run", "--quiet", "--no-color", "--address", "", ...(options.args ?? []), join(SCRIPTS_DIR, options.script)],
      {
        cwd: K6_DIR,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? homedir(), K6_NO_USAGE_REPORT: "true", ...options.env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 90_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, stdout, stderr, durationMs: Date.now() - started });
    });
  });
}
