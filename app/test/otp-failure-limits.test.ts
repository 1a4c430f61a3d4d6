// Verification failure limits end to end (NIST SP 800-63B-4 §3.2.2): escalating lockouts, the hard
// lock at max_consecutive_failures, no oracle for a pending code, and no SMS to a locked number.
// Lockouts are ended by moving locked_until into the past in Redis, never by waiting them out.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveKeys, phoneHash } from "../src/domain/secrets";
import { type OtpEnvironment, randomPhone, type SeededTenant, seedTenants, startOtpEnvironment } from "./support/otp-env";

const OTP_SECRET = "otp-failure-limits-test-secret-0123456789";
const keys = deriveKeys(OTP_SECRET);
const WRONG = "000000";

let env: OtpEnvironment;
/** 2 failures per lockout, 5 consecutive failures for the hard lock, a one-day window. */
let strict: SeededTenant;
/** 2 failures per lockout, no hard lock before 100 consecutive failures, the default window. */
let escalating: SeededTenant;
/** Every limit at its default (5 per lockout). */
let defaults: SeededTenant;

beforeAll(async () => {
  env = await startOtpEnvironment({
    tenants: 0,
    env: { OTP_SECRET, OTP_LOCKOUT_SECONDS: "60", OTP_LOCKOUT_MAX_SECONDS: "200" },
  });
  const prefix = `fl${randomBytes(4).toString("hex")}`;
  strict = seedOne(`${prefix}-strict`, [
    "--max-verify-attempts",
    "2",
    "--max-consecutive-failures",
    "5",
    "--failure-window-seconds",
    "86400",
  ]);
  escalating = seedOne(`${prefix}-esc`, ["--max-verify-attempts", "2", "--max-consecutive-failures", "100"]);
  defaults = seedOne(`${prefix}-def`);
});
afterAll(async () => {
  await env?.stop();
});

function seedOne(prefix: string, args: string[] = []): SeededTenant {
  const [tenant] = seedTenants(prefix, 1, args);
  if (!tenant) throw new Error(`seeding ${prefix} returned no tenant`);
  return tenant;
}

const failuresKey = (tenant: SeededTenant, phone: string) => `otp:failures:${tenant.id}:${phoneHash(keys, tenant.id, phone)}`;

/** Ends the current lockout as if its time had passed, leaving every count as it is. */
async function endLockout(tenant: SeededTenant, phone: string): Promise<void> {
  expect(await env.redis.hset(failuresKey(tenant, phone), "locked_until", "0")).toBe(0);
}

