// The whole local environment on loopback ports: PostgreSQL, Redis, migrations and the service.
// Shared by `make run` and the benchmark runner so both run the same thing the same way.
import { execFileSync } from "node:child_process";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { type ManagedProcess, startProcess, waitForPort } from "./managed-process.ts";
import { createPostgres, type PostgresServer } from "./postgres.ts";
import { createRedis, type RedisServer } from "./redis.ts";

export const APP_MAIN = join(import.meta.dirname, "..", "..", "app", "dist", "main.js");

export interface LocalStackOptions {
  stateDir: string;
  ports: { service: number; postgres: number; redis: number };
  serviceEnv?: Record<string, string>;
  echoServiceLogs?: boolean;
  /** Keep PostgreSQL's durable defaults (benchmarks); tests and `make run` may trade them for speed. */
  durablePostgres?: boolean;
}

export interface LocalStack {
  serviceUrl: string;
  postgresUrl: string;
  redisUrl: string;
  postgres: PostgresServer;
  redis: RedisServer;
  service: ManagedProcess;
  serviceExited: Promise<number | null>;
  /** Stops the service (graceful), then Redis and PostgreSQL; resolves with the service's exit code. */
  stop(): Promise<number | null>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  chmodSync(options.stateDir, 0o755);
  const postgres = await createPostgres({ dir: options.stateDir, port: options.ports.postgres, durable: options.durablePostgres ?? false });
  const redis = await createRedis({ dir: options.stateDir, port: options.ports.redis });
  const env = {
    PATH: process.env.PATH ?? "",
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    PORT: String(options.ports.service),
    HOST: "127.0.0.1",
    ...options.serviceEnv,
  };
  execFileSync(process.execPath, [APP_MAIN, "migrate"], { env, stdio: ["ignore", "ignore", "inherit"] });
  const service = startProcess({
    name: "otp-service",
    command: process.execPath,
    args: [APP_MAIN, "serve"],
    env,
    logFile: join(options.stateDir, "service.log"),
    echo: options.echoServiceLogs ?? false,
    detached: true,
  });
  await waitForPort(options.ports.service, { process: service });
  const serviceUrl = `http://127.0.0.1:${options.ports.service}`;
  await waitForReady(serviceUrl);

  return {
    serviceUrl,
    postgresUrl: postgres.url,
    redisUrl: redis.url,
    postgres,
    redis,
    service,
    serviceExited: service.exited,
    async stop() {
      const code = await service.stop("SIGTERM", 60_000);
      await Promise.allSettled([redis.stop(), postgres.stop()]);
      return code;
    },
  };
}

async function waitForReady(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/ready`)).status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url}/ready did not answer 200 within 30 s`);
}
