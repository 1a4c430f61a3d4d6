#!/usr/bin/env node
// Composition root: config → telemetry → clients → HTTP app → lifecycle, wired by hand.
// Only config and tracing are imported up front. Everything that loads express, pg, ioredis or
// http is imported after tracing starts, so the OpenTelemetry instrumentations can patch them.
import { ConfigError, loadConfig } from "./config/load-config";
import type { Config } from "./config/schema";
import { startTracing, type Tracing } from "./telemetry/tracing";

const COMMANDS = {
  serve: "the HTTP service (and, unless SMS_WORKER_ENABLED=false, the SMS worker)",
  worker: "the SMS worker alone, to scale delivery separately",
  migrate: "apply the SQL migrations, then exit",
  seed: "create demo tenants: [--tenants N] [--prefix P] [--phone-limit N] [--daily-cap N] [--max-verify-attempts N] [--max-consecutive-failures N] [--failure-window-seconds S] [--output FILE]",
  "redrive-dead-letters": "move dead-lettered SMS jobs back onto the job stream: [--limit N] [--dry-run]",
  "mock-sms": "the mock SMS provider (MOCK_SMS_* settings)",
  openapi: "print the OpenAPI document",
} as const;
type Command = keyof typeof COMMANDS;

const USAGE = `usage: otp-service <command>  (default: serve)\n${Object.entries(COMMANDS)
  .map(([name, what]) => `  ${name.padEnd(9)} ${what}`)
  .join("\n")}`;

