// `make bench`: the local capacity ladder. Starts everything on loopback ports, measures the
// physical-limit baselines and every layer, finds each capacity, writes reports/<run-id>/.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { k6Binary } from "@otp-lab/local-stack/k6";
import { type LocalStack, startLocalStack } from "@otp-lab/local-stack/local-stack";
import { startProcess, waitForPort } from "@otp-lab/local-stack/managed-process";
import { freePort } from "@otp-lab/local-stack/ports";
import { findBottleneck, recommend, validityChecks } from "./analysis.ts";
import { pgbench, redisBenchmark } from "./baselines.ts";
import { layerResult, mergePasses, refinementRates, ruleForStep } from "./capacity.ts";
import { type ComparisonPlan, parseComparison, type Variant } from "./comparisons.ts";
import { buildCostModel, comparableCosts, type IdleCores, layerCost } from "./cost-model.ts";
import { describeEnvironment } from "./environment.ts";
import { LADDER, type LadderStep, PROFILE_TIMING, type Profile } from "./ladder.ts";
import { plateauResults } from "./layer-results.ts";
import { profilePass, profileRate } from "./profile-pass.ts";
import { clock, createProgress } from "./progress.ts";
import {
  type Baseline,
  type BenchResults,
  type ComparisonResult,
  type LayerCost,
  type LayerResult,
  type ProfileResult,
  RESULTS_SCHEMA_VERSION,
} from "./results.ts";
import { runK6 } from "./run-k6.ts";
import { PROCESSES, startSampler, summariseWindow } from "./sampler.ts";
import { checkTargets } from "./targets.ts";

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
// BENCH_COMPARE=worker-split|telemetry: the comparison's scripts under each of its service variants.
const comparison: ComparisonPlan | null = parseComparison(env.BENCH_COMPARE);
const only = env.BENCH_ONLY ? new Set(env.BENCH_ONLY.split(",")) : comparison ? new Set(comparison.scripts) : undefined;
const steps = LADDER.filter((step) => !only || only.has(step.script));
// Flows whose CPU profile the run takes (BENCH_PROFILES=none for none); each costs one extra plateau.
const profiled = new Set(
  (env.BENCH_PROFILES ?? "02-express-hello,11-send-flow,12-verify-flow").split(",").filter((s) => s !== "" && s !== "none"),
);
// Resolved before anything starts: a missing k6 is built now, not in the middle of the ladder.
const k6Bin = k6Binary();

const startedAt = new Date();
const runId = `${startedAt.toISOString().slice(0, 19).replaceAll(/[-:]/g, "").replace("T", "-")}-${comparison ? comparison.id : profile}`;
const outDir = join(env.BENCH_REPORTS_DIR ?? join(repoRoot, "reports"), runId);
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

/** Each variant with its costs, every script's read at the rates all variants share. */
function comparisonVariants(variants: Omit<ComparisonResult["variants"][number], "costs">[]): ComparisonResult["variants"] {
  const scripts = variants[0]?.layers.map((l) => l.script) ?? [];
  const costsByScript = scripts.map((script) =>
    comparableCosts(
      variants.flatMap((v) => {
        const layer = v.layers.find((l) => l.script === script);
        return layer ? [{ layer, idle: v.idle_cores }] : [];
      }),
    ),
  );
  return variants.map((v, i) => ({ ...v, costs: costsByScript.map((costs) => costs[i]).filter((c): c is LayerCost => c !== undefined) }));
}

/** Each process's CPU while nothing is offered: timers, pings, the worker's stream polling. Taken out of every cost. */
async function measureIdle(pids: () => Record<string, number | undefined>): Promise<IdleCores> {
  const sampler = startSampler({ metricsUrl: `${stack?.serviceUrl}/metrics`, pids });
  await new Promise((resolve) => setTimeout(resolve, 4_000));
  const snapshots = sampler.stop();
  const first = snapshots[0]?.atMs ?? 0;
  const { server } = summariseWindow(snapshots, first + 500, Number.POSITIVE_INFINITY);
  return Object.fromEntries(PROCESSES.map((p) => [p, server.cpuCores[p]])) as IdleCores;
}

