// One real kube-apiserver (with etcd) per test file, knowing the prometheus-operator and k6-operator CRDs the
// charts' ServiceMonitors, PrometheusRules and TestRuns need; started before the file's tests, stopped after.
//
//   let api: KubeApiServer;
//   withKubeApiServer("otp-lab-apiserver-", async (started) => { api = started; await api.createNamespace("x"); });
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type KubeApiServer,
  k6OperatorCrdFiles,
  prometheusOperatorCrdFiles,
  startKubeApiServer,
} from "@otp-lab/local-stack/kube-apiserver";
import { afterAll, beforeAll } from "vitest";

export function withKubeApiServer(prefix: string, setUp: (api: KubeApiServer) => Promise<void>): void {
  let dir: string | undefined;
  let api: KubeApiServer | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    api = await startKubeApiServer({ dir });
    const k6 = k6OperatorCrdFiles();
    for (const file of [...prometheusOperatorCrdFiles(), k6.testRuns, k6.privateLoadZones]) await api.apply(readFileSync(file, "utf8"));
    await setUp(api);
  }, 600_000);
  afterAll(async () => {
    await api?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
}
