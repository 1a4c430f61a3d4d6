// The environment one scenario runs in, composed from scripts/local-stack: PostgreSQL, Redis, the mock SMS
// provider and any number of service processes (serve or worker), all on free loopback ports in the
// scenario's scratch directory. Everything started is registered with the scenario's Cleanup.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type ManagedProcess, startProcess, waitForPort } from "@otp-lab/local-stack/managed-process";
import { freePort } from "@otp-lab/local-stack/ports";
import { createPostgres, type PostgresServer } from "@otp-lab/local-stack/postgres";
import { createRedis, type RedisServer } from "@otp-lab/local-stack/redis";
import { Redis } from "ioredis";
import pg from "pg";
import type { Cleanup } from "./cleanup.ts";
import { call, postJson, waitFor } from "./http.ts";
import { APP_MAIN } from "./paths.ts";

export const STREAM_KEY = "otp:sms:jobs";
export const DEAD_LETTER_KEY = "otp:sms:dead";
export const CONSUMER_GROUP = "sms-workers";

export interface SeededTenant {
  id: string;
  name: string;
  apiKey: string;
}

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

export interface ServiceInstance {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly logFile: string;
  /** The process currently running (a restart replaces it). */
  current(): ManagedProcess;
  pid(): number | undefined;
  alive(): boolean;
  /** Starts the process (again) on the same port and waits as configured. */
  start(): Promise<void>;
  /** Sends the signal, waits up to graceMs for the exit, then SIGKILL. Resolves with the exit code. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
  /** Everything the instance wrote to stdout and stderr, all its runs (JSON log lines). */
  logText(): string;
}

export interface Stack {
  dir: string;
  secret: string;
  postgres: PostgresServer;
  redis: RedisServer;
  postgresUrl: string;
  redisUrl: string;
  mockSmsUrl: string;
  mockSms: ManagedProcess;
  /** A small pool for the scenario's own queries; errors while PostgreSQL is down are the caller's. */
  db: pg.Pool;
  /** A Redis client for the scenario's own inspection. */
  redisClient: Redis;
  seed(prefix: string, count: number, limits?: { phoneLimit?: number; dailyCap?: number }): SeededTenant[];
  setTenant(id: string, settings: Record<string, number | string>): Promise<void>;
  startService(options: ServiceOptions): Promise<ServiceInstance>;
  /** The mock provider's counters. */
  smsStats(): Promise<{ received: number; accepted: number; failed: number; duplicates: number; stored: number }>;
  /** Messages the "phone" received, newest first. */
  inbox(phone: string, limit?: number): Promise<Array<{ id: string; to: string; text: string; reference: string | null }>>;
  setSmsFaults(faults: { latencyMs?: number; latencyJitterMs?: number; errorRate?: number; errorStatus?: number }): Promise<void>;
  /** Jobs still in the SMS stream and, of those, read and not yet acknowledged. */
  streamBacklog(): Promise<{ length: number; pending: number }>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const { dir, cleanup } = options;
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const secret = randomBytes(32).toString("base64url");

  const postgres = await createPostgres({ dir, port: await freePort() });
  cleanup.add("postgres", () => postgres.stop());
  const redis = await createRedis({ dir, port: await freePort(), persistence: options.redisPersistence ?? true });
  cleanup.add("redis", () => redis.stop());

  const baseEnv = {
    PATH: process.env.PATH ?? "",
    NODE_ENV: "production",
    OTP_SECRET: secret,
    DATABASE_URL: postgres.url,
    LOG_LEVEL: "warn",
  };
  execFileSync(process.execPath, [APP_MAIN, "migrate"], { env: baseEnv, stdio: ["ignore", "inherit", "inherit"] });

  const mockPort = await freePort();
  const mockSms = startProcess({
    name: "mock-sms",
    command: process.execPath,
    args: [APP_MAIN, "mock-sms"],
    env: {
      PATH: baseEnv.PATH,
      MOCK_SMS_HOST: "127.0.0.1",
      MOCK_SMS_PORT: String(mockPort),
      MOCK_SMS_LATENCY_MS: String(options.mockSms?.latencyMs ?? 5),
      MOCK_SMS_ERROR_RATE: String(options.mockSms?.errorRate ?? 0),
      LOG_LEVEL: "warn",
    },
    logFile: join(dir, "mock-sms.log"),
    detached: true,
  });
  cleanup.add("mock-sms", () => mockSms.stop("SIGTERM", 5_000));
  await waitForPort(mockPort, { process: mockSms });
  const mockSmsUrl = `http://127.0.0.1:${mockPort}`;

