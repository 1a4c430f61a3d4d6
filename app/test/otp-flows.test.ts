// The OTP business end to end: real service, real PostgreSQL and Redis, the real mock SMS provider.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OtpEnvironment, randomPhone, startOtpEnvironment } from "./support/otp-env";

let env: OtpEnvironment;

beforeAll(async () => {
  env = await startOtpEnvironment({ tenants: 2 });
});
afterAll(async () => {
  await env?.stop();
});

async function body(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

describe("send and verify", () => {
  it("send → the phone receives the code → verify approves → the same code again is rejected", async () => {
    const tenant = env.tenants[0];
    if (!tenant) throw new Error("no tenant");
    const phone = randomPhone();
    const sent = await env.send(tenant, phone);
    expect(sent.status).toBe(200);
    const sendBody = await body(sent);
    expect(sendBody).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), expiresAt: expect.any(String) });
    const expiresIn = Date.parse(sendBody.expiresAt as string) - Date.now();
    expect(expiresIn).toBeGreaterThan(290_000);
    expect(expiresIn).toBeLessThanOrEqual(300_000);

    const code = await env.latestCode(phone);
    expect(code).toMatch(/^\d{6}$/);
    // The answer is exactly {id, expiresAt} (checked above) and never carries the code.
    expect(JSON.stringify(sendBody)).not.toContain(code);
    const message = env.sms.messages(phone)[0];
    expect(message).toMatchObject({ to: phone, from: "OTPLAB", text: `Your verification code is ${code}`, reference: sendBody.id });

    const verified = await env.verify(tenant, phone, code);
    expect(verified.status).toBe(200);
    expect(await body(verified)).toEqual({ status: "approved", id: sendBody.id });

    // A used code gets the answer a wrong code gets: nothing says whether a code is pending.
    const replay = await env.verify(tenant, phone, code);
    expect(replay.status).toBe(422);
    expect(await body(replay)).toMatchObject({
      type: "urn:otp-lab:problem:code-invalid",
      detail: "The code is wrong, expired, already used, or was never sent.",
      attemptsLeft: 4,
    });
  });

  it("a code expires after the tenant's TTL", async () => {
    const [, tenant] = env.tenants;
    if (!tenant) throw new Error("no tenant");
    await env.setTenant(tenant.id, { code_ttl_seconds: 1 });
    try {
      const phone = randomPhone();
      const { code } = await env.sendCode(tenant, phone);
      await new Promise((resolve) => setTimeout(resolve, 1_600));
      const late = await env.verify(tenant, phone, code);
      expect(late.status).toBe(422);
      expect(await body(late)).toMatchObject({ type: "urn:otp-lab:problem:code-invalid", attemptsLeft: 4 });
    } finally {
      await env.setTenant(tenant.id, { code_ttl_seconds: 300 });
    }
  });

  it("locks after the tenant's max attempts; the lock refuses even the right code and any new send", async () => {
    const [tenant] = env.tenants;
    if (!tenant) throw new Error("no tenant");
    await env.setTenant(tenant.id, { max_verify_attempts: 3 });
    try {
      const phone = randomPhone();
      const { code, wrong } = await env.sendCode(tenant, phone);

      const first = await env.verify(tenant, phone, wrong);
      expect(first.status).toBe(422);
      expect(await body(first)).toMatchObject({ type: "urn:otp-lab:problem:code-invalid", attemptsLeft: 2 });
      expect(await body(await env.verify(tenant, phone, wrong))).toMatchObject({ attemptsLeft: 1 });
      // The first lockout lasts OTP_LOCKOUT_SECONDS (default 900).
      const third = await env.verify(tenant, phone, wrong);
      expect(third.status).toBe(429);
      expect(third.headers.get("retry-after")).toBe("900");
      expect(await body(third)).toMatchObject({ type: "urn:otp-lab:problem:verification-locked", retryAfterSeconds: 900 });
      // Even the right code is refused now.
      expect((await env.verify(tenant, phone, code)).status).toBe(429);

      // No new code is sent to a locked number, so none can unlock it either.
      const resend = await env.send(tenant, phone);
      expect(resend.status).toBe(429);
      expect(await body(resend)).toMatchObject({ type: "urn:otp-lab:problem:verification-locked" });
      expect(env.sms.messages(phone)).toHaveLength(1);
    } finally {
      await env.setTenant(tenant.id, { max_verify_attempts: 5 });
    }
  });

  it("answers 429 with Retry-After once the per-phone limit is reached", async () => {
    const [tenant] = env.tenants;
    if (!tenant) throw new Error("no tenant");
    await env.setTenant(tenant.id, { phone_send_limit: 2, phone_send_window_seconds: 120 });
    try {
      const phone = randomPhone();
      expect((await env.send(tenant, phone)).status).toBe(200);
      expect((await env.send(tenant, phone)).status).toBe(200);
      const limited = await env.send(tenant, phone);
      expect(limited.status).toBe(429);
      const retryAfter = Number(limited.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThan(100);
      expect(retryAfter).toBeLessThanOrEqual(120);
      expect(await body(limited)).toMatchObject({
        type: "urn:otp-lab:problem:rate-limited",
        scope: "phone",
        retryAfterSeconds: retryAfter,
      });
      // Another number of the same tenant is unaffected.
      expect((await env.send(tenant, randomPhone())).status).toBe(200);
    } finally {
      await env.setTenant(tenant.id, { phone_send_limit: 5, phone_send_window_seconds: 3600 });
    }
  });

  it("answers 429 once the tenant's daily cap is reached", async () => {
    const [, tenant] = env.tenants;
    if (!tenant) throw new Error("no tenant");
    const { rows } = await env.db.query("SELECT daily_send_cap FROM tenants WHERE id = $1", [tenant.id]);
    await env.setTenant(tenant.id, { daily_send_cap: 1 });
    try {
      // Earlier tests may already have used today's allowance: either way the next send is over the cap.
      await env.send(tenant, randomPhone());
      const limited = await env.send(tenant, randomPhone());
      expect(limited.status).toBe(429);
      expect(await body(limited)).toMatchObject({ scope: "tenant_daily" });
    } finally {
      await env.setTenant(tenant.id, { daily_send_cap: rows[0].daily_send_cap as number });
    }
  });
});

