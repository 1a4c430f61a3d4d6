// A real Prometheus for the tests: remote-write receiver and native histograms on, as the lab's Prometheus
// runs (the pinned binary from scripts/ensure-prometheus.sh), in a temporary directory.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ManagedProcess, startProcess } from "@otp-lab/local-stack/managed-process";
import { freePort } from "@otp-lab/local-stack/ports";
import { waitFor } from "@otp-lab/local-stack/wait";
import { REPO_ROOT } from "./paths.ts";

export interface TestPrometheus {
  url: string;
  stop(): Promise<void>;
}

export async function startPrometheus(dir: string): Promise<TestPrometheus> {
  const [bin] = execFileSync(join(REPO_ROOT, "scripts", "ensure-prometheus.sh"), { encoding: "utf8" })
    .trim()
    .split("\n");
  const port = await freePort();
  writeFileSync(join(dir, "prometheus.yml"), "global:\n  scrape_interval: 1s\n");
  mkdirSync(join(dir, "tsdb"), { recursive: true });
  const process: ManagedProcess = startProcess({
    name: "prometheus",
    command: bin as string,
    args: [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--web.enable-remote-write-receiver",
      "--enable-feature=native-histograms",
      "--log.level=warn",
    ],
    logFile: join(dir, "prometheus.log"),
    detached: true,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor("prometheus /-/ready", async () => (await fetch(`${url}/-/ready`)).ok, { timeoutMs: 20_000 });
  return { url, stop: () => process.stop("SIGTERM", 5_000).then(() => undefined) };
}
