// The whole local environment on loopback ports: PostgreSQL, Redis, the mock SMS provider,
// migrations, seeded tenants and the service. Shared by `make run` and the benchmark runner so both
// run the same thing the same way.
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { migrate, type SeededTenant, seed } from "./app-cli.ts";
import { type MockSmsProcess, startMockSms } from "./mock-sms.ts";
import { assertPortsFree } from "./ports.ts";
import { createPostgres, type PostgresServer } from "./postgres.ts";
import { createRedis, type RedisServer } from "./redis.ts";
import { type ServiceProcess, startService } from "./service-process.ts";

export type { SeededTenant } from "./app-cli.ts";

export interface LocalStackOptions {
  stateDir: string;
  ports: { service: number; postgres: number; redis: number; mockSms: number };
  serviceEnv?: Record<string, string>;
  /** Node.js options for the service (not a separate worker), e.g. --inspect-port for the profiler. */
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
  service: ServiceProcess;
  /** The SMS worker as its own process (`otp-service worker`), when the service runs without one. */
  worker: ServiceProcess | undefined;
  mockSms: MockSmsProcess;
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
  const baseEnv = { NODE_ENV: "development", DATABASE_URL: postgres.url, REDIS_URL: redis.url };
  const env = { ...baseEnv, SMS_PROVIDER_URL: `http://127.0.0.1:${options.ports.mockSms}`, ...options.serviceEnv };
  migrate(postgres.url, baseEnv);
  const tenantsFile = join(options.stateDir, "tenants.json");
  const tenants = seed({ databaseUrl: postgres.url, args: options.seedArgs, output: tenantsFile, env: { ...baseEnv, ...options.seedEnv } });
  const mockSms = await startMockSms({ dir: options.stateDir, port: options.ports.mockSms, env: options.mockSmsEnv });

  const startServices = async (variant: ServiceVariant) => {
    const variantEnv = { ...env, ...variant.env, ...(variant.separateWorker ? { SMS_WORKER_ENABLED: "false" } : {}) };
    const common = { keepOutput: false, env: variantEnv };
    const service = await startService({
      ...common,
      port: options.ports.service,
      nodeArgs: options.serviceNodeArgs,
      logFile: join(options.stateDir, "service.log"),
      echo: options.echoServiceLogs ?? false,
    });
    if (!variant.separateWorker) return { service, worker: undefined };
    const worker = await startService({ ...common, name: "otp-worker", args: ["worker"], logFile: join(options.stateDir, "worker.log") });
    return { service, worker };
  };
  const stopServices = async (running: { service: ServiceProcess; worker: ServiceProcess | undefined }) => {
    const code = await running.service.stop("SIGTERM", 60_000);
    await running.worker?.stop("SIGTERM", 60_000);
    return code;
  };
  const first = await startServices({});

  const stack: LocalStack = {
    serviceUrl: first.service.url,
    mockSmsUrl: mockSms.url,
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
      await stopServices(stack);
      const next = await startServices(variant);
      stack.service = next.service;
      stack.worker = next.worker;
      stack.serviceExited = next.service.exited;
    },
    async stop() {
      const code = await stopServices(stack);
      await mockSms.stop("SIGTERM", 10_000);
      await Promise.allSettled([redis.stop(), postgres.stop()]);
      return code;
    },
  };
  return stack;
}