try {
  progress.log(
    `bench ${runId}: profile ${profile}, SLO p99 ≤ ${rule.sloP99Ms} ms and errors ≤ ${rule.sloErrorRate * 100}%, ${steps.length} scripts` +
      (comparison ? `, comparing ${comparison.variants.map((v) => v.id).join(" / ")}` : ""),
  );
  const ports = { service: await freePort(), postgres: await freePort(), redis: await freePort(), mockSms: await freePort() };
  const inspectPort = await freePort();
  stack = await startLocalStack({
    stateDir: stackDir,
    ports,
    durablePostgres: true,
    postgresMaxConnections: 200,
    serviceEnv: serviceConfig,
    // The inspector stays closed until the profiler opens it (SIGUSR1): no cost before then.
    serviceNodeArgs: [`--inspect-port=127.0.0.1:${inspectPort}`],
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
  progress.log("LAYER_ENDPOINTS_ENABLED=true: the unauthenticated /layers/* endpoints are on for the ladder (never in production)");

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

  const variants: Variant[] = comparison?.variants ?? [{ id: "default", label: "the service's defaults" }];
  const estimate = (step: LadderStep) => timing.warmupSeconds + step.rates[profile].length * timing.plateauSeconds + 4;
  const profiles: ProfileResult[] = [];
  const variantResults: Omit<ComparisonResult["variants"][number], "costs">[] = [];

  const pidsFor = (step: LadderStep | undefined) => () => ({
    service: step?.target === "bare" ? bare.child.pid : stack?.service.child.pid,
    worker: step?.target === "bare" ? undefined : stack?.worker?.child.pid,
    postgres: stack?.postgres.pid(),
    redis: stack?.redis.pid(),
    mockSms: step?.target === "bare" ? undefined : stack?.mockSms.child.pid,
    k6: k6Pid,
  });

  for (const [variantIndex, variant] of variants.entries()) {
    if (interrupted) break;
    if (variantIndex > 0) {
      progress.log(`variant ${variant.id}: restarting the service (${variant.label})`);
      await stack.restartService(variant);
    }
    progress.update(`variant ${variant.id}: measuring idle CPU…`);
    const idle = await measureIdle(pidsFor(undefined));
    const layers: LayerResult[] = [];
    const variantSteps = steps.filter((step) => variantIndex === 0 || step.target === "service");
    for (const [index, step] of variantSteps.entries()) {
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
      const remainingAfterS =
        variantSteps.slice(index + 1).reduce((total, s) => total + estimate(s), 0) +
        (variants.length - variantIndex - 1) * steps.reduce((total, s) => total + estimate(s), 0);
      const label = `${variants.length > 1 ? `${variant.id} ` : ""}[${index + 1}/${variantSteps.length}] ${step.script}`;
      const stepDir = variants.length > 1 ? join(outDir, variant.id) : outDir;
      const runStep = async (rates: number[], pass: string, timingOverride?: { warmupSeconds: number; plateauSeconds: number }) => {
        const dir = pass === "" ? stepDir : join(stepDir, pass);
        mkdirSync(dir, { recursive: true });
        const sampler = startSampler({ metricsUrl: `${stack?.serviceUrl}/metrics`, pids: pidsFor(step) });
        const result = await runK6({
          scriptsDir: join(repoRoot, "k6", "scripts"),
          script: step.script,
          env: k6Env,
          rates,
          warmupSeconds: timingOverride?.warmupSeconds ?? timing.warmupSeconds,
          plateauSeconds: timingOverride?.plateauSeconds ?? timing.plateauSeconds,
          outDir: dir,
          progress,
          label: `${label}${pass ? ` (${pass})` : ""}`,
          remainingAfterS,
          onStart: (child) => {
            k6Pid = child.pid;
          },
        });
        k6Pid = undefined;
        const snapshots = sampler.stop();
        if (!result.summary) progress.log(`${step.script}: k6 exited ${result.exitCode} without a summary:\n${result.log.slice(-2000)}`);
        return { summary: result.summary, snapshots };
      };
      const measure = async (rates: number[], pass: string) => {
        const { summary, snapshots } = await runStep(rates, pass);
        if (!summary) return [];
        return plateauResults(summary, snapshots, ruleForStep(rule, step));
      };
      let plateaus = await measure(step.rates[profile], "");
      if (interrupted) break;
      const refine = refinementRates(plateaus, timing.refinementSteps);
      if (refine.length > 0) {
        plateaus = mergePasses(plateaus, await measure(refine, "refine"));
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
        `${label}: ${last.capacity_rps === null ? `no capacity (${last.limited_by})` : `${last.capacity_rps.toLocaleString("en-US")} req/s, p99 ${last.p99_ms_at_capacity?.toFixed(1)} ms (${last.limited_by})`}`,
      );

      // The flow's CPU profile, in a plateau of its own at the rate its cost comes from.
      const servicePid = stack.service.child.pid;
      if (variantIndex === 0 && profiled.has(step.script) && step.target === "service" && servicePid !== undefined && !interrupted) {
        const rate = profileRate(layerCost(last, idle).plateaus_rps, step.rates[profile][0] ?? 50);
        try {
          const result = await profilePass({
            script: step.script,
            layer: step.layer,
            pid: servicePid,
            inspectPort,
            outDir,
            offeredRps: rate,
            runPlateau: async () => {
              const { summary } = await runStep([rate], "profile", {
                warmupSeconds: 2,
                plateauSeconds: Math.max(6, timing.plateauSeconds),
              });
              const plateau = summary?.plateaus[0];
              return summary && plateau ? { mainStartedAtMs: summary.mainStartedAtMs, plateau } : null;
            },
          });
          if (result) {
            profiles.push(result);
            const top = result.categories
              .slice(0, 4)
              .map((c) => `${c.label.split(":")[0]} ${Math.round(c.share_of_busy * 100)}%`)
              .join(", ");
            progress.log(`${label}: CPU profile at ${rate} req/s → ${result.file} (${top})`);
          }
        } catch (error) {
          progress.log(`${label}: no CPU profile (${(error as Error).message})`);
        }
      }
    }
    variantResults.push({
      id: variant.id,
      label: variant.label,
      env: { ...variant.env, ...(variant.separateWorker ? { SMS_WORKER_ENABLED: "false" } : {}) },
      separate_worker: variant.separateWorker ?? false,
      idle_cores: Object.fromEntries(PROCESSES.map((p) => [p, idle[p] ?? null])) as ComparisonResult["variants"][number]["idle_cores"],
      layers,
    });
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
  const main = variantResults[0];
  if (!main) throw new Error("no variant was measured");
  const environment = describeEnvironment({ k6Bin, pgBinDir: stack.postgres.binDir, repoRoot, config });
  const costModel = buildCostModel(main.layers, main.idle_cores, environment.host.cores);
  const comparisonResult: ComparisonResult | null = comparison
    ? {
        id: comparison.id,
        title: comparison.title,
        question: comparison.question,
        variants: comparisonVariants(variantResults),
      }
    : null;
  const partial = {
    mode: comparison?.id ?? "ladder",
    layers: main.layers,
    target_rps: targetRps,
    slo: { p99_ms: rule.sloP99Ms, error_rate: rule.sloErrorRate },
    environment,
    cost_model: costModel,
    profiles,
    comparison: comparisonResult,
  } as const;
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
    targets: checkTargets(partial),
    validity: validityChecks({ ...partial, baselines }, environment.host.cores),
  };
  writeFileSync(join(outDir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  await cleanUp();
  stack = undefined;
  stopBare = undefined;
  for (const target of results.targets) {
    progress.log(
      `target ${target.met === null ? "–" : target.met ? "✓" : "✗"} ${target.title}: ${target.measured_text} (target ${target.target_text})${target.why_missed ? `; ${target.why_missed}` : ""}`,
    );
  }
  execFileSync(process.execPath, [join(repoRoot, "k6", "report", "render-report.ts"), outDir], { stdio: "inherit" });
  progress.log(
    `\nreport: ${join(outDir, "report.html")} (and report.md, results.json) after ${clock((Date.now() - startedAt.getTime()) / 1000)}`,
  );
} catch (error) {
  progress.log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await cleanUp();
  process.exit(1);
}
