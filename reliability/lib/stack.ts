// The environment one scenario runs in, composed from @otp-lab/local-stack: PostgreSQL, Redis, the mock SMS
// provider and any number of service processes (serve or worker), all on free loopback ports in the
// scenario's scratch directory. Everything started is registered with the scenario's Cleanup.
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { migrate, type SeededTenant, seed } from "@otp-lab/local-stack/app-cli";
import { startMockSms } from "@otp-lab/local-stack/mock-sms";
import { freePort } from "@otp-lab/local-stack/ports";
import { createPostgres, type PostgresServer } from "@otp-lab/local-stack/postgres";
import { createRedis, type RedisServer } from "@otp-lab/local-stack/redis";
import { type ServiceProcess, startService } from "@otp-lab/local-stack/service-process";
import { Redis } from "ioredis";
import pg from "pg";
import type { Cleanup } from "./cleanup.ts";
import { type MockSmsClient, mockSmsClient, streamBacklog } from "./delivery-state.ts";

export interface StackOptions {
  dir: string;
  cleanup: Cleanup;
  /**
   * Redis keeps its state across a restart or a SIGKILL like the chart's (append-only file, fsync every
   * second) unless this is false.
   */
  redisPersistence?: boolean;
  mockSms?: { latencyMs?: number; errorRate?: number };
}

export interface ServiceOptions {
  name: string;
  mode?: "serve" | "worker";
  env?: Record<string, string>;
  /** Wait for /ready 200 after start (default), or only for the port. */
  waitFor?: "ready" | "port";
}

export interface TenantLimits {
  phoneLimit?: number;
  dailyCap?: number;
}

export interface Stack extends MockSmsClient {
  postgres: PostgresServer;
  redis: RedisServer;
  mockSmsUrl: string;
  /** A small pool for the scenario's own queries; errors while PostgreSQL is down are the caller's. */
  db: pg.Pool;
  /** A Redis client for the scenario's own inspection. */
  redisClient: Redis;
  /** Without limits: none a load would run into (a million sends per number, a hundred million a day). */
  seed(prefix: string, count: number, limits?: TenantLimits): SeededTenant[];
  seedOne(prefix: string, limits?: TenantLimits): SeededTenant;
  setTenant(id: string, settings: Record<string, number | string>): Promise<void>;
  /** A service process on a free port, its log in <dir>/<name>.log; stop() then start() restarts it there. */
  startService(options: ServiceOptions): Promise<ServiceProcess>;
  /** Jobs still in the SMS stream and, of those, read and not yet acknowledged. */
  streamBacklog(): Promise<{ length: number; pending: number }>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const { dir, cleanup } = options;
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);

  const postgres = await createPostgres({ dir, port: await freePort() });
  cleanup.add("postgres", () => postgres.stop());
  const redis = await createRedis({ dir, port: await freePort(), persistence: options.redisPersistence ?? true });
  cleanup.add("redis", () => redis.stop());
  const appEnv = { NODE_ENV: "production", OTP_SECRET: randomBytes(32).toString("base64url") };
  migrate(postgres.url, appEnv);
  const mockSms = await startMockSms({
    dir,
    env: { MOCK_SMS_LATENCY_MS: String(options.mockSms?.latencyMs ?? 5), MOCK_SMS_ERROR_RATE: String(options.mockSms?.errorRate ?? 0) },
  });
  cleanup.add("mock-sms", () => mockSms.stop("SIGTERM", 5_000));

  const db = new pg.Pool({ connectionString: postgres.url, max: 3, connectionTimeoutMillis: 2_000 });
  db.on("error", () => undefined);
  cleanup.add("scenario postgres pool", () => db.end());
  const redisClient = new Redis(redis.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  redisClient.on("error", () => undefined);
  await redisClient.connect();
  cleanup.add("scenario redis client", () => redisClient.disconnect());

  const seedTenants = (prefix: string, count: number, limits: TenantLimits = { phoneLimit: 1_000_000, dailyCap: 100_000_000 }) =>
    seed({
      databaseUrl: postgres.url,
      args: [
        "--tenants",
        String(count),
        "--prefix",
        prefix,
        ...(limits.phoneLimit ? ["--phone-limit", String(limits.phoneLimit)] : []),
        ...(limits.dailyCap ? ["--daily-cap", String(limits.dailyCap)] : []),
      ],
      output: join(dir, `tenants-${prefix}.json`),
      env: appEnv,
    });

  return {
    ...mockSmsClient(mockSms.url),
    postgres,
    redis,
    mockSmsUrl: mockSms.url,
    db,
    redisClient,
    streamBacklog: () => streamBacklog(redisClient),

    seed: seedTenants,
    seedOne(prefix, limits) {
      const [tenant] = seedTenants(prefix, 1, limits);
      if (!tenant) throw new Error(`no tenant seeded for ${prefix}`);
      return tenant;
    },

    async setTenant(id, settings) {
      const columns = Object.keys(settings);
      await db.query(`UPDATE tenants SET ${columns.map((column, i) => `${column} = $${i + 2}`).join(", ")} WHERE id = $1`, [
        id,
        ...Object.values(settings),
      ]);
    },

    async startService(serviceOptions) {
      const service = await startService({
        name: serviceOptions.name,
        args: [serviceOptions.mode ?? "serve"],
        logFile: join(dir, `${serviceOptions.name}.log`),
        waitFor: serviceOptions.waitFor,
        env: {
          ...appEnv,
          DATABASE_URL: postgres.url,
          REDIS_URL: redis.url,
          SMS_PROVIDER_URL: mockSms.url,
          LOG_LEVEL: "info",
          READINESS_CHECK_INTERVAL_MS: "250",
          READINESS_CHECK_TIMEOUT_MS: "500",
          READINESS_MAX_AGE_MS: "1500",
          SHUTDOWN_DRAIN_DELAY_MS: "0",
          SHUTDOWN_TIMEOUT_MS: "10000",
          ...serviceOptions.env,
        },
      });
      cleanup.add(`service ${serviceOptions.name}`, () => service.stop("SIGTERM", 15_000));
      return service;
    },
  };
}
