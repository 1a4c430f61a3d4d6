// An OTP environment for end-to-end tests: the real service, the real mock SMS provider, and
// tenants seeded through the service's own `seed` command.
import { randomBytes, randomUUID } from "node:crypto";
import { join } from "node:path";
import { type SeededTenant, seed } from "@otp-lab/local-stack/app-cli";
import { type ServiceOptions, type ServiceProcess, startService } from "@otp-lab/local-stack/service-process";
import { Redis } from "ioredis";
import pg from "pg";
import { expect, inject } from "vitest";
import { type MockSms, startMockSms } from "../../src/mock-sms/start-mock-sms";
import { scrape } from "./metrics";

export type { SeededTenant } from "@otp-lab/local-stack/app-cli";

export interface OtpEnvironment {
  service: ServiceProcess;
  sms: MockSms;
  db: pg.Pool;
  tenants: SeededTenant[];
  /** A client of the service's Redis, for asserting what a flow wrote. */
  redis: Redis;
  streamKey: string;
  send(tenant: SeededTenant, phone: string, headers?: Record<string, string>): Promise<Response>;
  verify(tenant: SeededTenant, phone: string, code: string): Promise<Response>;
  /** The newest code the "phone" received, read from the mock provider like a person reads an SMS. */
  latestCode(phone: string, previous?: string): Promise<string>;
  /** Sends a code (expecting 200) and reads it off the phone; `wrong` is a code that is not it. */
  sendCode(tenant: SeededTenant, phone: string): Promise<{ code: string; wrong: string }>;
  /** Sets tenant columns, e.g. { max_verify_attempts: 3 }. */
  setTenant(tenantId: string, settings: Record<string, number | string>): Promise<void>;
  /** otp_sends_total for one outcome on the service's /metrics (0 before the first). */
  sendCount(outcome: string): Promise<number>;
  stop(): Promise<void>;
}

export function seedTenants(prefix: string, count: number, extraArgs: string[] = []): SeededTenant[] {
  return seed({
    databaseUrl: inject("postgresUrl"),
    args: ["--tenants", String(count), "--prefix", prefix, ...extraArgs],
    env: { NODE_ENV: "test" },
  });
}

/** The service as these tests run it: on the run's PostgreSQL and Redis, quick readiness checks, no drain delay. */
export function testService(env: Record<string, string> = {}): ServiceOptions {
  return {
    logFile: join(inject("stateDir"), `service-${randomUUID()}.log`),
    env: {
      NODE_ENV: "test",
      DATABASE_URL: inject("postgresUrl"),
      REDIS_URL: inject("redisUrl"),
      LOG_LEVEL: "info",
      READINESS_CHECK_INTERVAL_MS: "250",
      READINESS_MAX_AGE_MS: "1500",
      SHUTDOWN_DRAIN_DELAY_MS: "0",
      ...env,
    },
  };
}

export function randomPhone(): string {
  return `+1555${String(randomBytes(4).readUInt32BE() % 10_000_000).padStart(7, "0")}`;
}

export async function startOtpEnvironment(
  options: { tenants?: number; env?: Record<string, string>; smsLatencyMs?: number } = {},
): Promise<OtpEnvironment> {
  const sms = await startMockSms({ port: 0, latencyMs: options.smsLatencyMs ?? 0 });
  const prefix = `t${randomBytes(4).toString("hex")}`;
  const tenants = seedTenants(prefix, options.tenants ?? 2);
  // A stream per environment, so parallel test files never consume each other's jobs.
  const streamKey = `otp:sms:jobs:${prefix}`;
  const service = await startService(
    testService({
      SMS_PROVIDER_URL: sms.url,
      SMS_STREAM_KEY: streamKey,
      SMS_DEAD_LETTER_KEY: `otp:sms:dead:${prefix}`,
      SMS_RETRY_BASE_MS: "5",
      SMS_RETRY_MAX_MS: "20",
      SEND_LOG_FLUSH_INTERVAL_MS: "20",
      ...options.env,
    }),
  );
  const db = new pg.Pool({ connectionString: inject("postgresUrl"), max: 2 });
  const redis = new Redis(inject("redisUrl"));
  const post = (path: string, tenant: SeededTenant, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${service.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${tenant.apiKey}`, "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  const env: OtpEnvironment = {
    service,
    sms,
    db,
    redis,
    tenants,
    streamKey,
    send: (tenant, phone, headers) => post("/v1/otp/send", tenant, { phone }, headers),
    verify: (tenant, phone, code) => post("/v1/otp/verify", tenant, { phone, code }),
    async latestCode(phone, previous) {
      const deadline = performance.now() + 10_000;
      while (performance.now() < deadline) {
        const text = sms.messages(phone)[0]?.text;
        const code = text?.match(/(\d{4,10})\s*$/)?.[1];
        if (code && code !== previous) return code;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no new SMS reached ${phone} within 10 s`);
    },
    async sendCode(tenant, phone) {
      expect((await env.send(tenant, phone)).status).toBe(200);
      const code = await env.latestCode(phone);
      return { code, wrong: code === "000000" ? "111111" : "000000" };
    },
    async setTenant(tenantId, settings) {
      const columns = Object.keys(settings).map((column, i) => `${column} = $${i + 2}`);
      await db.query(`UPDATE tenants SET ${columns.join(", ")} WHERE id = $1`, [tenantId, ...Object.values(settings)]);
    },
    async sendCount(outcome) {
      return (await scrape(service.url, "otp_sends_total", { outcome })) ?? 0;
    },
    async stop() {
      await service.stop("SIGKILL");
      await sms.close();
      await db.end();
      redis.disconnect();
    },
  };
  return env;
}
