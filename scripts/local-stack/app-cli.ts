// The service's one-shot commands (migrate, seed) run to completion against a database, as an
// operator runs them before the first start.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const APP_MAIN = join(import.meta.dirname, "..", "..", "app", "dist", "main.js");

export interface SeededTenant {
  id: string;
  name: string;
  apiKey: string;
}

/**
 * `env` adds to PATH, DATABASE_URL and LOG_LEVEL=warn; NODE_ENV is the caller's (production, the
 * service's default, also needs OTP_SECRET). stderr reaches ours; stdout (the log, or seed's JSON) is
 * returned, and joins the error when the command fails.
 */
function run(args: string[], databaseUrl: string, env: Record<string, string>): string {
  try {
    return execFileSync(process.execPath, [APP_MAIN, ...args], {
      env: { PATH: process.env.PATH ?? "", DATABASE_URL: databaseUrl, LOG_LEVEL: "warn", ...env },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
  } catch (error) {
    throw new Error(`otp-service ${args[0]} failed: ${(error as Error).message}\n${(error as { stdout?: string }).stdout ?? ""}`);
  }
}

export function migrate(databaseUrl: string, env: Record<string, string> = {}): void {
  run(["migrate"], databaseUrl, env);
}

/** `otp-service seed <args>`; with `output` the tenants (and their API keys) are also kept in that file. */
export function seed(options: { databaseUrl: string; args?: string[]; output?: string; env?: Record<string, string> }): SeededTenant[] {
  const output = options.output;
  const stdout = run(["seed", ...(options.args ?? []), ...(output ? ["--output", output] : [])], options.databaseUrl, options.env ?? {});
  return (JSON.parse(output ? readFileSync(output, "utf8") : stdout) as { tenants: SeededTenant[] }).tenants;
}
