// Load shedding in the send flow: a send is refused (503 + Retry-After) rather than accepted when the
// SMS backlog could not deliver its code in time. The worker is off, so the stream holds exactly what
// a test puts there; an entry with an explicit old id stands for a job that has waited that long.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { deriveKeys, phoneHash } from "../src/domain/secrets";
import { type OtpEnvironment, randomPhone, type SeededTenant, startOtpEnvironment } from "./support/otp-env";

const OTP_SECRET = "otp-load-shedding-test-secret-0123456789";
const keys = deriveKeys(OTP_SECRET);
const MAX_BACKLOG = 3;

let env: OtpEnvironment;
let tenant: SeededTenant;

beforeAll(async () => {
  env = await startOtpEnvironment({
    tenants: 1,
    env: {
      OTP_SECRET,
      SMS_WORKER_ENABLED: "false",
      SMS_MAX_BACKLOG: String(MAX_BACKLOG),
      SMS_SHED_BACKLOG_AGE_RATIO: "0.5",
      SMS_SHED_RETRY_AFTER_SECONDS: "30",
    },
  });
  [tenant] = env.tenants as [SeededTenant];
});
afterAll(async () => {
  await env?.stop();
});
beforeEach(async () => {
  await env.redis.del(env.streamKey);
});

/** Appends a stand-in job that has waited `ageMs` (entry ids start with their append time in ms). */
async function addJobAged(ageMs: number): Promise<void> {
  await env.redis.xadd(env.streamKey, `${Date.now() - ageMs}-0`, "stand-in", "1");
}

async function expectShed(response: Response): Promise<void> {
  expect(response.status).toBe(503);
  expect(response.headers.get("retry-after")).toBe("30");
  expect(await response.json()).toMatchObject({
    type: "urn:otp-lab:problem:delivery-backlog",
    status: 503,
    retryAfterSeconds: 30,
  });
}

/** Nothing of a refused send is left behind: no code, no rate count. */
async function expectNothingWritten(phone: string): Promise<void> {
  const hashed = phoneHash(keys, tenant.id, phone);
  expect(await env.redis.exists(`otp:code:${tenant.id}:${hashed}`, `otp:rate:phone:${tenant.id}:${hashed}`)).toBe(0);
}

describe("load shedding", () => {
  it("sheds when the oldest undelivered job has waited longer than half the tenant's code TTL", async () => {
    const shedBefore = await env.sendCount("shed_backlog_age");
    await addJobAged(400_000);
    const phone = randomPhone();
    await expectShed(await env.send(tenant, phone));
    expect(await env.redis.xlen(env.streamKey)).toBe(1);
    await expectNothingWritten(phone);
    expect(await env.sendCount("shed_backlog_age")).toBe(shedBefore + 1);
  });

  it("accepts while the oldest job is within the limit, which follows the tenant's TTL", async () => {
    // 140 s is within half of the default 300 s TTL (150 s) ...
    await addJobAged(140_000);
    expect((await env.send(tenant, randomPhone())).status).toBe(200);
    expect(await env.redis.xlen(env.streamKey)).toBe(2);
    // ... and beyond half of a 240 s TTL (120 s).
    await env.setTenant(tenant.id, { code_ttl_seconds: 240 });
    try {
      await expectShed(await env.send(tenant, randomPhone()));
      expect(await env.redis.xlen(env.streamKey)).toBe(2);
    } finally {
      await env.setTenant(tenant.id, { code_ttl_seconds: 300 });
    }
  });

  it("sheds once the stream holds SMS_MAX_BACKLOG undelivered jobs", async () => {
    const shedBefore = await env.sendCount("shed_backlog_length");
    for (let i = 0; i < MAX_BACKLOG; i++) expect((await env.send(tenant, randomPhone())).status).toBe(200);
    const phone = randomPhone();
    await expectShed(await env.send(tenant, phone));
    expect(await env.redis.xlen(env.streamKey)).toBe(MAX_BACKLOG);
    await expectNothingWritten(phone);
    expect(await env.sendCount("shed_backlog_length")).toBe(shedBefore + 1);
  });

  it("checks a lock before the backlog, and the backlog before the rate limits", async () => {
    await addJobAged(400_000);
    // Locked: the default tenant locks after 5 failures.
    const locked = randomPhone();
    for (let i = 0; i < 5; i++) await env.verify(tenant, locked, "000000");
    const refused = await env.send(tenant, locked);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ type: "urn:otp-lab:problem:verification-locked" });

    // Over the per-phone limit: shed, and the refused send does not count against the limit.
    const limited = randomPhone();
    const rateKey = `otp:rate:phone:${tenant.id}:${phoneHash(keys, tenant.id, limited)}`;
    await env.redis.set(rateKey, "5", "EX", 3_600);
    await expectShed(await env.send(tenant, limited));
    expect(await env.redis.get(rateKey)).toBe("5");
  });
});
