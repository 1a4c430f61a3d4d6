// Once per test run: the real stack (PostgreSQL, Redis, mock SMS provider, the service with its layer
// endpoints), a real Prometheus scraping the service and the mock every second, loading the generated
// rules and accepting remote write (native histograms on), then a short k6 run against every route that
// writes its own metrics to that Prometheus. The tests query it; everything stops afterwards.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { k6Binary, runK6 } from "@otp-lab/local-stack/k6";
import { startLocalStack } from "@otp-lab/local-stack/local-stack";
import { freePort } from "@otp-lab/local-stack/ports";
import { type PrometheusServer, startPrometheus } from "@otp-lab/local-stack/prometheus";
import type { TestProject } from "vitest/node";
import { PROOF, type ProofContext, REPO_ROOT, writeRulesFile } from "./proof.ts";

declare module "vitest" {
  export interface ProvidedContext {
    proof: ProofContext;
  }
}

const DASHBOARDS_DIR = join(import.meta.dirname, "..");

function log(message: string): void {
  process.stderr.write(`[dashboards proof] ${message}\n`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const lap = (what: string) => log(`${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  k6Binary(); // builds the pinned k6 when missing, before the stack is up rather than during the proof
  // The service as it is now (tsc is sub-second); `make build` does the same.
  execFileSync(join(REPO_ROOT, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json"], {
    cwd: join(REPO_ROOT, "app"),
    stdio: "inherit",
  });
  lap("tools ready, service built");

  const stateDir = mkdtempSync(join(tmpdir(), "otp-lab-dashboards-"));
  const ports = { service: await freePort(), postgres: await freePort(), redis: await freePort(), mockSms: await freePort() };
  const stack = await startLocalStack({
    stateDir,
    ports,
    serviceEnv: {
      LAYER_ENDPOINTS_ENABLED: "true",
      TEST_ERROR_ENDPOINT_ENABLED: "true",
      LOG_LEVEL: "warn",
      ACCESS_LOG_ENABLED: "false",
      SHUTDOWN_DRAIN_DELAY_MS: "0",
    },
    seedArgs: ["--tenants", "1", "--prefix", "dash", "--phone-limit", "1000000", "--daily-cap", "100000000"],
  });
  lap("stack ready");

  let prometheus: PrometheusServer | undefined;
  try {
    // `namespace`, `pod` and `container` are what the ServiceMonitor's target labels give in a cluster.
    const target = (job: string, port: number, pod: string) => ({
      job_name: job,
      scrape_interval: "1s",
      static_configs: [{ targets: [`127.0.0.1:${port}`], labels: { namespace: PROOF.namespace, pod, container: job } }],
    });
    prometheus = await startPrometheus(stateDir, {
      global: { scrape_interval: "1s", evaluation_interval: "1s" },
      rule_files: [writeRulesFile(stateDir)],
      scrape_configs: [target("otp-service", ports.service, PROOF.servicePod), target("mock-sms", ports.mockSms, PROOF.mockPod)],
    });
    const prometheusUrl = prometheus.url;
    lap(`prometheus ready on ${prometheusUrl}`);

    const k6 = await runK6({
      args: ["--quiet", "--no-color", "--address", "", "-o", "experimental-prometheus-rw", "--tag", `testid=${PROOF.testid}`],
      script: "k6/proof.ts",
      cwd: join(DASHBOARDS_DIR, "test"),
      env: {
        BASE_URL: stack.serviceUrl,
        TENANTS_FILE: stack.tenantsFile,
        RATE: "4",
        DURATION: PROOF.k6Duration,
        K6_PROMETHEUS_RW_SERVER_URL: `${prometheusUrl}/api/v1/write`,
        K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM: "true",
        K6_PROMETHEUS_RW_PUSH_INTERVAL: "1s",
      },
      logFile: join(stateDir, "k6.log"),
      timeoutMs: 60_000,
    });
    if (k6.exitCode !== 0) throw new Error(`k6 exited ${k6.exitCode}; see ${join(stateDir, "k6.log")}`);
    lap("k6 run written to prometheus");

    project.provide("proof", { prometheusUrl, promtoolBin: prometheus.promtool, stateDir, k6EndedAt: Date.now() });
  } catch (error) {
    await prometheus?.stop();
    await stack.stop();
    log(`failed; logs kept in ${stateDir}`);
    throw error;
  }

  return async () => {
    await prometheus?.stop(10_000);
    await stack.stop();
    if (process.env.KEEP_PROOF_STATE) log(`state kept in ${stateDir}`);
    else rmSync(stateDir, { recursive: true, force: true });
  };
}
