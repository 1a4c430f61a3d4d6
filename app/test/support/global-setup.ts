// Once per test run: compile the service, start a real PostgreSQL and Redis on free loopback
// ports, apply the migrations, and hand the URLs to every test file.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate } from "@otp-lab/local-stack/app-cli";
import { freePort } from "@otp-lab/local-stack/ports";
import { createPostgres } from "@otp-lab/local-stack/postgres";
import { createRedis } from "@otp-lab/local-stack/redis";
import type { TestProject } from "vitest/node";
import { APP_DIR } from "./paths";

declare module "vitest" {
  export interface ProvidedContext {
    postgresUrl: string;
    redisUrl: string;
    stateDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  execFileSync(join(APP_DIR, "..", "node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json"], { cwd: APP_DIR, stdio: "inherit" });
  const stateDir = mkdtempSync(join(tmpdir(), "otp-lab-test-"));
  chmodSync(stateDir, 0o755);
  const postgres = await createPostgres({ dir: stateDir, port: await freePort() });
  const redis = await createRedis({ dir: stateDir, port: await freePort() });
  migrate(postgres.url, { NODE_ENV: "test" });
  project.provide("postgresUrl", postgres.url);
  project.provide("redisUrl", redis.url);
  project.provide("stateDir", stateDir);
  return async () => {
    await Promise.allSettled([postgres.stop(), redis.stop()]);
    rmSync(stateDir, { recursive: true, force: true });
  };
}