  const db = new pg.Pool({ connectionString: postgres.url, max: 3, connectionTimeoutMillis: 2_000 });
  db.on("error", () => undefined);
  cleanup.add("scenario postgres pool", () => db.end());
  const redisClient = new Redis(redis.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
  redisClient.on("error", () => undefined);
  await redisClient.connect();
  cleanup.add("scenario redis client", () => redisClient.disconnect());

  return {
    dir,
    secret,
    postgres,
    redis,
    postgresUrl: postgres.url,
    redisUrl: redis.url,
    mockSmsUrl,
    mockSms,
    db,
    redisClient,

    seed(prefix, count, limits = {}) {
      const file = join(dir, `tenants-${prefix}.json`);
      execFileSync(
        process.execPath,
        [
          APP_MAIN,
          "seed",
          "--tenants",
          String(count),
          "--prefix",
          prefix,
          ...(limits.phoneLimit ? ["--phone-limit", String(limits.phoneLimit)] : []),
          ...(limits.dailyCap ? ["--daily-cap", String(limits.dailyCap)] : []),
          "--output",
          file,
        ],
        { env: baseEnv, stdio: ["ignore", "ignore", "inherit"] },
      );
      return (JSON.parse(readFileSync(file, "utf8")) as { tenants: SeededTenant[] }).tenants;
    },

    async setTenant(id, settings) {
      const columns = Object.keys(settings);
      await db.query(`UPDATE tenants SET ${columns.map((column, i) => `${column} = $${i + 2}`).join(", ")} WHERE id = $1`, [
        id,
        ...Object.values(settings),
      ]);
    },

    async startService(serviceOptions) {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const logFile = join(dir, `${serviceOptions.name}.log`);
      const env = {
        ...baseEnv,
        HOST: "127.0.0.1",
        PORT: String(port),
        REDIS_URL: redis.url,
        SMS_PROVIDER_URL: mockSmsUrl,
        LOG_LEVEL: "info",
        READINESS_CHECK_INTERVAL_MS: "250",
        READINESS_CHECK_TIMEOUT_MS: "500",
        READINESS_MAX_AGE_MS: "1500",
        SHUTDOWN_DRAIN_DELAY_MS: "0",
        SHUTDOWN_TIMEOUT_MS: "10000",
        ...serviceOptions.env,
      };
      let current: ManagedProcess | undefined;
      const instance: ServiceInstance = {
        name: serviceOptions.name,
        port,
        url,
        logFile,
        current() {
          if (!current) throw new Error(`${serviceOptions.name} was never started`);
          return current;
        },
        pid: () => current?.child.pid,
        alive: () => current !== undefined && current.child.exitCode === null && current.child.signalCode === null,
        async start() {
          const started = startProcess({
            name: serviceOptions.name,
            command: process.execPath,
            args: [APP_MAIN, serviceOptions.mode ?? "serve"],
            env,
            logFile,
            detached: true,
          });
          current = started;
          await waitForPort(port, { process: started, timeoutMs: 30_000 });
          if (serviceOptions.waitFor !== "port") {
            let exited = false;
            started.exited.then(() => {
              exited = true;
            });
            await waitFor(
              `${serviceOptions.name} /ready`,
              async () => {
                if (exited) throw new Error(`${serviceOptions.name} exited during start-up (see ${logFile})`);
                return (await call(`${url}/ready`, { timeoutMs: 2_000 })).status === 200;
              },
              { timeoutMs: 30_000, intervalMs: 50 },
            );
          }
        },
        async stop(signal = "SIGTERM", graceMs = 30_000) {
          if (!current) return null;
          return current.stop(signal, graceMs);
        },
        logText() {
          return existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
        },
      };
      cleanup.add(`service ${serviceOptions.name}`, () => instance.stop("SIGTERM", 15_000));
      await instance.start();
      return instance;
    },

    async smsStats() {
      const result = await call(`${mockSmsUrl}/stats`);
      return JSON.parse(result.text) as { received: number; accepted: number; failed: number; duplicates: number; stored: number };
    },

    async inbox(phone, limit = 50) {
      const result = await call(`${mockSmsUrl}/messages?to=${encodeURIComponent(phone)}&limit=${limit}`);
      if (result.status !== 200) throw new Error(`mock SMS inbox answered ${result.status}: ${result.text.slice(0, 200)}`);
      return (JSON.parse(result.text) as { messages: Array<{ id: string; to: string; text: string; reference: string | null }> }).messages;
    },

    async setSmsFaults(faults) {
      const result = await call(`${mockSmsUrl}/admin/faults`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(faults),
      });
      if (result.status !== 200) throw new Error(`PUT /admin/faults answered ${result.status}: ${result.text}`);
    },

    async streamBacklog() {
      const length = await redisClient.xlen(STREAM_KEY);
      let pending = 0;
      try {
        const summary = (await redisClient.xpending(STREAM_KEY, CONSUMER_GROUP)) as [number, ...unknown[]];
        pending = Number(summary[0]);
      } catch {
        // no group yet: nothing was ever read
      }
      return { length, pending };
    },
  };
}

/** An OTP send, as a client makes it. */
export function sendOtp(serviceUrl: string, tenant: SeededTenant, phone: string, headers: Record<string, string> = {}) {
  return postJson(`${serviceUrl}/v1/otp/send`, { phone }, { authorization: `Bearer ${tenant.apiKey}`, ...headers });
}

export function verifyOtp(serviceUrl: string, tenant: SeededTenant, phone: string, code: string) {
  return postJson(`${serviceUrl}/v1/otp/verify`, { phone, code }, { authorization: `Bearer ${tenant.apiKey}` });
}

/** The code in an SMS text: its last run of 4 to 10 digits. */
export function codeIn(text: string): string | undefined {
  return text.match(/\d{4,10}/g)?.at(-1);
}

/** Distinct test numbers: a prefix per scenario and a counter, E.164, never repeating within a run. */
export function phoneSequence(prefix: string): () => string {
  const base = Math.floor(Math.random() * 9_000_000) + 1_000_000;
  let next = 0;
  return () => `+${prefix}${String(base + next++).padStart(8, "0")}`;
}

/** Rows of otp_send_log by OTP id. */
export async function sendLogRows(db: pg.Pool): Promise<Map<string, { status: string; attempts: number; requestId: string }>> {
  const { rows } = await db.query<{ otp_id: string; status: string; attempts: number; request_id: string }>(
    "SELECT otp_id, status, attempts, request_id FROM otp_send_log",
  );
  return new Map(rows.map((row) => [row.otp_id, { status: row.status, attempts: row.attempts, requestId: row.request_id }]));
}
