// Losing Redis or PostgreSQL never crashes the service: /ready goes 503, /health names the
// dependency, and everything recovers by itself when the dependency returns.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@otp-lab/local-stack/ports";
import { createPostgres, type PostgresServer } from "@otp-lab/local-stack/postgres";
import { createRedis, type RedisServer } from "@otp-lab/local-stack/redis";
import { type ServiceProcess, startService } from "@otp-lab/local-stack/service-process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statusOf } from "./support/http";
import { testService } from "./support/otp-env";

let dir: string;
let redis: RedisServer;
let postgres: PostgresServer;
let service: ServiceProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "otp-lab-outage-"));
  chmodSync(dir, 0o755);
  [redis, postgres] = await Promise.all([createRedis({ dir, port: await freePort() }), createPostgres({ dir, port: await freePort() })]);
  service = await startService(testService({ REDIS_URL: redis.url, DATABASE_URL: postgres.url, READINESS_CHECK_TIMEOUT_MS: "300" }));
});

afterAll(async () => {
  await service?.stop("SIGKILL");
  await Promise.allSettled([redis?.stop(), postgres?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

async function health(): Promise<{ status: string; components: Record<string, { healthy: boolean; error?: string }> }> {
  return (await (await fetch(`${service.url}/health`)).json()) as never;
}

describe("dependency outages", () => {
  it("Redis stopped → /ready 503 and /health names redis; Redis back → /ready 200, same process", async () => {
    const pid = service.child.pid;
    await redis.stop();
    await expect.poll(() => statusOf(`${service.url}/ready`), { timeout: 5_000 }).toBe(503);
    const during = await health();
    expect(during.status).toBe("unhealthy");
    expect(during.components.redis?.healthy).toBe(false);
    expect(during.components.postgres?.healthy).toBe(true);
    const ready = (await (await fetch(`${service.url}/ready`)).json()) as { failing: string[] };
    expect(ready.failing).toEqual(["redis"]);
    expect(await statusOf(`${service.url}/live`)).toBe(200);

    await redis.start();
    await expect.poll(() => statusOf(`${service.url}/ready`), { timeout: 10_000 }).toBe(200);
    expect((await health()).components.redis?.healthy).toBe(true);
    expect(service.child.pid).toBe(pid);
    expect(service.child.exitCode).toBeNull();
  });

  it("PostgreSQL stopped → /ready 503 and /health names postgres; back → /ready 200, same process", async () => {
    await postgres.stop();
    await expect.poll(() => statusOf(`${service.url}/ready`), { timeout: 5_000 }).toBe(503);
    const during = await health();
    expect(during.components.postgres?.healthy).toBe(false);
    expect(during.components.redis?.healthy).toBe(true);
    expect(await statusOf(`${service.url}/hello`)).toBe(200);

    await postgres.start();
    await expect.poll(() => statusOf(`${service.url}/ready`), { timeout: 10_000 }).toBe(200);
    expect(service.child.exitCode).toBeNull();
  });
});