describe("tenants and auth", () => {
  it("401 problem for a missing or wrong key, with the same answer for both", async () => {
    const missing = await fetch(`${env.service.url}/v1/otp/send`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"phone":"+15550000000"}',
    });
    const wrong = await env.send({ id: "x", name: "x", apiKey: "otp_not_a_real_key_0000000000" }, "+15550000000");
    for (const response of [missing, wrong]) {
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toContain("Bearer");
      expect(await body(response)).toMatchObject({ status: 401, title: "Unauthorized" });
    }
  });

  it("one tenant can never verify another tenant's code", async () => {
    const [a, b] = env.tenants;
    if (!a || !b) throw new Error("no tenants");
    const phone = randomPhone();
    const { code } = await env.sendCode(a, phone);
    const crossTenant = await env.verify(b, phone, code);
    expect(crossTenant.status).toBe(422);
    expect(await body(crossTenant)).toMatchObject({ type: "urn:otp-lab:problem:code-invalid" });
    // B's attempt neither consumed nor locked A's code.
    expect((await env.verify(a, phone, code)).status).toBe(200);
  });
});

describe("bad input", () => {
  it.each([
    ["a phone without +", { phone: "4915112345678" }, "body.phone"],
    ["a too-long phone", { phone: "+1234567890123456" }, "body.phone"],
    ["an unknown field", { phone: "+15551234567", extra: 1 }, "body"],
  ])("400 for %s, naming the field", async (_what, payload, field) => {
    const [tenant] = env.tenants;
    if (!tenant) throw new Error("no tenant");
    const response = await fetch(`${env.service.url}/v1/otp/send`, {
      method: "POST",
      headers: { authorization: `Bearer ${tenant.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(payload),
    });
    expect(response.status).toBe(400);
    const problem = await body(response);
    expect((problem.errors as Array<{ field: string }>).map((e) => e.field)).toContain(field);
  });

  it("400 for a code that is not 4-10 digits", async () => {
    const [tenant] = env.tenants;
    if (!tenant) throw new Error("no tenant");
    const response = await env.verify(tenant, "+15551234567", "12ab");
    expect(response.status).toBe(400);
    expect((await body(response)).errors).toEqual([expect.objectContaining({ field: "body.code" })]);
  });

  it("415 for a body that is not JSON", async () => {
    const [tenant] = env.tenants;
    if (!tenant) throw new Error("no tenant");
    const response = await fetch(`${env.service.url}/v1/otp/send`, {
      method: "POST",
      headers: { authorization: `Bearer ${tenant.apiKey}`, "content-type": "text/plain" },
      body: "phone=+15551234567",
    });
    expect(response.status).toBe(415);
    expect(response.headers.get("content-type")).toMatch(/problem\+json/);
  });
});

describe("delivery and the send log", () => {
  it("records every accepted send in otp_send_log with a masked number and no code", async () => {
    const [tenant] = env.tenants;
    if (!tenant) throw new Error("no tenant");
    const phone = randomPhone();
    const sent = await body(await env.send(tenant, phone, { "X-Request-ID": "send-log-req-1" }));
    await expect
      .poll(async () => (await env.db.query("SELECT * FROM otp_send_log WHERE otp_id = $1", [sent.id])).rows[0], { timeout: 10_000 })
      .toMatchObject({ status: "delivered", request_id: "send-log-req-1", tenant_id: tenant.id, attempts: 1 });
    const { rows } = await env.db.query("SELECT * FROM otp_send_log WHERE otp_id = $1", [sent.id]);
    const row = rows[0] as Record<string, unknown>;
    expect(row.phone_masked).not.toContain(phone.slice(4, 9));
    expect(JSON.stringify(row)).not.toContain(phone);
    expect(row.provider_message_id).toBe(env.sms.messages(phone)[0]?.id);
  });

  it("never logs a code, a message text or a full phone number", async () => {
    const [tenant] = env.tenants;
    if (!tenant) throw new Error("no tenant");
    const phone = randomPhone();
    await env.send(tenant, phone);
    const code = await env.latestCode(phone);
    await env.verify(tenant, phone, "000000");
    await env.verify(tenant, phone, code);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const logs = env.service.logLines().map((line) => JSON.stringify(line));
    expect(logs.length).toBeGreaterThan(5);
    for (const line of logs) {
      expect(line).not.toContain(phone);
      expect(line).not.toContain("verification code is");
      expect(line).not.toMatch(new RegExp(`[^0-9a-f]${code}[^0-9a-f]`));
    }
  });
});
