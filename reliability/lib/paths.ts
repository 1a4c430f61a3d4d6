// Where things are: the repository, the reports and the tool cache.
import { homedir } from "node:os";
import { join } from "node:path";

export const RELIABILITY_DIR = join(import.meta.dirname, "..");
export const REPO_ROOT = join(RELIABILITY_DIR, "..");
export const OPENAPI_PATH = join(REPO_ROOT, "app", "openapi.json");
export const DEFAULT_REPORT_DIR = join(REPO_ROOT, "reports", "reliability");
export const K6_SCRIPTS_DIR = join(RELIABILITY_DIR, "k6");

/** The lab's tool cache (the Makefile's OTP_LAB_CACHE), outside the clone so a fresh clone reuses it. */
export function toolCache(env: NodeJS.ProcessEnv = process.env): string {
  return env.OTP_LAB_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "otp-capacity-lab");
}
