// Once per smoke run: build the service, start PostgreSQL, Redis, the mock SMS provider, the service (with
// the layer endpoints) and the bare node:http server on free loopback ports, seed tenants, and hand the URLs
// to the tests. Everything stops afterwards.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { k6Binary } from "@otp-lab/local-stack/k6";
import { startLocalStack } from "@otp-lab/local-stack/local-stack";
import { type ManagedProcess, startProcess, waitForPort } from "@otp-lab/local-stack/managed-process";
import { freePort } from "@otp-lab/local-stack/ports";
import type { TestProject } from "vitest/node";
import { REPO_ROOT, type SmokeTargets } from "./run-smoke.ts";

declare module "vitest" {
  export interface ProvidedContext {
    smoke: SmokeTargets & { outputDir: string };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Builds the pinned k6 once, before anything starts, rather than in each test worker.
  k6Binary();
  execFileSync(join(REPO_ROOT, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json"], {
    cwd: join(REPO_ROOT, "app"),
    stdio: "inherit",
  });
  const stateDir = mkdtempSync(join(tmpdir(), "otp-lab-k6-smoke-"));
  const ports = { service: await freePort(), postgres: await freePort(), redis: await freePort(), mockSms: await freePort() };
  const stack = await startLocalStack({
    stateDir,
    ports,
    serviceEnv: { LAYER_ENDPOINTS_ENABLED: "true", LOG_LEVEL: "warn", ACCESS_LOG_ENABLED: "false", SHUTDOWN_DRAIN_DELAY_MS: "0" },
    // Limits far above anything a smoke sends, so per-number and daily limits never answer 429.
    seedArgs: ["--tenants", "3", "--prefix", "smoke", "--phone-limit", "1000000", "--daily-cap", "100000000"],
  });
  let bare: ManagedProcess | undefined;
  try {
    const barePort = await freePort();
    bare = startProcess({
      name: "bare-hello",
      command: process.execPath,
      args: [join(import.meta.dirname, "bare-hello-server.ts"), String(barePort)],
      logFile: join(stateDir, "bare-hello.log"),
      detached: true,
    });
    await waitForPort(barePort, { process: bare });
    project.provide("smoke", {
      serviceUrl: stack.serviceUrl,
      mockSmsUrl: stack.mockSmsUrl,
      bareHelloUrl: `http://127.0.0.1:${barePort}`,
      tenantsFile: stack.tenantsFile,
      outputDir: stateDir,
    });
  } catch (error) {
    await bare?.stop();
    await stack.stop();
    throw error;
  }
  return async () => {
    await bare?.stop("SIGTERM", 5_000);
    await stack.stop();
    rmSync(stateDir, { recursive: true, force: true });
  };
}
