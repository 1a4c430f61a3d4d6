// The whole local environment on loopback ports: PostgreSQL, Redis, the mock SMS provider,
// migrations, seeded tenants and the service. Shared by `make run` and the benchmark runner so both
// run the same thing the same way.
import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type ManagedProcess, startProcess, waitForPort } from "./managed-process.ts";
import { assertPortsFree, freePort } from "./ports.ts";
import { createPostgres, type PostgresServer } from "./postgres.ts";
import { createRedis, type RedisServer } from "./redis.ts";

export const APP_MAIN = join(import.meta.dirname, "..", "..", "app", "dist", "main.js");

export interface SeededTenant {
  id: string;
  name: string;
  apiKey: string;
}

export interface LocalStackOptions {
  stateDir: string;
  ports: { service: number; postgres: number; redis: number; mockSms: number };
  serviceEnv?: Record<string, string>;
  /** Node.js options for the service (and a separate worker), e.g. --inspect-port for the profiler. */
  serviceNodeArgs?: string[];
  mockSmsEnv?: Record<string, string>;
  /** Arguments to `otp-service seed`; its JSON output is kept in stateDir/tenants.json. */
  seedArgs?: string[];
  seedEnv?: Record<string, string>;
  echoServiceLogs?: boolean;
  /** Keep PostgreSQL's durable defaults (benchmarks); tests and `make run` may trade them for speed. */
  durablePostgres?: boolean;
  postgresMaxConnections?: number;
}

export interface LocalStack {
  serviceUrl: string;
  mockSmsUrl: string;
  postgresUrl: string;
  redisUrl: string;
  tenantsFile: string;
  tenants: SeededTenant[];
  postgres: PostgresServer;
  redis: RedisServer;
  /** The current service process (restartService replaces it). */
  service: ManagedProcess;
  /** The SMS worker as its own process (`otp-service worker`), when the service runs without one. */
  worker: ManagedProcess | undefined;
  mockSms: ManagedProcess;
  serviceExited: Promise<number | null>;
  /**
   * Stops the service (and its separate worker) gracefully, then starts it again with `serviceEnv` merged
   * with `env`; `separateWorker` runs the SMS worker as its own process on its own port.
   */
  restartService(change: ServiceVariant): Promise<void>;
  /** Stops the service (graceful), then the mock provider, Redis and PostgreSQL; resolves with the service's exit code. */
  stop(): Promise<number | null>;
}

export interface ServiceVariant {
  env?: Record<string, string>;
  separateWorker?: boolean;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  await assertPortsFree(options.ports);
  chmodSync(options.stateDir, 0o755);
  const postgres = await createPostgres({
    dir: options.stateDir,
    port: options.ports.postgres,
    durable: options.durablePostgres ?? false,
    ...(options.postgresMaxConnections ? { maxConnections: options.postgresMaxConnections } : {}),
  });
  const redis = await createRedis({ dir: options.stateDir, port: options.ports.redis });
  const mockSmsUrl = `http://127.0.0.1:${options.ports.mockSms}`;
  const baseEnv = { PATH: process.env.PATH ?? "", NODE_ENV: "development", DATABASE_URL: postgres.url, REDIS_URL: redis.url };
  const env = { ...baseEnv, PORT: String(options.ports.service), HOST: "127.0.0.1", SMS_PROVIDER_URL: mockSmsUrl, ...options.serviceEnv };

  execFileSync(process.execPath, [APP_MAIN, "migrate"], {
    env: { ...baseEnv, LOG_LEVEL: "warn" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const tenantsFile = join(options.stateDir, "tenants.json");
  execFileSync(process.execPath, [APP_MAIN, "seed", ...(options.seedArgs ?? []), "--output", tenantsFile], {
    env: { ...baseEnv, LOG_LEVEL: "warn", ...options.seedEnv },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const tenants = (JSON.parse(readFileSync(tenantsFile, "utf8")) as { tenants: SeededTenant[] }).tenants;

  const mockSms = startProcess({
    name: "mock-sms",
    command: process.execPath,
    args: [APP_MAIN, "mock-sms"],
    env: {
      PATH: baseEnv.PATH,
      MOCK_SMS_HOST: "127.0.0.1",
      MOCK_SMS_PORT: String(options.ports.mockSms),
      LOG_LEVEL: "warn",
      ...options.mockSmsEnv,
    },
    logFile: join(options.stateDir, "mock-sms.log"),
    detached: true,
  });
  await waitForPort(options.ports.mockSms, { process: mockSms });

  const serviceUrl = `http://127.0.0.1:${options.ports.service}`;
  const startService = async (variant: ServiceVariant) => {
    const variantEnv = { ...env, ...variant.env, ...(variant.separateWorker ? { SMS_WORKER_ENABLED: "false" } : {}) };
    const service = startProcess({
      name: "otp-service",
      command: process.execPath,
      args: [...(options.serviceNodeArgs ?? []), APP_MAIN, "serve"],
      env: variantEnv,
      logFile: join(options.stateDir, "service.log"),
      echo: options.echoServiceLogs ?? false,
      detached: true,
    });
    await waitForPort(options.ports.service, { process: service });
    await waitForReady(serviceUrl);
    if (!variant.separateWorker) return { service, worker: undefined };
    const workerPort = await freePort();
    const worker = startProcess({
      name: "otp-worker",
      command: process.execPath,
      args: [APP_MAIN, "worker"],
      env: { ...variantEnv, PORT: String(workerPort) },
      logFile: join(options.stateDir, "worker.log"),
      detached: true,
    });
    await waitForPort(workerPort, { process: worker });
    await waitForReady(`http://127.0.0.1:${workerPort}`);
    return { service, worker };
  };
  const stopService = async (running: { service: ManagedProcess; worker: ManagedProcess | undefined }) => {
    const code = await running.service.stop("SIGTERM", 60_000);
    await running.worker?.stop("SIGTERM", 60_000);
    return code;
  };
  const first = await startService({});

  const stack: LocalStack = {
    serviceUrl,
    mockSmsUrl,
    postgresUrl: postgres.url,
    redisUrl: redis.url,
    tenantsFile,
    tenants,
    postgres,
    redis,
    service: first.service,
    worker: first.worker,
    mockSms,
    serviceExited: first.service.exited,
    async restartService(variant) {
      await stopService(stack);
      const next = await startService(variant);
      stack.service = next.service;
      stack.worker = next.worker;
      stack.serviceExited = next.service.exited;
    },
    async stop() {
      const code = await stopService(stack);
      await mockSms.stop("SIGTERM", 10_000);
      await Promise.allSettled([redis.stop(), postgres.stop()]);
      return code;
    },
  };
  return stack;
}

async function waitForReady(url: string): Promise<void> {
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    try {
      if ((await fetch(`${url}/ready`)).status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url}/ready did not answer 200 within 30 s`);
}
