// One endpoint per layer, behind LAYER_ENDPOINTS_ENABLED; each fails fast with a 503 problem when its dependency is gone.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@otp-lab/local-stack/ports";
import { createRedis, type RedisServer } from "@otp-lab/local-stack/redis";
import { type ServiceProcess, startService } from "@otp-lab/local-stack/service-process";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { statusOf } from "./support/http";
import { type SeededTenant, seedTenants, testService } from "./support/otp-env";

let dir: string;
let redis: RedisServer;
let enabled: ServiceProcess;
let disabled: ServiceProcess;
let tenant: SeededTenant;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "otp-lab-layers-"));
  chmodSync(dir, 0o755);
  redis = await createRedis({ dir, port: await freePort() });
  [tenant] = seedTenants(`layers${process.pid}`, 1) as [SeededTenant];
  [enabled, disabled] = await Promise.all([
    startService(testService({ LAYER_ENDPOINTS_ENABLED: "true", REDIS_URL: redis.url, SMS_WORKER_ENABLED: "false" })),
    startService(testService({ SMS_WORKER_ENABLED: "false" })),
  ]);
});

afterAll(async () => {
  await Promise.allSettled([enabled?.stop("SIGKILL"), disabled?.stop("SIGKILL")]);
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("layer endpoints", () => {
  it("CPU: generates a code and its HMAC", async () => {
    const response = await fetch(`${enabled.url}/layers/cpu`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ length: 6, hmacLength: 43 });
  });

  it("SELECT: reads the caller's tenant settings, 401 without a key", async () => {
    const response = await fetch(`${enabled.url}/layers/select`, { headers: { authorization: `Bearer ${tenant.apiKey}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ tenantId: tenant.id, codeLength: 6 });
    expect(await statusOf(`${enabled.url}/layers/select`)).toBe(401);
  });

  it("INSERT: writes one row into tenant_settings_for_insert_new", async () => {
    const db = new pg.Client({ connectionString: inject("postgresUrl") });
    await db.connect();
    try {
      const before = Number((await db.query("SELECT count(*) FROM tenant_settings_for_insert_new")).rows[0].count);
      const response = await fetch(`${enabled.url}/layers/insert`, { method: "POST" });
      expect(response.status).toBe(201);
      const { id } = (await response.json()) as { id: string };
      const after = Number((await db.query("SELECT count(*) FROM tenant_settings_for_insert_new")).rows[0].count);
      expect(after).toBe(before + 1);
      expect((await db.query("SELECT tenant_name FROM tenant_settings_for_insert_new WHERE id = $1", [id])).rows[0]).toEqual({
        tenant_name: "layer-benchmark",
      });
    } finally {
      await db.end();
    }
  });

  it("Redis: SET then GET", async () => {
    const response = await fetch(`${enabled.url}/layers/redis`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it("are absent (404) unless enabled", async () => {
    for (const path of ["/layers/cpu", "/layers/select", "/layers/redis"]) expect(await statusOf(`${disabled.url}${path}`)).toBe(404);
  });

  it("with Redis down, the Redis layer fails fast with a 503 problem and recovers when Redis returns", async () => {
    await redis.stop();
    try {
      const started = performance.now();
      const response = await fetch(`${enabled.url}/layers/redis`);
      const elapsed = performance.now() - started;
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("1");
      expect(await response.json()).toMatchObject({ type: "urn:otp-lab:problem:dependency-unavailable", dependency: "redis" });
      expect(elapsed).toBeLessThan(500);
      expect(await statusOf(`${enabled.url}/layers/cpu`)).toBe(200);
    } finally {
      await redis.start();
    }
    await expect.poll(() => statusOf(`${enabled.url}/layers/redis`), { timeout: 10_000 }).toBe(200);
  });
});
