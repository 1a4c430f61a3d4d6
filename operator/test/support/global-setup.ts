// Once per run: compile the service, start a real etcd + kube-apiserver with the operator's CRDs, a real
// PostgreSQL with the service's migrations and a Redis; hand their addresses to the test files.
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { migrate } from "@otp-lab/local-stack/app-cli";
import { k6OperatorCrdFiles, kubeBinaries, startKubeApiServer } from "@otp-lab/local-stack/kube-apiserver";
import { freePort } from "@otp-lab/local-stack/ports";
import { createPostgres } from "@otp-lab/local-stack/postgres";
import { createRedis } from "@otp-lab/local-stack/redis";
import type { TestProject } from "vitest/node";
import { GENERATED_DIR } from "../../src/generate-crds.ts";
import { installCrds, testKube } from "./kube.ts";
import { APP_DIR, REPO_ROOT } from "./paths.ts";

declare module "vitest" {
  export interface ProvidedContext {
    kubeconfigPath: string;
    postgresUrl: string;
    redisUrl: string;
    /** Where the processes a file starts write their logs. */
    logDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  execFileSync(join(REPO_ROOT, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json"], { cwd: APP_DIR, stdio: "inherit" });
  const binaries = kubeBinaries();
  process.env.KUBE_APISERVER_BIN = binaries.kubeApiServer;
  process.env.ETCD_BIN = binaries.etcd;
  const dir = mkdtempSync(join(tmpdir(), "otp-lab-operator-"));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, "kube"));
  const api = await startKubeApiServer({ dir: join(dir, "kube"), binaries }).catch(async (error) => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  const postgres = await createPostgres({ dir, port: await freePort() });
  const redis = await createRedis({ dir, port: await freePort() });
  const teardown = async () => {
    await Promise.allSettled([api.stop(), postgres.stop(), redis.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    migrate(postgres.url, { NODE_ENV: "test" });
    const kube = testKube(api.kubeconfigPath);
    await installCrds(kube, GENERATED_DIR);
    // The REAL k6-operator TestRun CRD (v1.6.0, unchanged from upstream): the CapacityBenchmark controller watches TestRuns.
    await installCrds(kube, dirname(k6OperatorCrdFiles().testRuns), ["k6.io_testruns.yaml"]);
  } catch (error) {
    await teardown();
    throw error;
  }
  project.provide("kubeconfigPath", api.kubeconfigPath);
  project.provide("postgresUrl", postgres.url);
  project.provide("redisUrl", redis.url);
  project.provide("logDir", dir);
  return teardown;
}
