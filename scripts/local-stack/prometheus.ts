// A real Prometheus on loopback, as the lab's runs it: remote-write receiver and native histograms on, the
// pinned binary from scripts/ensure-prometheus.sh (which installs it when missing and prints promtool's path too).
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startProcess } from "./managed-process.ts";
import { freePort } from "./ports.ts";
import { untilExited, waitFor } from "./wait.ts";

export interface PrometheusServer {
  url: string;
  /** promtool of the same installation, for `check rules` / `test rules`. */
  promtool: string;
  stop(graceMs?: number): Promise<void>;
}

/** `config` is prometheus.yml's content (JSON is YAML); by default nothing is scraped and remote write fills it. */
export async function startPrometheus(dir: string, config: object = { global: { scrape_interval: "1s" } }): Promise<PrometheusServer> {
  const [prometheus, promtool] = execFileSync(join(import.meta.dirname, "..", "ensure-prometheus.sh"), {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  })
    .trim()
    .split("\n");
  if (!prometheus || !promtool) throw new Error("scripts/ensure-prometheus.sh printed no paths");
  const port = await freePort();
  const configFile = join(dir, "prometheus.yml");
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  mkdirSync(join(dir, "tsdb"), { recursive: true });
  const server = startProcess({
    name: "prometheus",
    command: prometheus,
    args: [
      `--config.file=${configFile}`,
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
  await waitFor(`${url}/-/ready`, async () => (await fetch(`${url}/-/ready`)).ok, {
    timeoutMs: 20_000,
    giveUpIf: untilExited("prometheus (see prometheus.log)", server.child),
  });
  return { url, promtool, stop: (graceMs = 5_000) => server.stop("SIGTERM", graceMs).then(() => undefined) };
}
