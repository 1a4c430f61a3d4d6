// The mock SMS provider, exercised over real HTTP against startMockSms on an ephemeral port.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadMockSmsConfig } from "../src/mock-sms/config";
import { createMessageStore } from "../src/mock-sms/message-store";
import { type MockSms, type MockSmsOptions, type StoredMessage, startMockSms } from "../src/mock-sms/start-mock-sms";
import { problemBody } from "./support/http";
import { sample } from "./support/metrics";
import { DIST } from "./support/paths";

const ALICE = "+14155550100";
const BOB = "+447700900123";

const running: MockSms[] = [];

async function start(options: MockSmsOptions = {}): Promise<MockSms> {
  const mock = await startMockSms(options);
  running.push(mock);
  return mock;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((mock) => mock.close()));
});

interface SendInput {
  to?: string;
  from?: string;
  text?: string;
  reference?: string;
}

function send(
  mock: Pick<MockSms, "url">,
  body: SendInput = {},
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${mock.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    ...(signal ? { signal } : {}),
    body: JSON.stringify({ to: ALICE, from: "OTPLab", text: "Your code is 123456", ...body }),
  });
}

async function inbox(mock: MockSms, query: Record<string, string> = {}): Promise<StoredMessage[]> {
  const response = await fetch(`${mock.url}/messages?${new URLSearchParams(query)}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { messages: StoredMessage[] }).messages;
}

async function putFaults(mock: MockSms, body: unknown): Promise<Response> {
  return fetch(`${mock.url}/admin/faults`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

describe("sending and reading messages", () => {
  it("accepts a message with 202 and an id, and serves it back by recipient, newest first, honouring limit", async () => {
    const mock = await start();
    const first = await send(mock, { text: "code 111111" });
    expect(first.status).toBe(202);
    const accepted = (await first.json()) as { id: string; status: string };
    expect(accepted).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: "accepted" });
    await send(mock, { to: BOB, text: "code 222222" });
    await send(mock, { text: "code 333333", reference: "otp-3" });

    const alice = await inbox(mock, { to: ALICE });
    expect(alice.map((message) => message.text)).toEqual(["code 333333", "code 111111"]);
    expect(alice[1]).toEqual({
      id: accepted.id,
      to: ALICE,
      from: "OTPLab",
      text: "code 111111",
      reference: null,
      receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(alice[0]?.reference).toBe("otp-3");
    expect((await inbox(mock, { to: ALICE, limit: "1" })).map((message) => message.text)).toEqual(["code 333333"]);
    expect((await inbox(mock)).map((message) => message.to)).toEqual([ALICE, BOB, ALICE]);
    expect(await inbox(mock, { to: "+19999999999" })).toEqual([]);
    expect(mock.messages(BOB).map((message) => message.text)).toEqual(["code 222222"]);
  });

  it("reads an inbox with an unencoded + in the query, as people type it", async () => {
    const mock = await start();
    await send(mock);
    const response = await fetch(`${mock.url}/messages?to=${ALICE}`);
    expect(((await response.json()) as { messages: StoredMessage[] }).messages).toHaveLength(1);
  });

  it("rejects an invalid inbox query naming the field", async () => {
    const mock = await start();
    const response = await fetch(`${mock.url}/messages?limit=1001`);
    expect(response.status).toBe(400);
    expect((await problemBody(response)).errors).toEqual([expect.objectContaining({ field: "query.limit" })]);
  });

  it("DELETE /messages empties every inbox", async () => {
    const mock = await start();
    await send(mock);
    await send(mock, { to: BOB });
    expect((await fetch(`${mock.url}/messages`, { method: "DELETE" })).status).toBe(204);
    expect(await inbox(mock)).toEqual([]);
    expect(await inbox(mock, { to: ALICE })).toEqual([]);
    expect(mock.stats()).toMatchObject({ accepted: 2, stored: 0 });
  });
});

describe("invalid requests", () => {
  it("answers 400 problem+json naming each bad field, and stores nothing", async () => {
    const mock = await start();
    const response = await send(mock, { to: "4155550100", text: "", from: "A-sender-name-far-too-long" });
    expect(response.status).toBe(400);
    const body = await problemBody(response);
    expect(body).toMatchObject({ type: "urn:otp-lab:problem:validation-failed", status: 400 });
    const fields = (body.errors as Array<{ field: string }>).map((error) => error.field).sort();
    expect(fields).toEqual(["body.from", "body.text", "body.to"]);
    expect(mock.stats()).toEqual({ received: 1, accepted: 0, failed: 0, duplicates: 0, stored: 0 });
  });

  it("answers 415 for a text/plain body", async () => {
    const mock = await start();
    const response = await fetch(`${mock.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ to: ALICE, from: "OTPLab", text: "hi" }),
    });
    expect(response.status).toBe(415);
    expect(await problemBody(response)).toMatchObject({ status: 415, title: "Unsupported Media Type" });
    expect(mock.messages()).toEqual([]);
  });

  it("answers 400 for malformed JSON", async () => {
    const mock = await start();
    const response = await fetch(`${mock.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(response.status).toBe(400);
    expect(await problemBody(response)).toMatchObject({ type: "urn:otp-lab:problem:malformed-body" });
  });

  it("answers unknown paths with 404 and wrong methods with 405, as problem+json", async () => {
    const mock = await start();
    const missing = await fetch(`${mock.url}/v2/nothing`);
    expect(missing.status).toBe(404);
    expect(await problemBody(missing)).toMatchObject({ status: 404, instance: "/v2/nothing" });
    const wrongMethod = await fetch(`${mock.url}/v1/messages`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("POST, OPTIONS");
    expect(await problemBody(wrongMethod)).toMatchObject({ status: 405 });
  });
});

describe("fault injection", () => {
  it("with errorRate 1 fails every request with the configured status and stores nothing", async () => {
    const mock = await start({ errorRate: 1, errorStatus: 429 });
    const responses = await Promise.all(Array.from({ length: 20 }, () => send(mock)));
    for (const response of responses) {
      expect(response.status).toBe(429);
      expect(await problemBody(response)).toMatchObject({ type: "urn:otp-lab:problem:mock-sms-injected-failure", status: 429 });
    }
    expect(mock.messages()).toEqual([]);
    expect(mock.stats()).toEqual({ received: 20, accepted: 0, failed: 20, duplicates: 0, stored: 0 });
  });

  it("with errorRate 0.5 fails about half of 400 requests", async () => {
    const mock = await start({ errorRate: 0.5 });
    const statuses: number[] = [];
    for (let batch = 0; batch < 8; batch += 1) {
      const responses = await Promise.all(Array.from({ length: 50 }, () => send(mock)));
      statuses.push(...responses.map((response) => response.status));
    }
    const failures = statuses.filter((status) => status === 503).length;
    expect(statuses.filter((status) => status !== 503 && status !== 202)).toEqual([]);
    expect(failures / 400).toBeGreaterThanOrEqual(0.35);
    expect(failures / 400).toBeLessThanOrEqual(0.65);
    expect(mock.stats()).toEqual({ received: 400, accepted: 400 - failures, failed: failures, duplicates: 0, stored: 400 - failures });
  });

  it("lets request headers override the configured faults for that request only", async () => {
    const mock = await start({ errorRate: 1 });
    expect((await send(mock, {}, { "X-Mock-Error-Rate": "0" })).status).toBe(202);
    expect((await send(mock)).status).toBe(503);
    expect((await send(mock, {}, { "X-Mock-Error-Status": "500" })).status).toBe(500);

    mock.setFaults({ errorRate: 0 });
    expect((await send(mock, {}, { "X-Mock-Error-Rate": "1", "X-Mock-Error-Status": "502" })).status).toBe(502);
    expect((await send(mock)).status).toBe(202);
    expect(mock.messages()).toHaveLength(2);
  });

  it("rejects an invalid fault header naming it", async () => {
    const mock = await start();
    const response = await send(mock, {}, { "X-Mock-Error-Rate": "2" });
    expect(response.status).toBe(400);
    expect((await problemBody(response)).errors).toEqual([expect.objectContaining({ field: "headers.x-mock-error-rate" })]);
  });

  it("delays a request by its latency header with a timer, while other requests are answered at once", async () => {
    const mock = await start();
    const started = performance.now();
    const slow = send(mock, { text: "slow" }, { "X-Mock-Latency-Ms": "600" }).then((response) => ({
      response,
      ms: performance.now() - started,
    }));
    // Send the fast request only once the slow one is inside the server.
    await vi.waitFor(() => expect(mock.stats().received).toBe(1), { interval: 5 });
    const fast = await send(mock, { text: "fast" });
    // Client and server share this event loop, so a blocked loop would hold back the client's
    // clock too: the proof is the fast answer arriving long before the slow one could.
    expect(performance.now() - started).toBeLessThan(400);
    expect(fast.status).toBe(202);

    const { response, ms } = await slow;
    expect(response.status).toBe(202);
    expect(ms).toBeGreaterThanOrEqual(595);
    expect(mock.messages().map((message) => message.text)).toEqual(["slow", "fast"]);
  });

  it("applies the configured base latency plus jitter", async () => {
    const mock = await start({ latencyMs: 150, latencyJitterMs: 100 });
    const durations = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const started = performance.now();
        expect((await send(mock)).status).toBe(202);
        return performance.now() - started;
      }),
    );
    for (const ms of durations) {
      expect(ms).toBeGreaterThanOrEqual(145);
      expect(ms).toBeLessThan(1000);
    }
  });

  it("changes behaviour at runtime through PUT /admin/faults", async () => {
    const mock = await start();
    const initial = await fetch(`${mock.url}/admin/faults`);
    expect(await initial.json()).toEqual({ latencyMs: 0, latencyJitterMs: 0, errorRate: 0, errorStatus: 503 });
    expect((await send(mock)).status).toBe(202);

    const updated = await putFaults(mock, { errorRate: 1, errorStatus: 500 });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toEqual({ latencyMs: 0, latencyJitterMs: 0, errorRate: 1, errorStatus: 500 });
    expect((await send(mock)).status).toBe(500);
    expect(await (await fetch(`${mock.url}/admin/faults`)).json()).toMatchObject({ errorRate: 1, errorStatus: 500 });

    await putFaults(mock, { errorRate: 0 });
    expect((await send(mock)).status).toBe(202);
    expect(mock.stats()).toMatchObject({ accepted: 2, failed: 1 });
  });

  it("refuses an invalid or unknown fault setting and keeps the old ones", async () => {
    const mock = await start();
    const invalid = await putFaults(mock, { errorRate: 2 });
    expect(invalid.status).toBe(400);
    expect((await problemBody(invalid)).errors).toEqual([expect.objectContaining({ field: "body.errorRate" })]);
    const unknown = await putFaults(mock, { errorrate: 1 });
    expect(unknown.status).toBe(400);
    const notJson = await fetch(`${mock.url}/admin/faults`, { method: "PUT", headers: { "content-type": "text/plain" }, body: "x" });
    expect(notJson.status).toBe(415);
    expect(await (await fetch(`${mock.url}/admin/faults`)).json()).toMatchObject({ errorRate: 0 });
    expect(() => mock.setFaults({ errorStatus: 200 })).toThrow();
    expect((await send(mock)).status).toBe(202);
  });
});

describe("duplicates and storage bounds", () => {
  it("answers a re-sent reference (body or Idempotency-Key header) with the original message, delivering it once", async () => {
    const mock = await start();
    const first = await send(mock, { reference: "otp-1" });
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const { id } = (await first.json()) as { id: string };
    const again = await send(mock, { reference: "otp-1", text: "a retry" });
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.json()).toEqual({ id, status: "accepted" });
    await send(mock, {}, { "Idempotency-Key": "otp-2" });
    await send(mock, {}, { "Idempotency-Key": "otp-2" });
    await send(mock, { reference: "otp-2" });
    await send(mock);
    await send(mock);
    expect(mock.stats()).toEqual({ received: 7, accepted: 7, failed: 0, duplicates: 3, stored: 4 });
    expect(mock.messages().map((message) => message.reference)).toEqual([null, null, "otp-2", "otp-1"]);
    expect(mock.messages().find((message) => message.reference === "otp-1")).toMatchObject({ id, text: "Your code is 123456" });
    const stats = await fetch(`${mock.url}/stats`);
    expect(await stats.json()).toEqual(mock.stats());
  });

  it("remembers a message accepted after the client gave up waiting: the client's retry gets its id", async () => {
    const mock = await start();
    const gaveUp = await send(mock, { reference: "otp-7" }, { "X-Mock-Latency-Ms": "300" }, AbortSignal.timeout(50)).then(
      () => "answered",
      (error: unknown) => (error as Error).name,
    );
    expect(gaveUp).toBe("TimeoutError");
    // The mock still accepts the message once its injected latency is over, as a real provider would.
    await vi.waitFor(() => expect(mock.stats().accepted).toBe(1), { timeout: 2_000, interval: 10 });
    const [delivered] = mock.messages();
    const retry = await send(mock, { reference: "otp-7" });
    expect(retry.status).toBe(202);
    expect(await retry.json()).toEqual({ id: delivered?.id, status: "accepted" });
    expect(mock.messages()).toHaveLength(1);
    expect(mock.stats()).toMatchObject({ accepted: 2, duplicates: 1, stored: 1 });
  });

  it("does not count a re-send after an injected failure as a duplicate", async () => {
    const mock = await start();
    expect((await send(mock, { reference: "otp-9" }, { "X-Mock-Error-Rate": "1" })).status).toBe(503);
    expect((await send(mock, { reference: "otp-9" })).status).toBe(202);
    expect(mock.stats()).toMatchObject({ accepted: 1, failed: 1, duplicates: 0 });
  });

  it("keeps only the newest maxStored messages, and the per-number index follows the evictions", async () => {
    const mock = await start({ maxStored: 3 });
    const recipients = [ALICE, BOB, ALICE, BOB, ALICE];
    for (const [index, to] of recipients.entries()) expect((await send(mock, { to, text: `message ${index + 1}` })).status).toBe(202);

    expect((await inbox(mock)).map((message) => message.text)).toEqual(["message 5", "message 4", "message 3"]);
    expect((await inbox(mock, { to: ALICE })).map((message) => message.text)).toEqual(["message 5", "message 3"]);
    expect((await inbox(mock, { to: BOB })).map((message) => message.text)).toEqual(["message 4"]);
    expect(mock.stats()).toMatchObject({ accepted: 5, stored: 3 });

    for (let index = 6; index <= 8; index += 1) await send(mock, { to: ALICE, text: `message ${index}` });
    expect(await inbox(mock, { to: BOB })).toEqual([]);
    expect(mock.messages(ALICE).map((message) => message.text)).toEqual(["message 8", "message 7", "message 6"]);
  });
});

describe("message store", () => {
  it("stays consistent across many evictions and queue compactions", () => {
    const store = createMessageStore(1500);
    const recipients = [ALICE, BOB, "+33612345678"];
    for (let index = 0; index < 5000; index += 1) {
      const to = recipients[index % recipients.length] as string;
      store.accept({ to, from: "OTPLab", text: `message ${index}`, reference: `ref-${index}` });
    }
    expect(store.size).toBe(1500);
    const all = store.newestFirst();
    expect(all.map((message) => message.text)).toEqual(Array.from({ length: 1500 }, (_, offset) => `message ${4999 - offset}`));
    const perRecipient = recipients.map((to) => store.newestFirst({ to }));
    expect(perRecipient.reduce((sum, inbox) => sum + inbox.length, 0)).toBe(1500);
    for (const [position, inbox] of perRecipient.entries()) {
      expect(inbox.every((message) => message.to === recipients[position])).toBe(true);
      expect(inbox).toEqual(all.filter((message) => message.to === recipients[position]));
    }
    expect(store.newestFirst({ to: BOB, limit: 2 })).toEqual(perRecipient[1]?.slice(0, 2));
    // References are remembered as far back as messages are kept, not forever.
    expect(store.accept({ to: ALICE, from: "OTPLab", text: "again", reference: "ref-4999" })).toEqual({ message: all[0], duplicate: true });
    expect(store.size).toBe(1500);
    expect(store.accept({ to: ALICE, from: "OTPLab", text: "again", reference: "ref-0" }).duplicate).toBe(false);
  });
});

describe("observability", () => {
  it("GET /health answers ok", async () => {
    const mock = await start();
    const response = await fetch(`${mock.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("exposes its counters, latency histogram and store size on /metrics", async () => {
    const mock = await start();
    await send(mock, { reference: "otp-1" });
    await send(mock, { reference: "otp-1" }, { "X-Mock-Latency-Ms": "20" });
    await send(mock, {}, { "X-Mock-Error-Rate": "1" });
    await send(mock, { to: "not a number" });

    const response = await fetch(`${mock.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(sample(text, "mock_sms_requests_total", { outcome: "accepted" })).toBe(2);
    expect(sample(text, "mock_sms_requests_total", { outcome: "failed" })).toBe(1);
    expect(sample(text, "mock_sms_requests_total", { outcome: "rejected" })).toBe(1);
    expect(sample(text, "mock_sms_duplicate_references_total")).toBe(1);
    // The second send re-used the first one's reference: one message stored.
    expect(sample(text, "mock_sms_stored_messages")).toBe(1);
    expect(sample(text, "mock_sms_injected_latency_seconds_count")).toBe(3);
    expect(sample(text, "mock_sms_injected_latency_seconds_sum")).toBeCloseTo(0.02, 5);
    expect(sample(text, "mock_sms_injected_latency_seconds_bucket", { le: "0.01" })).toBe(2);
    expect(sample(text, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(sample(text, "http_server_request_duration_seconds_count", { route: "/v1/messages", status_code: "202" })).toBe(2);
  });

  it("keeps each instance's metrics apart", async () => {
    const [first, second] = await Promise.all([start(), start()]);
    if (!first || !second) throw new Error("both instances must start");
    await send(first);
    const text = await (await fetch(`${second.url}/metrics`)).text();
    expect(sample(text, "mock_sms_requests_total", { outcome: "accepted" })).toBe(0);
  });
});

describe("configuration", () => {
  it("reads defaults, treating empty variables as unset", () => {
    expect(loadMockSmsConfig({ MOCK_SMS_LATENCY_MS: "" })).toEqual({
      host: "127.0.0.1",
      port: 8090,
      faults: { latencyMs: 0, latencyJitterMs: 0, errorRate: 0, errorStatus: 503 },
      maxStored: 100_000,
      logLevel: "info",
    });
  });

  it("reads every variable", () => {
    const config = loadMockSmsConfig({
      MOCK_SMS_HOST: "127.0.0.1",
      MOCK_SMS_PORT: "9000",
      MOCK_SMS_LATENCY_MS: "40",
      MOCK_SMS_LATENCY_JITTER_MS: "10",
      MOCK_SMS_ERROR_RATE: "0.25",
      MOCK_SMS_ERROR_STATUS: "500",
      MOCK_SMS_MAX_STORED: "1000",
      LOG_LEVEL: "warn",
    });
    expect(config).toEqual({
      host: "127.0.0.1",
      port: 9000,
      faults: { latencyMs: 40, latencyJitterMs: 10, errorRate: 0.25, errorStatus: 500 },
      maxStored: 1000,
      logLevel: "warn",
    });
  });

  it("fails on an invalid value with one line naming the variable", () => {
    let message = "";
    try {
      loadMockSmsConfig({ MOCK_SMS_ERROR_RATE: "2" });
    } catch (error) {
      expect(error).toMatchObject({ name: "ConfigError" });
      message = (error as Error).message;
    }
    expect(message).toMatch(/^invalid mock SMS configuration: MOCK_SMS_ERROR_RATE: /);
    expect(message).not.toContain("\n");
  });

  it("refuses invalid programmatic options", async () => {
    await expect(startMockSms({ errorRate: 1.5 })).rejects.toThrow();
    await expect(startMockSms({ maxStored: 0 })).rejects.toThrow();
  });
});

describe("standalone mode", () => {
  it("runMockSms logs one listening line, serves, and exits 0 on SIGTERM", async () => {
    const child = spawn(process.execPath, ["-e", `require(${JSON.stringify(join(DIST, "mock-sms", "main.js"))}).runMockSms(process.env)`], {
      env: { PATH: process.env.PATH ?? "", MOCK_SMS_HOST: "127.0.0.1", MOCK_SMS_PORT: "0", LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = once(child, "exit");
    try {
      const lines: Array<Record<string, unknown>> = [];
      const listening = new Promise<Record<string, unknown>>((resolve, reject) => {
        child.on("exit", () => reject(new Error("mock SMS exited before listening")));
        createInterface({ input: child.stdout }).on("line", (line) => {
          const entry = JSON.parse(line) as Record<string, unknown>;
          lines.push(entry);
          if (entry.msg === "listening") resolve(entry);
        });
      });
      const { port } = (await listening) as { port: number };
      expect((await send({ url: `http://127.0.0.1:${port}` }, { text: "code 424242" })).status).toBe(202);

      child.kill("SIGTERM");
      const [code] = await exited;
      expect(code).toBe(0);
      expect(lines.filter((line) => line.msg === "listening")).toHaveLength(1);
      expect(lines.map((line) => line.msg)).toContain("shutdown complete");
      // Message text holds codes: it must never reach the logs.
      expect(JSON.stringify(lines)).not.toContain("424242");
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });
});
