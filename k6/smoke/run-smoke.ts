// Runs one k6 script as a short smoke: tiny rates, every check on, a generous latency SLO (the smoke proves
// the script works end to end, not how fast anything is). Shared by the vitest smoke test and anyone
// who wants to try a script against a running stack.
import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { type K6Result, runK6 } from "@otp-lab/local-stack/k6";

export const K6_DIR = join(import.meta.dirname, "..");
export const REPO_ROOT = join(K6_DIR, "..");
export const SCRIPTS_DIR = join(K6_DIR, "scripts");

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

/** `k6 run` of one script with the smoke's settings; stdout and stderr come back for the assertions. */
export function runSmoke(script: string, env: Record<string, string>, args: string[] = []): Promise<K6Result> {
  return runK6({
    args: ["--quiet", "--no-color", "--address", "", ...args],
    script: join(SCRIPTS_DIR, script),
    env,
    cwd: K6_DIR,
    timeoutMs: 90_000,
  });
}
