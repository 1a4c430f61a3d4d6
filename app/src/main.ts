#!/usr/bin/env node
// Composition root: config → telemetry → clients → HTTP app → lifecycle, wired by hand.
// Only config and tracing are imported up front. Everything that loads express, pg, ioredis or
// http is imported after tracing starts, so the OpenTelemetry instrumentations can patch them.
import { ConfigError, loadConfig } from "./config/load-config";
import type { Config } from "./config/schema";
import { startTracing, type Tracing } from "./telemetry/tracing";

const COMMANDS = ["serve", "migrate"] as const;
type Command = (typeof COMMANDS)[number];

const USAGE = `usage: otp-service [${COMMANDS.join("|")}]   (default: serve)`;

async function main(argv: string[]): Promise<void> {
  const command = (argv[0] ?? "serve") as Command;
  if (!COMMANDS.includes(command)) {
    process.stderr.write(`unknown command "${argv[0]}"\n${USAGE}\n`);
    process.exit(2);
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  const tracing = startTracing({ serviceName: config.serviceName });
  if (command === "migrate") await runMigrate(config, tracing);
  else await serve(config, tracing);
}

async function serve(config: Config, tracing: Tracing): Promise<void> {
  const { createLogger } = await import("./telemetry/logger.js");
  const { createRegistry, createHttpMetrics } = await import("./telemetry/metrics.js");
  const { createPostgresPool, pingPostgres } = await import("./stores/postgres.js");
  const { createRedisClient, pingRedis } = await import("./stores/redis.js");
  const { createLifecycle } = await import("./lifecycle/lifecycle.js");
  const { createDependencyMonitor } = await import("./lifecycle/dependency-monitor.js");
  const { gracefulShutdown, exitOnSignals } = await import("./lifecycle/graceful-shutdown.js");
  const { createApp } = await import("./http/create-app.js");
  const { createHttpServer } = await import("./http/http-server.js");
  const { SERVICE_VERSION } = await import("./version.js");

  const logger = createLogger({ level: config.log.level, serviceName: config.serviceName });
  const registry = createRegistry(config.serviceName);
  const lifecycle = createLifecycle(registry);

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

  // HTTP app and server.
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
  });
  const server = createHttpServer(app, config.http);

  // Lifecycle: listen at once so /live answers; ready once the dependencies have answered.
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
          backgroundWork: [{ name: "dependency monitor", run: () => dependencies.stop() }],
          clients: [
            { name: "postgres", run: () => pool.end() },
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
  const port = await server.listen(config.http.port, config.http.host);
  logger.info({ host: config.http.host, port, version: SERVICE_VERSION }, "listening");
  // Ready the first time every dependency has answered; later outages only fail /ready.
  dependencies.onChecked(() => {
    if (lifecycle.state === "starting" && dependencies.allHealthy()) {
      lifecycle.transition("ready");
      logger.info({ dependencies: dependencies.snapshot() }, "ready");
    }
  });
  dependencies.start();
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
      const result = await migrate(client);
      logger.info(result, "migrations done");
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

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
