// `make bench`: the local capacity ladder. Starts everything on loopback ports, measures the
// physical-limit baselines and every layer, finds each capacity, writes reports/<run-id>/.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type LocalStack, startLocalStack } from "../../scripts/devstack/local-stack.ts";
import { startProcess, waitForPort } from "../../scripts/devstack/managed-process.ts";
import { freePort } from "../../scripts/devstack/ports.ts";
import { findBottleneck, recommend, validityChecks } from "./analysis.ts";
import { pgbench, redisBenchmark } from "./baselines.ts";
import { refinementRates } from "./capacity.ts";
import { describeEnvironment } from "./environment.ts";
import { LADDER, type LadderStep, PROFILE_TIMING, type Profile } from "./ladder.ts";
import { layerResult, plateauResults } from "./layer-results.ts";
import { clock, createProgress } from "./progress.ts";
import { type Baseline, type BenchResults, type LayerResult, RESULTS_SCHEMA_VERSION } from "./results.ts";
import { runK6 } from "./run-k6.ts";
import { startSampler } from "./sampler.ts";

const repoRoot = join(import.meta.dirname, "..", "..");
const env = process.env;
const profile = (env.BENCH_PROFILE ?? "default") as Profile;
if (!(profile in PROFILE_TIMING)) throw new Error(`BENCH_PROFILE must be smoke, default or full (got "${profile}")`);
const timing = PROFILE_TIMING[profile];
const rule = {
  sloP99Ms: Number(env.BENCH_SLO_P99_MS ?? 50),
  sloErrorRate: Number(env.BENCH_SLO_ERROR_RATE ?? 0.01),
  generatorCpuLimit: Number(env.BENCH_GENERATOR_CPU_LIMIT ?? 0.9),
};
const targetRps = Number(env.BENCH_TARGET_RPS ?? 1000);
const only = env.BENCH_ONLY ? new Set(env.BENCH_ONLY.split(",")) : undefined;
const steps = LADDER.filter((step) => !only || only.has(step.script));
const k6Bin = env.K6_BIN ?? execFileSync(join(repoRoot, "scripts", "ensure-k6.sh"), { encoding: "utf8" }).trim();

const startedAt = new Date();
const runId = `${startedAt.toISOString().slice(0, 19).replaceAll(/[-:]/g, "").replace("T", "-")}-${profile}`;
const outDir = join(repoRoot, "reports", runId);
const stackDir = join(outDir, "stack");
mkdirSync(stackDir, { recursive: true });
const progress = createProgress();

// What the service runs with. Production defaults, except what a local benchmark must change.
const serviceConfig: Record<string, string> = {
  LAYER_ENDPOINTS_ENABLED: "true",
  SHUTDOWN_DRAIN_DELAY_MS: "0",
  LOG_LEVEL: env.LOG_LEVEL ?? "info",
  ACCESS_LOG_ENABLED: env.ACCESS_LOG_ENABLED ?? "true",
  PG_POOL_MAX: env.PG_POOL_MAX ?? "10",
  TENANT_CACHE_TTL_MS: env.TENANT_CACHE_TTL_MS ?? "0",
  SEND_LOG_BATCH_SIZE: env.SEND_LOG_BATCH_SIZE ?? "100",
  // Delivery must keep up with the verify flow's setup, which sends thousands of codes up front.
  SMS_WORKER_CONCURRENCY: env.SMS_WORKER_CONCURRENCY ?? "64",
};
const mockSmsConfig = {
  MOCK_SMS_LATENCY_MS: env.MOCK_SMS_LATENCY_MS ?? "20",
  MOCK_SMS_LATENCY_JITTER_MS: env.MOCK_SMS_LATENCY_JITTER_MS ?? "10",
};

let stack: LocalStack | undefined;
let stopBare: (() => Promise<unknown>) | undefined;
let k6Pid: number | undefined;
let interrupted = false;