async function problem(response: Response): Promise<Record<string, unknown>> {
  expect(response.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
  // requestId and instance identify the request, not the number: drop them to compare answers.
  const { requestId, traceId, ...rest } = (await response.json()) as Record<string, unknown>;
  expect(requestId).toEqual(expect.any(String));
  return rest;
}

async function expectInvalid(response: Response, attemptsLeft: number): Promise<void> {
  expect(response.status).toBe(422);
  expect(await problem(response)).toEqual({
    type: "urn:otp-lab:problem:code-invalid",
    title: "Invalid Code",
    status: 422,
    detail: "The code is wrong, expired, already used, or was never sent.",
    instance: "/v1/otp/verify",
    attemptsLeft,
  });
}

async function expectLocked(response: Response, retryAfterSeconds: number): Promise<void> {
  expect(response.status).toBe(429);
  expect(response.headers.get("retry-after")).toBe(String(retryAfterSeconds));
  expect(await problem(response)).toMatchObject({ type: "urn:otp-lab:problem:verification-locked", retryAfterSeconds });
}

async function entriesAdded(): Promise<number> {
  const info = (await env.redis.call("XINFO", "STREAM", env.streamKey)) as Array<string | number>;
  return Number(info[info.indexOf("entries-added") + 1]);
}

/** Two wrong codes: the first leaves one attempt, the second locks for `lockoutSeconds`. */
async function lockOut(tenant: SeededTenant, phone: string, wrong: string, lockoutSeconds: number): Promise<void> {
  await expectInvalid(await env.verify(tenant, phone, wrong), 1);
  await expectLocked(await env.verify(tenant, phone, wrong), lockoutSeconds);
}

describe("seeding", () => {
  it("the seed command sets the failure limits, and the columns default to 5, 50 and 30 days", async () => {
    const { rows } = await env.db.query(
      `SELECT id, max_verify_attempts, max_consecutive_failures, failure_window_seconds FROM tenants WHERE id = ANY($1) ORDER BY name`,
      [[strict.id, escalating.id, defaults.id]],
    );
    expect(rows).toEqual([
      { id: defaults.id, max_verify_attempts: 5, max_consecutive_failures: 50, failure_window_seconds: 2_592_000 },
      { id: escalating.id, max_verify_attempts: 2, max_consecutive_failures: 100, failure_window_seconds: 2_592_000 },
      { id: strict.id, max_verify_attempts: 2, max_consecutive_failures: 5, failure_window_seconds: 86_400 },
    ]);
  });

  it("the database refuses more than 100 consecutive failures (NIST's bound) and windows outside 1 day..1 year", async () => {
    for (const [column, value] of [
      ["max_consecutive_failures", 101],
      ["max_consecutive_failures", 0],
      ["failure_window_seconds", 86_399],
      ["failure_window_seconds", 31_536_001],
    ] as const) {
      await expect(env.db.query(`UPDATE tenants SET ${column} = $2 WHERE id = $1`, [defaults.id, value])).rejects.toThrow(
        /violates check constraint/,
      );
    }
  });
});

describe("escalating lockouts", () => {
  it("locks for 60 s, 120 s, then the 200 s cap; locked attempts are not compared and do not consume the code", async () => {
    const phone = randomPhone();
    const { code, wrong } = await env.sendCode(escalating, phone);

    for (const lockout of [60, 120, 200, 200]) {
      await lockOut(escalating, phone, wrong, lockout);
      const rightWhileLocked = await env.verify(escalating, phone, code);
      expect(rightWhileLocked.status).toBe(429);
      expect(Number(rightWhileLocked.headers.get("retry-after"))).toBeGreaterThanOrEqual(lockout - 1);
      await endLockout(escalating, phone);
    }
    const state = await env.redis.hgetall(failuresKey(escalating, phone));
    expect(state).toEqual({ consecutive: "8", since_lockout: "0", lockouts: "4", locked_until: "0" });
    const ttl = await env.redis.ttl(failuresKey(escalating, phone));
    expect(ttl).toBeGreaterThan(2_592_000 - 5);
    expect(ttl).toBeLessThanOrEqual(2_592_000);

    // The code survived every locked attempt; a success clears the whole failure state.
    expect((await env.verify(escalating, phone, code)).status).toBe(200);
    expect(await env.redis.exists(failuresKey(escalating, phone))).toBe(0);
  });

  it("attempts while locked neither count nor extend the lock or the failure window", async () => {
    const phone = randomPhone();
    await lockOut(escalating, phone, WRONG, 60);
    const key = failuresKey(escalating, phone);
    await env.redis.expire(key, 1_000);
    const before = await env.redis.hgetall(key);

    for (let i = 0; i < 3; i++) expect((await env.verify(escalating, phone, WRONG)).status).toBe(429);
    expect(await env.redis.hgetall(key)).toEqual(before);
    expect(await env.redis.ttl(key)).toBeLessThanOrEqual(1_000);
  });
});

describe("the hard lock at max_consecutive_failures", () => {
  it("the 5th consecutive failure locks for the whole failure window, whatever the lockout escalation says", async () => {
    const phone = randomPhone();
    const { code, wrong } = await env.sendCode(strict, phone);

    await lockOut(strict, phone, wrong, 60);
    await endLockout(strict, phone);
    await lockOut(strict, phone, wrong, 120);
    await endLockout(strict, phone);
    await expectLocked(await env.verify(strict, phone, wrong), 86_400);

    const key = failuresKey(strict, phone);
    expect(await env.redis.hmget(key, "consecutive", "lockouts")).toEqual(["5", "2"]);
    expect(await env.redis.ttl(key)).toBeGreaterThan(86_400 - 5);
    const right = await env.verify(strict, phone, code);
    expect(right.status).toBe(429);
    expect(Number(right.headers.get("retry-after"))).toBeGreaterThan(86_400 - 5);
  });

  it("attemptsLeft counts down to whichever lock comes first", async () => {
    await env.setTenant(strict.id, { max_verify_attempts: 3 });
    try {
      const phone = randomPhone();
      await expectInvalid(await env.verify(strict, phone, WRONG), 2);
      await lockOut(strict, phone, WRONG, 60);
      await endLockout(strict, phone);
      // 2 left before the next lockout, but only 1 before the hard lock at 5.
      await lockOut(strict, phone, WRONG, 86_400);
    } finally {
      await env.setTenant(strict.id, { max_verify_attempts: 2 });
    }
  });

  it("a success resets the consecutive count and the escalation", async () => {
    const phone = randomPhone();
    const { code, wrong } = await env.sendCode(strict, phone);
    await lockOut(strict, phone, wrong, 60);
    await endLockout(strict, phone);
    await expectInvalid(await env.verify(strict, phone, wrong), 1);
    expect((await env.verify(strict, phone, code)).status).toBe(200);

    // Without the reset these would be the 4th and 5th consecutive failures: a 120 s lockout, then the hard lock.
    await lockOut(strict, phone, wrong, 60);
    expect(await env.redis.hmget(failuresKey(strict, phone), "consecutive", "lockouts")).toEqual(["2", "1"]);
  });
});

describe("no oracle for a pending code", () => {
  it("a number with no pending code gets byte for byte the answer a wrong code gets, and both count as failures", async () => {
    const pending = randomPhone();
    const none = randomPhone();
    const { wrong } = await env.sendCode(defaults, pending);

    for (const attemptsLeft of [4, 3, 2, 1]) {
      const [withCode, withoutCode] = [await env.verify(defaults, pending, wrong), await env.verify(defaults, none, wrong)];
      expect(withCode.status).toBe(withoutCode.status);
      const [a, b] = [await problem(withCode), await problem(withoutCode)];
      expect(a).toEqual(b);
      expect(a.attemptsLeft).toBe(attemptsLeft);
    }
    // The 5th failure locks both numbers alike.
    await expectLocked(await env.verify(defaults, pending, wrong), 60);
    await expectLocked(await env.verify(defaults, none, wrong), 60);
  });
});

describe("no SMS to a locked number", () => {
  it("a send to a locked number is refused with 429 and writes nothing: no code, no rate count, no job, no SMS", async () => {
    const phone = randomPhone();
    await lockOut(escalating, phone, WRONG, 60);
    expect((await env.send(escalating, randomPhone())).status).toBe(200);
    const added = await entriesAdded();
    const lockedBefore = await env.sendCount("locked");

    const refused = await env.send(escalating, phone);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(59);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await problem(refused)).toMatchObject({
      type: "urn:otp-lab:problem:verification-locked",
      status: 429,
      retryAfterSeconds: retryAfter,
    });
    expect(await entriesAdded()).toBe(added);
    const hashed = phoneHash(keys, escalating.id, phone);
    expect(await env.redis.exists(`otp:code:${escalating.id}:${hashed}`, `otp:rate:phone:${escalating.id}:${hashed}`)).toBe(0);
    expect(await env.sendCount("locked")).toBe(lockedBefore + 1);

    // Once the lock ends the number gets codes again: the refusal was the lock and nothing else.
    await endLockout(escalating, phone);
    expect((await env.send(escalating, phone)).status).toBe(200);
    expect(await entriesAdded()).toBe(added + 1);
    await env.latestCode(phone);
    expect(env.sms.messages(phone)).toHaveLength(1);
  });
});