async function main(argv: string[]): Promise<void> {
  const command = (argv[0] ?? "serve") as Command;
  if (!(command in COMMANDS)) {
    process.stderr.write(`unknown command "${argv[0]}"\n${USAGE}\n`);
    process.exit(2);
  }
  if (command === "mock-sms") {
    // A stand-in for an external system: its own settings, no database, no service tracing.
    const { runMockSms } = await import("./mock-sms/main.js");
    try {
      return await runMockSms(process.env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
  }
  if (command === "openapi") {
    const { buildOpenApiDocument } = await import("./http/openapi.js");
    const { SERVICE_VERSION } = await import("./version.js");
    process.stdout.write(`${JSON.stringify(buildOpenApiDocument(SERVICE_VERSION), null, 2)}\n`);
    return;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  const tracing = startTracing({
    serviceName: command === "worker" ? `${config.serviceName}-worker` : config.serviceName,
    sampler: config.tracing.sampler,
  });
  switch (command) {
    case "migrate":
      return runMigrate(config, tracing);
    case "seed":
      return runSeed(config, tracing, argv.slice(1));
    case "redrive-dead-letters": {
      const { runRedriveDeadLetters } = await import("./commands/redrive-dead-letters.js");
      return runRedriveDeadLetters(config, tracing, argv.slice(1));
    }
    default:
      return runService(config, tracing, command === "worker" ? "worker" : "serve");
  }
}

async function runService(config: Config, tracing: Tracing, mode: "serve" | "worker"): Promise<void> {
  const { createLogger } = await import("./telemetry/logger.js");
  const { createRegistry, createHttpMetrics } = await import("./telemetry/metrics.js");
  const { createOtpMetrics } = await import("./telemetry/otp-metrics.js");
  const { createPostgresPool, pingPostgres } = await import("./stores/postgres.js");
  const { createRedisClient, pingRedis } = await import("./stores/redis.js");
  const { createPostgresTenantDirectory } = await import("./stores/tenant-store.js");
  const { createCachedTenantDirectory } = await import("./stores/cached-tenant-directory.js");
  const { createRedisOtpStore } = await import("./stores/redis-otp-store.js");
  const { createSendLogWriter } = await import("./stores/send-log-writer.js");
  const { deriveKeys } = await import("./domain/secrets.js");
  const { createOtpService } = await import("./domain/otp/otp-service.js");
  const { createSmsProviderClient } = await import("./adapters/http-sms-provider.js");
  const { createRedisSmsWorker } = await import("./adapters/sms-worker.js");
  const { systemClock } = await import("./shared/clock.js");
  const { createLifecycle } = await import("./lifecycle/lifecycle.js");
  const { createDependencyMonitor } = await import("./lifecycle/dependency-monitor.js");
  const { gracefulShutdown, exitOnSignals } = await import("./lifecycle/graceful-shutdown.js");
  const { createApp } = await import("./http/create-app.js");
  const { createHttpServer } = await import("./http/http-server.js");
  const { registerOtpRoutes } = await import("./http/routes/otp.js");
  const { registerLayerRoutes } = await import("./http/routes/layers.js");
  const { registerOpenApiRoute } = await import("./http/routes/openapi.js");
  const { buildOpenApiDocument } = await import("./http/openapi.js");
  const { SERVICE_VERSION } = await import("./version.js");

  const logger = createLogger({ level: config.log.level, serviceName: config.serviceName });
  const registry = createRegistry(config.serviceName);
  const lifecycle = createLifecycle(registry);
  const keys = deriveKeys(config.otp.secret);

  // Clients. The health pool is separate so a saturated request pool cannot fail readiness.
  const pool = createPostgresPool(config.postgres, { logger, registry, name: "requests" });
  const healthPool = createPostgresPool(config.postgres, { logger, name: "health", max: 1 });
  const redis = createRedisClient(config.redis, { logger, registry, name: "requests" });
  const dependencies = createDependencyMonitor({
    checks: [
      { name: "postgres", ping: pingPostgres(healthPool) },
      { name: "redis", ping: pingRedis(redis) },
    ],
    ...config.readiness,
    logger,
    registry,
  });

  // SMS delivery: outcomes go to PostgreSQL in batches; the worker runs here unless disabled.
  // The send log has its own small pool so batch flushes and request queries never queue behind each other.
  const sendLogPool = createPostgresPool(config.postgres, { logger, name: "send-log", max: 2 });
  const sendLog = createSendLogWriter({ pool: sendLogPool, ...config.sendLog, logger, registry });
  const worker =
    mode === "worker" || config.sms.workerEnabled
      ? createRedisSmsWorker({
          redis,
          sms: config.sms,
          keys,
          provider: createSmsProviderClient({ baseUrl: config.sms.providerUrl, timeoutMs: config.sms.timeoutMs }),
          sendLog,
          logger,
          registry,
          clock: systemClock,
        })
      : undefined;

  // Domain and HTTP app.
  const uncachedTenants = createPostgresTenantDirectory(pool);
  const tenants =
    config.otp.tenantCacheTtlMs > 0
      ? createCachedTenantDirectory(uncachedTenants, { ttlMs: config.otp.tenantCacheTtlMs, registry })
      : uncachedTenants;
  const otp = createOtpService({
    store: createRedisOtpStore(redis, config.sms.streamKey),
    keys,
    lockoutSeconds: config.otp.lockoutSeconds,
    lockoutMaxSeconds: config.otp.lockoutMaxSeconds,
    shedding: {
      maxBacklog: config.sms.maxBacklog,
      backlogAgeRatio: config.sms.shedBacklogAgeRatio,
      retryAfterSeconds: config.sms.shedRetryAfterSeconds,
    },
    outcomes: createOtpMetrics(registry),
  });
  const app = createApp({
    logger,
    registry,
    httpMetrics: createHttpMetrics(registry),
    lifecycle,
    dependencies,
    version: SERVICE_VERSION,
    startedAt: new Date(),
    bodyLimitBytes: config.http.bodyLimitBytes,
    accessLogEnabled: config.log.accessLog,
    testErrorEndpointEnabled: config.testErrorEndpointEnabled,
    extraRoutes:
      mode === "serve"
        ? [
            (router) => registerOtpRoutes(router, { tenants, otp }),
            (router) => registerOpenApiRoute(router, buildOpenApiDocument(SERVICE_VERSION)),
            ...(config.layerEndpointsEnabled
              ? [
                  (router: Parameters<typeof registerOtpRoutes>[0]) =>
                    registerLayerRoutes(router, { keys, tenants: uncachedTenants, pool, redis }),
                ]
              : []),
          ]
        : [],
  });
  // The worker mode serves only probes and /metrics; the OTP API is not mounted there.
  const server = createHttpServer(app, { ...config.http, trustInboundTraceContext: config.tracing.trustInboundContext });

  exitOnSignals(
    (reason: string) =>
      gracefulShutdown(
        {
          lifecycle,
          logger,
          drainDelayMs: config.shutdown.drainDelayMs,
          timeoutMs: config.shutdown.timeoutMs,
          closeServer: () => server.close(),
          destroyConnections: () => server.destroyAll(),
          backgroundWork: [
            // The worker finishes its in-flight jobs; then the send log flushes what they recorded.
            ...(worker ? [{ name: "sms worker", run: () => worker.stop() }] : []),
            { name: "send log", run: () => sendLog.close() },
            { name: "dependency monitor", run: () => dependencies.stop() },
          ],
          clients: [
            { name: "postgres", run: () => pool.end() },
            { name: "postgres send-log", run: () => sendLogPool.end() },
            { name: "postgres health", run: () => healthPool.end() },
            { name: "redis", run: () => redis.quit().catch(() => redis.disconnect()) },
          ],
          telemetry: [
            { name: "tracing", run: () => tracing.shutdown() },
            { name: "logs", run: () => new Promise<void>((resolve) => logger.flush(() => resolve())) },
          ],
        },
        reason,
      ),
    (code: number) => process.exit(code),
    logger,
  );

  // Lifecycle: listen at once so /live answers; ready the first time every dependency has answered
  // (later outages only fail /ready).
  const port = await server.listen(config.http.port, config.http.host);
  logger.info({ mode, host: config.http.host, port, version: SERVICE_VERSION, smsWorker: Boolean(worker) }, "listening");
  dependencies.onChecked(() => {
    if (lifecycle.state === "starting" && dependencies.allHealthy()) {
      lifecycle.transition("ready");
      logger.info({ dependencies: dependencies.snapshot() }, "ready");
    }
  });
  dependencies.start();
  await worker?.start();
}

async function runMigrate(config: Config, tracing: Tracing): Promise<void> {
  const { createLogger } = await import("./telemetry/logger.js");
  const { createPostgresPool } = await import("./stores/postgres.js");
  const { migrate } = await import("./stores/migrate.js");
  const logger = createLogger({ level: config.log.level, serviceName: config.serviceName });
  const pool = createPostgresPool(config.postgres, { logger, name: "migrate", max: 1 });
  let exitCode = 0;
  try {
    const client = await pool.connect();
    try {
      logger.info(await migrate(client), "migrations done");
    } finally {
      client.release();
    }
  } catch (error) {
    logger.error({ err: error }, "migration failed");
    exitCode = 1;
  } finally {
    await pool.end();
    await tracing.shutdown();
    logger.flush();
  }
  process.exit(exitCode);
}

async function runSeed(config: Config, tracing: Tracing, argv: string[]): Promise<void> {
  const { writeFileSync } = await import("node:fs");
  const pino = (await import("pino")).default;
  const { createLogger } = await import("./telemetry/logger.js");
  const { createPostgresPool } = await import("./stores/postgres.js");
  const { demoTenants, upsertTenants } = await import("./stores/tenant-seeder.js");
  const { parseSeedArguments } = await import("./commands/seed-arguments.js");
  let args: ReturnType<typeof parseSeedArguments>;
  try {
    args = parseSeedArguments(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  // Logs go to stderr: stdout carries the seeded tenants as JSON for scripts.
  const logger = createLogger({ level: config.log.level, serviceName: config.serviceName, destination: pino.destination(2) });
  const pool = createPostgresPool(config.postgres, { logger, name: "seed", max: 1 });
  const limits = {
    phoneSendLimit: args["phone-limit"],
    dailySendCap: args["daily-cap"],
    maxVerifyAttempts: args["max-verify-attempts"],
    maxConsecutiveFailures: args["max-consecutive-failures"],
    failureWindowSeconds: args["failure-window-seconds"],
  };
  const wanted = demoTenants(config.otp.secret, args.prefix, args.tenants, limits);
  const demoKey = process.env.DEMO_API_KEY;
  if (demoKey) wanted.unshift({ name: "demo", apiKey: demoKey, ...limits });
  let exitCode = 0;
  try {
    const tenants = await upsertTenants(pool, wanted);
    const output = `${JSON.stringify({ tenants }, null, 2)}\n`;
    if (args.output) writeFileSync(args.output, output, { mode: 0o600 });
    else process.stdout.write(output);
    logger.info({ tenants: tenants.length, output: args.output ?? "stdout" }, "tenants seeded");
  } catch (error) {
    logger.error({ err: error }, "seeding failed");
    exitCode = 1;
  } finally {
    await pool.end();
    await tracing.shutdown();
  }
  process.exit(exitCode);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