async function cleanUp(): Promise<void> {
  progress.done();
  if (k6Pid) process.kill(k6Pid, "SIGKILL");
  await stopBare?.();
  await stack?.stop();
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    progress.log(`\n${signal}: stopping k6, the service and the databases…`);
    void cleanUp().finally(() => process.exit(130));
  });
}

try {
  progress.log(
    `bench ${runId}: profile ${profile}, SLO p99 ≤ ${rule.sloP99Ms} ms and errors ≤ ${rule.sloErrorRate * 100}%, ${steps.length} scripts`,
  );
  const ports = { service: await freePort(), postgres: await freePort(), redis: await freePort(), mockSms: await freePort() };
  stack = await startLocalStack({
    stateDir: stackDir,
    ports,
    durablePostgres: true,
    postgresMaxConnections: 200,
    serviceEnv: serviceConfig,
    mockSmsEnv: mockSmsConfig,
    seedArgs: ["--tenants", "5", "--prefix", "bench", "--phone-limit", "100000000", "--daily-cap", "1000000000"],
  });
  const bareHelloPort = await freePort();
  const bare = startProcess({
    name: "bare-hello",
    command: process.execPath,
    args: [join(repoRoot, "k6", "smoke", "bare-hello-server.ts"), String(bareHelloPort)],
    env: { PATH: env.PATH ?? "", PORT: String(bareHelloPort) },
    logFile: join(stackDir, "bare-hello.log"),
    detached: true,
  });
  stopBare = () => bare.stop();
  await waitForPort(bareHelloPort, { process: bare });
  progress.log(`stack up: service ${stack.serviceUrl}, PostgreSQL :${ports.postgres}, Redis :${ports.redis}, mock SMS :${ports.mockSms}`);

  // Physical limits first, on a quiet host.
  progress.update("baselines: redis-benchmark SET/GET…");
  const baselines: Baseline[] = await redisBenchmark(ports.redis, timing.redisBenchmarkRequests);
  progress.update("baselines: pgbench SELECT and INSERT…");
  const { createHash } = await import("node:crypto");
  const apiKeyHash = createHash("sha256")
    .update(stack.tenants[0]?.apiKey ?? "")
    .digest("hex");
  baselines.push(
    ...(await pgbench({ binDir: stack.postgres.binDir, port: ports.postgres, workDir: stackDir, apiKeyHash }, timing.pgbenchSeconds)),
  );
  progress.log(`baselines: ${baselines.map((b) => `${b.name} ${Math.round(b.ops_per_second).toLocaleString("en-US")}/s`).join(", ")}`);

  const layers: LayerResult[] = [];
  const estimate = (step: LadderStep) => timing.warmupSeconds + step.rates[profile].length * timing.plateauSeconds + 4;
  for (const [index, step] of steps.entries()) {
    if (interrupted) break;
    const baseUrl = step.target === "bare" ? `http://127.0.0.1:${bareHelloPort}` : stack.serviceUrl;
    const k6Env = {
      BASE_URL: baseUrl,
      TENANTS_FILE: stack.tenantsFile,
      SMS_URL: stack.mockSmsUrl,
      SLO_P99_MS: String(rule.sloP99Ms),
      SLO_ERROR_RATE: String(rule.sloErrorRate),
      CHECK_SAMPLE_RATE: env.CHECK_SAMPLE_RATE ?? "0.01",
      MAX_VUS: env.BENCH_MAX_VUS ?? "400",
      DELAY_MS: String(step.sloAllowanceMs ?? 100),
    };
    const remainingAfterS = steps.slice(index + 1).reduce((total, s) => total + estimate(s), 0);
    const measure = async (rates: number[], pass: string) => {
      const sampler = startSampler({
        metricsUrl: `${stack?.serviceUrl}/metrics`,
        pids: () => ({
          service: step.target === "bare" ? bare.child.pid : stack?.service.child.pid,
          postgres: stack?.postgres.pid(),
          redis: stack?.redis.pid(),
          k6: k6Pid,
        }),
      });
      const result = await runK6({
        k6Bin,
        scriptsDir: join(repoRoot, "k6", "scripts"),
        script: step.script,
        env: k6Env,
        rates,
        warmupSeconds: timing.warmupSeconds,
        plateauSeconds: timing.plateauSeconds,
        outDir: pass === "" ? outDir : join(outDir, pass),
        progress,
        label: `[${index + 1}/${steps.length}] ${step.script}${pass ? ` (${pass})` : ""}`,
        remainingAfterS,
        onStart: (pid) => {
          k6Pid = pid;
        },
      });
      k6Pid = undefined;
      const snapshots = sampler.stop();
      if (!result.summary) {
        progress.log(`${step.script}: k6 exited ${result.exitCode} without a summary:\n${result.log.slice(-2000)}`);
        return [];
      }
      return plateauResults(result.summary, snapshots, { ...rule, sloP99Ms: rule.sloP99Ms + (step.sloAllowanceMs ?? 0) });
    };
    let plateaus = await measure(step.rates[profile], "");
    if (interrupted) break;
    const refine = refinementRates(plateaus, timing.refinementSteps);
    if (refine.length > 0) {
      mkdirSync(join(outDir, "refine"), { recursive: true });
      plateaus = [...plateaus, ...(await measure(refine, "refine"))].sort((a, b) => a.offeredRps - b.offeredRps);
    }
    if (step.layer === "baseline") {
      const layer = layerResult(step, plateaus, []);
      const best = Math.max(0, ...plateaus.map((p) => p.achievedRps));
      baselines.push({
        name: "node-http-hello",
        tool: "k6",
        ops_per_second: layer.capacity_rps ?? best,
        p99_ms: layer.p99_ms_at_capacity,
        detail:
          layer.capacity_rps === null
            ? `no plateau met the SLO; highest achieved ${Math.round(best)} req/s`
            : `bare node:http, capacity at the SLO (${layer.limited_by})`,
      });
      layers.push(layer);
    } else {
      layers.push(layerResult(step, plateaus, baselines));
    }
    const last = layers.at(-1) as LayerResult;
    progress.done();
    progress.log(
      `${step.script}: ${last.capacity_rps === null ? `no capacity (${last.limited_by})` : `${last.capacity_rps.toLocaleString("en-US")} req/s, p99 ${last.p99_ms_at_capacity?.toFixed(1)} ms (${last.limited_by})`}`,
    );
  }

  if (interrupted) await new Promise(() => {}); // the signal handler exits once everything is stopped

  const config: BenchResults["environment"]["config"] = {
    profile,
    warmup_seconds: timing.warmupSeconds,
    plateau_seconds: timing.plateauSeconds,
    check_sample_rate: Number(env.CHECK_SAMPLE_RATE ?? 0.01),
    generator_cpu_limit: rule.generatorCpuLimit,
    postgres_durable: true,
    ...serviceConfig,
    ...mockSmsConfig,
  };
  const partial = {
    layers,
    target_rps: targetRps,
    slo: { p99_ms: rule.sloP99Ms, error_rate: rule.sloErrorRate },
    environment: describeEnvironment({ k6Bin, pgBinDir: stack.postgres.binDir, repoRoot, config }),
  };
  const results: BenchResults = {
    schema_version: RESULTS_SCHEMA_VERSION,
    run_id: runId,
    profile,
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    ...partial,
    baselines,
    bottleneck: findBottleneck(partial),
    recommendations: recommend(partial),
    validity: validityChecks({ ...partial, baselines }, partial.environment.host.cores),
  };
  writeFileSync(join(outDir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  await cleanUp();
  stack = undefined;
  stopBare = undefined;
  execFileSync(process.execPath, [join(repoRoot, "k6", "report", "render-report.ts"), outDir], { stdio: "inherit" });
  progress.log(
    `\nreport: ${join(outDir, "report.html")} (and report.md, results.json) after ${clock((Date.now() - startedAt.getTime()) / 1000)}`,
  );
} catch (error) {
  progress.log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await cleanUp();
  process.exit(1);
}
