// The otp-operator's controller manager: `node operator/src/main.ts`. Configuration comes from the
// environment (runtime/config.ts), the cluster from KUBECONFIG or the Pod's ServiceAccount. Controllers
// run only while this process holds the leader Lease; SIGTERM stops the informers, lets the reconciles
// in flight finish, releases the Lease (a standby takes over at once) and exits 0.
import { createOtpTenantController } from "./otp-tenant/controller.ts";
import { createTenantTable } from "./otp-tenant/tenant-table.ts";
import { loadConfig, type OperatorConfig } from "./runtime/config.ts";
import type { Controller } from "./runtime/controller.ts";
import { createEventRecorder } from "./runtime/events.ts";
import { startHttpServer } from "./runtime/http-server.ts";
import { connectKube } from "./runtime/kube.ts";
import { createLeaderElector, type LeaderElector } from "./runtime/leader-election.ts";
import { createLogger } from "./runtime/logger.ts";
import { createMetrics } from "./runtime/metrics.ts";

let config: OperatorConfig;
try {
  config = loadConfig();
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}

const logger = createLogger(config.logLevel);
const metrics = createMetrics();
const kube = connectKube();
const table = config.database ? createTenantTable(config.database.url, config.database.poolMax) : undefined;
const identity = config.leaderElection.enabled ? config.leaderElection.identity : `otp-operator-${process.pid}`;
const events = createEventRecorder(kube.core, "otp-operator", identity, logger);

let controllers: Controller[] = [];
// Leadership changes are serialised, so a stop never overlaps the start of the next term.
let transition: Promise<void> = Promise.resolve();

function startControllers(): Promise<void> {
  transition = transition.then(async () => {
    controllers = [
      ...(config.controllers.otpTenant && table ? [createOtpTenantController(kube, config, { table, events, logger, metrics })] : []),
      // Loaded only when enabled: it pulls in cdk8s, the typed k6-operator constructs and the ladder's modules.
      ...(config.controllers.capacityBenchmark
        ? [(await import("./capacity-benchmark/runtime.ts")).createCapacityBenchmarkController(kube, config, { logger, metrics })]
        : []),
    ];
    await Promise.all(controllers.map((c) => c.start()));
  });
  return transition;
}

function stopControllers(): Promise<void> {
  transition = transition.then(async () => {
    const stopping = controllers;
    controllers = [];
    await Promise.all(stopping.map((c) => c.stop()));
  });
  return transition;
}

let elector: LeaderElector | undefined;
const leaseLabel = config.leaderElection.enabled ? `${config.leaderElection.namespace}/${config.leaderElection.name}` : "none";
metrics.leader.set({ lease: leaseLabel }, 0);

const http = await startHttpServer({
  host: config.metrics.host,
  port: config.metrics.port,
  registry: metrics.registry,
  // A standby is ready (healthy, waiting for the Lease); a leader once its caches are synced.
  ready: () => controllers.every((c) => c.synced),
});
logger.info(
  { port: http.port, identity, watchNamespace: config.watchNamespace ?? "(all)", controllers: config.controllers },
  "otp-operator listening",
);

if (config.leaderElection.enabled) {
  elector = createLeaderElector({
    ...config.leaderElection,
    api: kube.coordination,
    logger,
    onStartedLeading: async () => {
      metrics.leader.set({ lease: leaseLabel }, 1);
      await startControllers();
    },
    onStoppedLeading: async () => {
      metrics.leader.set({ lease: leaseLabel }, 0);
      await stopControllers();
    },
  });
  void elector.run().catch((error) => {
    logger.fatal({ err: error }, "leader election failed");
    process.exit(1);
  });
} else {
  await startControllers();
}

let shuttingDown = false;
async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info({ signal }, "stopping: informers, then reconciles in flight, then the Lease");
  const deadline = setTimeout(() => {
    logger.error("graceful stop took too long; exiting");
    process.exit(1);
  }, config.shutdownTimeoutMs);
  deadline.unref();
  if (elector) await elector.stop();
  else await stopControllers();
  await http.close();
  await table?.end();
  logger.info("stopped");
  process.exit(0);
}

process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
