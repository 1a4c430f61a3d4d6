// The SMS worker end to end: real Redis stream, real PostgreSQL send log, real mock provider over HTTP.
// Every job must end with one outcome (delivered, rejected, expired_undelivered or, when it cannot be
// opened, dead_lettered), recorded once, and gone from the stream; none lost.
import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { context, propagation, SpanKind, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { APP_MAIN } from "@otp-lab/local-stack/app-cli";
import { freePort } from "@otp-lab/local-stack/ports";
import { createRedis, type RedisServer } from "@otp-lab/local-stack/redis";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { createSmsProviderClient } from "../src/adapters/http-sms-provider";
import { createRedisSmsWorker } from "../src/adapters/sms-worker";
import { loadConfig } from "../src/config/load-config";
import type { Config } from "../src/config/schema";
import { deriveKeys, phoneHash } from "../src/domain/secrets";
import { SmsProviderError } from "../src/domain/sms-delivery/sms-provider-error";
import type { SmsWorker } from "../src/domain/sms-delivery/sms-worker";
import { fieldsFromFlat, type SmsJob, sealJob } from "../src/domain/sms-job";
import { type MockSms, startMockSms } from "../src/mock-sms/start-mock-sms";
import { systemClock } from "../src/shared/clock";
import { maskPhone } from "../src/shared/mask-phone";
import { createPostgresPool, type PgPool } from "../src/stores/postgres";
import { createRedisClient, type RedisClient } from "../src/stores/redis";
import { redriveDeadLetters } from "../src/stores/redis-dead-letter-redrive";
import { createSendLogWriter, type SendLogWriter } from "../src/stores/send-log-writer";
import { enableHttpSpans } from "../src/telemetry/http-spans";
import { createLogger } from "../src/telemetry/logger";
import { registrySample } from "./support/metrics";

const logger = createLogger({ level: "silent", serviceName: "sms-worker-test" });
const keys = deriveKeys("sms-worker-test-secret-of-at-least-32-characters");

let redis: RedisClient;
let pool: PgPool;
let mock: MockSms;
let tenantId: string;

beforeAll(async () => {
  redis = createRedisClient({ url: inject("redisUrl"), connectTimeoutMs: 1_000, commandTimeoutMs: 2_000 }, { logger, name: "sms-test" });
  if (redis.status !== "ready") await once(redis, "ready");
  pool = createPostgresPool(
    { url: inject("postgresUrl"), poolMax: 4, connectTimeoutMs: 1_000, statementTimeoutMs: 5_000, idleTimeoutMs: 10_000 },
    { logger, name: "sms-test" },
  );
  const name = `sms-worker-${randomUUID()}`;
  const { rows } = await pool.query<{ id: string }>("INSERT INTO tenants (name, api_key_hash) VALUES ($1, $2) RETURNING id", [
    name,
    `hash-${name}`,
  ]);
  tenantId = (rows[0] as { id: string }).id;
  mock = await startMockSms({ port: 0 });
});

afterAll(async () => {
  await mock?.close();
  await pool?.query("DELETE FROM tenants WHERE id = $1", [tenantId]);
  await pool?.end();
  redis?.disconnect();
});

interface Harness {
  client: RedisClient;
  sms: Config["sms"];
  registry: Registry;
  sendLog: SendLogWriter;
  worker: SmsWorker;
}

const harnesses: Harness[] = [];

afterEach(async () => {
  for (const { worker, sendLog, sms, client } of harnesses.splice(0)) {
    await worker.stop();
    await sendLog.close();
    if (client.status === "ready") await client.del(sms.streamKey, sms.deadLetterKey);
  }
  mock.setFaults({ errorRate: 0, errorStatus: 503, latencyMs: 0, latencyJitterMs: 0 });
  mock.clear();
});

/** A worker on a stream of its own (parallel test files share the Redis). */
function harness(
  overrides: Partial<Config["sms"]> = {},
  options: { random?: () => number; blockMs?: number; client?: RedisClient; sendLog?: Partial<Config["sendLog"]> } = {},
): Harness {
  const client = options.client ?? redis;
  const id = randomUUID();
  const sms: Config["sms"] = {
    ...loadConfig({ NODE_ENV: "test" }).sms,
    providerUrl: mock.url,
    timeoutMs: 2_000,
    retryBaseMs: 1,
    retryMaxMs: 20,
    concurrency: 8,
    streamKey: `test:sms:jobs:${id}`,
    deadLetterKey: `test:sms:dead:${id}`,
    ...overrides,
  };
  const registry = new Registry();
  const sendLog = createSendLogWriter({
    pool,
    batchSize: 50,
    flushIntervalMs: 10,
    maxBuffered: 1_000,
    ...options.sendLog,
    logger,
    registry,
  });
  const worker = createRedisSmsWorker({
    redis: client,
    sms,
    keys,
    provider: createSmsProviderClient({ baseUrl: sms.providerUrl, timeoutMs: sms.timeoutMs }),
    sendLog,
    logger,
    registry,
    clock: systemClock,
    blockMs: options.blockMs,
    random: options.random,
  });
  const created = { client, sms, registry, sendLog, worker };
  harnesses.push(created);
  return created;
}

let phoneCounter = 0;

function newJob(overrides: Partial<SmsJob> = {}): SmsJob {
  phoneCounter += 1;
  const phone = `+1555${String(randomBytes(2).readUInt16BE()).padStart(5, "0")}${String(phoneCounter).padStart(3, "0")}`;
  return {
    otpId: randomUUID(),
    tenantId,
    requestId: randomUUID(),
    traceparent: "",
    acceptedAt: Date.now(),
    expiresAt: Date.now() + 300_000,
    senderId: "OTPLAB",
    phoneHash: phoneHash(keys, tenantId, phone),
    phoneMasked: maskPhone(phone),
    phone,
    text: `Your verification code is ${String(phoneCounter).padStart(6, "0")}`,
    ...overrides,
  };
}

const enqueue = (sms: Config["sms"], ...jobs: SmsJob[]) => enqueueOn(redis, sms, ...jobs);

async function enqueueOn(client: RedisClient, sms: Config["sms"], ...jobs: SmsJob[]): Promise<void> {
  for (const job of jobs) await client.xadd(sms.streamKey, "*", ...Object.entries(sealJob(job, keys)).flat());
}

async function sendLogRows(otpIds: string[]): Promise<Array<Record<string, unknown>>> {
  const { rows } = await pool.query(
    "SELECT otp_id, status, attempts, provider_message_id, last_error, phone_masked FROM otp_send_log WHERE otp_id = ANY($1::uuid[])",
    [otpIds],
  );
  return rows;
}

async function deadLetters(sms: Config["sms"]): Promise<Array<Record<string, string>>> {
  const entries = (await redis.xrange(sms.deadLetterKey, "-", "+")) as Array<[string, string[]]>;
  return entries.map(([, flat]) => fieldsFromFlat(flat));
}

async function pendingCount(sms: Config["sms"]): Promise<number> {
  const summary = (await redis.xpending(sms.streamKey, sms.consumerGroup)) as [number, ...unknown[]];
  return Number(summary[0]);
}

describe("SMS worker", () => {
  it("frees a delivery slot when the provider call ends, not when the batched send log commits", async () => {
    // Two slots and a send log that commits only when told to: if a slot waited for the commit,
    // the provider would see two jobs, not all 20. Delivery must not be paced by the log.
    const { sms, worker, sendLog } = harness({ concurrency: 2 }, { sendLog: { batchSize: 1_000, flushIntervalMs: 600_000 } });
    const jobs = Array.from({ length: 20 }, () => newJob());
    await enqueue(sms, ...jobs);
    await worker.start();
    // Every outcome waits in the log's buffer, so every job went through a slot before any commit.
    await expect.poll(() => sendLog.buffered(), { timeout: 10_000, interval: 20 }).toBe(20);
    expect(mock.stats().accepted).toBe(20);
    // Nothing is acknowledged before its outcome is durable: the stream still holds every job.
    expect(await sendLogRows(jobs.map((j) => j.otpId))).toHaveLength(0);
    expect(await redis.xlen(sms.streamKey)).toBe(20);
    await sendLog.flush();
    expect(await sendLogRows(jobs.map((j) => j.otpId))).toHaveLength(20);
    await expect.poll(() => redis.xlen(sms.streamKey)).toBe(0);
  });

  it("delivers a job: the provider gets the number and text, the send log says delivered, the entry is gone", async () => {
    const { sms, worker, registry } = harness();
    const job = newJob();
    await enqueue(sms, job);
    await worker.start();

    await expect.poll(() => sendLogRows([job.otpId]), { timeout: 5_000 }).toHaveLength(1);
    const [row] = await sendLogRows([job.otpId]);
    const [message] = mock.messages(job.phone);
    expect(message).toMatchObject({ to: job.phone, from: "OTPLAB", text: job.text, reference: job.otpId });
    expect(row).toMatchObject({
      status: "delivered",
      attempts: 1,
      provider_message_id: message?.id,
      last_error: null,
      phone_masked: job.phoneMasked,
    });
    await expect.poll(() => redis.xlen(sms.streamKey)).toBe(0);
    expect(await pendingCount(sms)).toBe(0);
    expect(await registrySample(registry, "sms_jobs_total", { outcome: "delivered" })).toBe(1);
    expect(await registrySample(registry, "sms_send_duration_seconds_count", { outcome: "ok" })).toBe(1);
  });

  it("a send the provider accepted after the client timed out ends delivered, with one message and its original id", async () => {
    const { sms, worker } = harness({ timeoutMs: 300 });
    // The mock's counters run across this file's tests.
    const before = mock.stats();
    const since = () => {
      const now = mock.stats();
      return {
        received: now.received - before.received,
        accepted: now.accepted - before.accepted,
        duplicates: now.duplicates - before.duplicates,
      };
    };
    mock.setFaults({ latencyMs: 600 });
    const job = newJob();
    await enqueue(sms, job);
    await worker.start();

    // The first attempt timed out at the client, and the provider accepted it afterwards.
    await expect.poll(() => since().accepted, { timeout: 5_000, interval: 10 }).toBeGreaterThanOrEqual(1);
    mock.setFaults({ latencyMs: 0 });
    await expect.poll(() => sendLogRows([job.otpId]), { timeout: 5_000 }).toHaveLength(1);
    // Every attempt still held at the provider has been answered.
    const { received } = since();
    await expect.poll(() => since().accepted, { timeout: 5_000 }).toBe(received);
    const messages = mock.messages(job.phone);
    expect(messages).toHaveLength(1);
    const [row] = await sendLogRows([job.otpId]);
    expect(row).toMatchObject({ status: "delivered", provider_message_id: messages[0]?.id, last_error: null });
    expect(Number(row?.attempts)).toBeGreaterThanOrEqual(2);
    expect(since().duplicates).toBe(received - 1);
  });

  it("parks a job that cannot be opened in the dead-letter stream with the reason, and acknowledges it", async () => {
    const { sms, worker } = harness();
    const tampered = sealJob(newJob(), deriveKeys("some-other-secret-of-at-least-32-characters!"));
    const missing = { ...sealJob(newJob(), keys) } as Record<string, string>;
    delete missing.otpId;
    await redis.xadd(sms.streamKey, "*", ...Object.entries(tampered).flat());
    await redis.xadd(sms.streamKey, "*", ...Object.entries(missing).flat());
    await worker.start();

    await expect.poll(() => deadLetters(sms), { timeout: 5_000 }).toHaveLength(2);
    const dead = await deadLetters(sms);
    expect(dead.map((fields) => fields.outcome)).toEqual(["dead_lettered", "dead_lettered"]);
    expect(dead.map((fields) => fields.error).sort()).toEqual([
      "corrupt job: SMS job is missing field otpId",
      "corrupt job: sealed payload cannot be opened",
    ]);
    await expect.poll(() => redis.xlen(sms.streamKey)).toBe(0);
    expect(await pendingCount(sms)).toBe(0);
    // The tampered job still names its OTP and tenant, so its fate is recorded too.
    await expect
      .poll(() => sendLogRows([tampered.otpId as string]))
      .toEqual([expect.objectContaining({ status: "dead_lettered", last_error: "corrupt job: sealed payload cannot be opened" })]);
  });

  it("reclaims jobs a dead consumer read and never acknowledged, and delivers every one", async () => {
    const { sms, worker, registry } = harness({ reclaimIdleMs: 100, reclaimIntervalMs: 50 });
    await redis.xgroup("CREATE", sms.streamKey, sms.consumerGroup, "0", "MKSTREAM");
    const jobs = Array.from({ length: 10 }, () => newJob());
    await enqueue(sms, ...jobs);
    expect(await registrySample(registry, "sms_stream_lag")).toBe(10);
    // A consumer that read the jobs and died before acknowledging any of them.
    const read = await redis.xreadgroup("GROUP", sms.consumerGroup, "crashed-consumer", "COUNT", 10, "STREAMS", sms.streamKey, ">");
    expect((read as Array<[string, unknown[]]>)[0]?.[1]).toHaveLength(10);
    expect(await pendingCount(sms)).toBe(10);
    expect(await registrySample(registry, "sms_stream_pending")).toBe(10);
    expect(await registrySample(registry, "sms_stream_lag")).toBe(0);

    await worker.start();
    const ids = jobs.map((job) => job.otpId);
    await expect.poll(() => sendLogRows(ids), { timeout: 10_000 }).toHaveLength(10);
    for (const row of await sendLogRows(ids)) expect(row.status).toBe("delivered");
    for (const job of jobs) expect(mock.messages(job.phone)).toHaveLength(1);
    await expect.poll(() => redis.xlen(sms.streamKey)).toBe(0);
    expect(await pendingCount(sms)).toBe(0);
    expect(await registrySample(registry, "sms_jobs_total", { outcome: "reclaimed" })).toBe(10);
    expect(await registrySample(registry, "sms_stream_pending")).toBe(0);
  });

  it("stop() lets in-flight jobs finish and record their outcome before it resolves", async () => {
    const { sms, worker, registry, sendLog } = harness();
    mock.setFaults({ latencyMs: 400 });
    const jobs = Array.from({ length: 3 }, () => newJob());
    await enqueue(sms, ...jobs);
    await worker.start();
    await expect.poll(() => registrySample(registry, "sms_jobs_in_flight"), { timeout: 5_000 }).toBe(3);

    await worker.stop();
    expect(await registrySample(registry, "sms_jobs_in_flight")).toBe(0);
    expect(sendLog.buffered()).toBe(0);
    const rows = await sendLogRows(jobs.map((job) => job.otpId));
    expect(rows.map((row) => row.status)).toEqual(["delivered", "delivered", "delivered"]);
    expect(await redis.xlen(sms.streamKey)).toBe(0);
    expect(await pendingCount(sms)).toBe(0);
  });

  it("a job waiting to retry when the worker stops stays pending, and another worker takes it over and delivers it", async () => {
    const stopping = harness({ retryBaseMs: 10_000, retryMaxMs: 10_000 }, { random: () => 0.99 });
    mock.setFaults({ errorRate: 1 });
    const job = newJob();
    await enqueue(stopping.sms, job);
    await stopping.worker.start();
    await expect.poll(() => registrySample(stopping.registry, "sms_jobs_total", { outcome: "retried" }), { timeout: 5_000 }).toBe(1);

    await stopping.worker.stop();
    // The 9.9 s wait was cut short: no second attempt was made.
    expect(await registrySample(stopping.registry, "sms_send_duration_seconds_count", { outcome: "retryable_error" })).toBe(1);
    expect(await pendingCount(stopping.sms)).toBe(1);
    expect(await sendLogRows([job.otpId])).toEqual([]);
    expect(await deadLetters(stopping.sms)).toEqual([]);

    mock.setFaults({ errorRate: 0 });
    const { worker } = harness({ ...stopping.sms, reclaimIdleMs: 100, reclaimIntervalMs: 50 });
    await worker.start();
    await expect
      .poll(() => sendLogRows([job.otpId]), { timeout: 5_000 })
      .toEqual([expect.objectContaining({ status: "delivered", attempts: 1 })]);
    expect(mock.messages(job.phone)).toHaveLength(1);
    await expect.poll(() => pendingCount(stopping.sms)).toBe(0);
  });

  it("stop() ends the blocking read at once when there is nothing to do", async () => {
    // A read that would block for longer than the test may run: only ending it lets stop() resolve.
    const { worker } = harness({}, { blockMs: 120_000 });
    await worker.start();
    // The reader is blocked in XREADGROUP once Redis lists its connection with the blocked flag.
    await expect.poll(blockedReaders, { timeout: 5_000, interval: 10 }).toBe(1);
    await worker.stop();
    expect(await blockedReaders()).toBe(0);
  });
});

/** This process's SMS reader connections that Redis shows blocked in XREADGROUP (CLIENT LIST flags include b). */
async function blockedReaders(): Promise<number> {
  const list = (await redis.client("LIST")) as string;
  const readerName = `name=otp-service/sms-reader/${hostname()}-${process.pid} `;
  return list.split("\n").filter((line) => line.includes(readerName) && / cmd=xreadgroup /.test(line) && / flags=\w*b/.test(line)).length;
}

describe("dead letters", () => {
  /** A dead-letter entry the way the worker writes it for a rejected job. */
  async function deadLetterRejected(sms: Config["sms"], job: SmsJob): Promise<void> {
    const fields = { ...sealJob(job, keys), outcome: "rejected", error: "provider answered 400", attempts: "1", sourceId: "1-1" };
    await redis.xadd(sms.deadLetterKey, "*", ...Object.entries(fields).flat());
  }

  it("are trimmed to about deadLetterMaxLength", async () => {
    const { sms, worker, registry } = harness({ deadLetterMaxLength: 100 });
    const corrupt = { ...sealJob(newJob(), keys) } as Record<string, string>;
    delete corrupt.otpId;
    const pipeline = redis.pipeline();
    for (let i = 0; i < 300; i += 1) pipeline.xadd(sms.streamKey, "*", ...Object.entries(corrupt).flat());
    await pipeline.exec();
    await worker.start();

    await expect.poll(() => registrySample(registry, "sms_jobs_total", { outcome: "dead_lettered" }), { timeout: 10_000 }).toBe(300);
    // MAXLEN ~ drops whole stream nodes (100 entries each by default): between the bound and one node more.
    const length = await redis.xlen(sms.deadLetterKey);
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThanOrEqual(200);
    expect(await registrySample(registry, "sms_dead_letter_length")).toBe(length);
    await expect.poll(() => redis.xlen(sms.streamKey)).toBe(0);
  });

  it("re-drive moves intact ones back onto the job stream, where they are delivered and the send log says so; corrupt ones stay", async () => {
    const { sms, worker, registry } = harness();
    mock.setFaults({ errorRate: 1, errorStatus: 400 });
    const job = newJob();
    await enqueue(sms, job);
    await worker.start();
    await expect
      .poll(() => sendLogRows([job.otpId]), { timeout: 5_000 })
      .toEqual([expect.objectContaining({ status: "rejected", attempts: 1, provider_message_id: null })]);
    const [rejected] = await deadLetters(sms);
    expect(rejected).toMatchObject({ otpId: job.otpId, tenantId, outcome: "rejected", attempts: "1", phoneMasked: job.phoneMasked });
    expect(rejected?.error).toMatch(/^provider answered 400/);
    // Still sealed: the dead-letter stream holds neither the number nor the code in clear.
    expect(JSON.stringify(rejected)).not.toContain(job.phone);
    expect(JSON.stringify(rejected)).not.toContain(job.text);
    expect(await registrySample(registry, "sms_send_duration_seconds_count", { outcome: "permanent_error" })).toBe(1);
    expect(await registrySample(registry, "sms_jobs_total", { outcome: "rejected" })).toBe(1);
    const corrupt: Record<string, string> = {
      ...sealJob(newJob(), deriveKeys("some-other-secret-of-at-least-32-characters!")),
      outcome: "dead_lettered",
    };
    await redis.xadd(sms.deadLetterKey, "*", ...Object.entries(corrupt).flat());
    expect(await deadLetters(sms)).toHaveLength(2);

    // The provider-side cause is fixed; a dry run changes nothing.
    mock.setFaults({ errorRate: 0 });
    expect(await redriveDeadLetters({ redis, sms, keys, dryRun: true })).toEqual({ moved: 1, expired: 0, skipped: 1 });
    expect(await deadLetters(sms)).toHaveLength(2);
    expect(await redriveDeadLetters({ redis, sms, keys })).toEqual({ moved: 1, expired: 0, skipped: 1 });

    await expect
      .poll(() => sendLogRows([job.otpId]), { timeout: 5_000 })
      .toEqual([expect.objectContaining({ status: "delivered", attempts: 2, last_error: null })]);
    const messages = mock.messages(job.phone);
    expect(messages).toHaveLength(1);
    expect((await sendLogRows([job.otpId]))[0]?.provider_message_id).toBe(messages[0]?.id);
    expect((await deadLetters(sms)).map((fields) => fields.otpId)).toEqual([corrupt.otpId]);
    await expect.poll(() => redis.xlen(sms.streamKey)).toBe(0);
  });

  it("re-drive honours --limit and moves each entry once, also when two runs race", async () => {
    const { sms } = harness();
    const jobs = Array.from({ length: 5 }, () => newJob());
    for (const job of jobs) await deadLetterRejected(sms, job);

    expect(await redriveDeadLetters({ redis, sms, keys, limit: 2 })).toEqual({ moved: 2, expired: 0, skipped: 0 });
    const [first, second] = await Promise.all([redriveDeadLetters({ redis, sms, keys }), redriveDeadLetters({ redis, sms, keys })]);
    expect((first?.moved ?? 0) + (second?.moved ?? 0)).toBe(3);
    expect(await redis.xlen(sms.deadLetterKey)).toBe(0);
    const moved = (await redis.xrange(sms.streamKey, "-", "+")) as Array<[string, string[]]>;
    const fields = moved.map(([, flat]) => fieldsFromFlat(flat));
    expect(fields.map((f) => f.otpId)).toEqual(jobs.map((job) => job.otpId));
    // Only the job's own fields go back: the worker would otherwise carry a stale outcome along.
    expect(Object.keys(fields[0] ?? {})).toEqual(Object.keys(sealJob(jobs[0] as SmsJob, keys)));
  });

  it("the redrive-dead-letters command prints what it moved, and a job whose code expired meanwhile is finished as expired_undelivered", async () => {
    const { sms, worker } = harness();
    const expired = newJob({ acceptedAt: Date.now() - 400_000, expiresAt: Date.now() - 100_000 });
    await deadLetterRejected(sms, expired);
    const env = {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "test",
      LOG_LEVEL: "silent",
      OTEL_TRACES_SAMPLER: "always_off",
      OTP_SECRET: "sms-worker-test-secret-of-at-least-32-characters",
      REDIS_URL: inject("redisUrl"),
      SMS_STREAM_KEY: sms.streamKey,
      SMS_DEAD_LETTER_KEY: sms.deadLetterKey,
    };
    const run = (...args: string[]) =>
      JSON.parse(execFileSync(process.execPath, [APP_MAIN, "redrive-dead-letters", ...args], { env, encoding: "utf8" })) as unknown;
    expect(run("--dry-run")).toEqual({ moved: 1, expired: 1, skipped: 0, dryRun: true });
    expect(run("--limit", "10")).toEqual({ moved: 1, expired: 1, skipped: 0, dryRun: false });
    expect(await redis.xlen(sms.deadLetterKey)).toBe(0);

    await worker.start();
    await expect
      .poll(() => sendLogRows([expired.otpId]), { timeout: 5_000 })
      .toEqual([expect.objectContaining({ status: "expired_undelivered", attempts: 0 })]);
    expect(await deadLetters(sms)).toEqual([expect.objectContaining({ otpId: expired.otpId, outcome: "expired_undelivered" })]);
    expect(mock.messages(expired.phone)).toEqual([]);
  });
});

describe("SMS backlog metrics", () => {
  it("report the backlog length, the age of the oldest waiting job and the dead-letter length", async () => {
    const { sms, registry } = harness();
    expect(await registrySample(registry, "sms_stream_oldest_job_age_seconds")).toBe(0);
    const appended = Date.now() - 90_000;
    await redis.xadd(sms.streamKey, `${appended}-0`, ...Object.entries(sealJob(newJob(), keys)).flat());
    await enqueue(sms, newJob(), newJob());
    await redis.xadd(sms.deadLetterKey, "*", "otpId", "x");

    expect(await registrySample(registry, "sms_stream_length")).toBe(3);
    const age = await registrySample(registry, "sms_stream_oldest_job_age_seconds");
    expect(age).toBeGreaterThanOrEqual(90);
    expect(age).toBeLessThan(95);
    expect(await registrySample(registry, "sms_dead_letter_length")).toBe(1);
  });
});

describe("SMS worker while Redis restarts", () => {
  let dir: string;
  let server: RedisServer;
  let client: RedisClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "otp-lab-sms-redis-"));
    server = await createRedis({ dir, port: await freePort(), persistence: false });
    client = createRedisClient({ url: server.url, connectTimeoutMs: 500, commandTimeoutMs: 1_000 }, { logger, name: "sms-outage" });
    if (client.status !== "ready") await once(client, "ready");
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps running through the outage, recreates its group, and delivers jobs once Redis is back; stop() stays bounded", async () => {
    const { sms, worker } = harness({}, { client });
    const before = newJob();
    await enqueueOn(client, sms, before);
    await worker.start();
    await expect.poll(() => sendLogRows([before.otpId]), { timeout: 5_000 }).toHaveLength(1);

    // Persistence is off: the restarted Redis has lost the stream and the group.
    await server.stop();
    await expect.poll(() => client.status, { timeout: 5_000 }).not.toBe("ready");
    await server.start();
    await expect.poll(() => client.status, { timeout: 10_000 }).toBe("ready");
    const after = newJob();
    await expect.poll(() => client.exists(sms.streamKey), { timeout: 10_000 }).toBe(1);
    await enqueueOn(client, sms, after);
    await expect.poll(() => sendLogRows([after.otpId]), { timeout: 10_000 }).toEqual([expect.objectContaining({ status: "delivered" })]);

    await server.stop();
    const started = performance.now();
    await worker.stop();
    expect(performance.now() - started).toBeLessThan(3_000);
    await server.start();
  });
});

describe("SMS worker tracing", () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const contextManager = new AsyncLocalStorageContextManager();

  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    enableHttpSpans();
  });
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    propagation.disable();
    context.disable();
  });

  it("the delivery span is a CONSUMER span whose parent is the send request's span", async () => {
    const { sms, worker } = harness();
    const traceId = randomBytes(16).toString("hex");
    const requestSpanId = randomBytes(8).toString("hex");
    const job = newJob({ traceparent: `00-${traceId}-${requestSpanId}-01` });
    await enqueue(sms, job);
    await worker.start();

    await expect.poll(() => exporter.getFinishedSpans().find((span) => span.name === "sms.deliver"), { timeout: 5_000 }).toBeDefined();
    const span = exporter.getFinishedSpans().find((s) => s.name === "sms.deliver");
    expect(span?.kind).toBe(SpanKind.CONSUMER);
    expect(span?.spanContext().traceId).toBe(traceId);
    expect(span?.parentSpanContext?.spanId).toBe(requestSpanId);
    expect(span?.attributes).toMatchObject({ "otp.id": job.otpId, "sms.outcome": "delivered", "sms.attempts": 1 });
  });

  it("each provider call is a CLIENT span under the delivery span, and the provider receives its traceparent", async () => {
    const received: string[] = [];
    const provider = createServer((req, res) => {
      received.push(String(req.headers.traceparent ?? ""));
      req.resume();
      req.on("end", () => {
        res.writeHead(202, { "content-type": "application/json" });
        res.end(JSON.stringify({ id: randomUUID() }));
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = provider.address() as { port: number };
      const { sms, worker } = harness({ providerUrl: `http://127.0.0.1:${port}` });
      const traceId = randomBytes(16).toString("hex");
      await enqueue(sms, newJob({ traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01` }));
      await worker.start();

      const finished = () => exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
      await expect.poll(() => finished().find((span) => span.name === "sms.deliver"), { timeout: 5_000 }).toBeDefined();
      const deliver = finished().find((span) => span.name === "sms.deliver");
      const call = finished().find((span) => span.kind === SpanKind.CLIENT);
      expect(call?.name).toBe("POST");
      expect(call?.parentSpanContext?.spanId).toBe(deliver?.spanContext().spanId);
      expect(call?.attributes).toMatchObject({ "http.request.method": "POST", "http.response.status_code": 202 });
      expect(received).toEqual([`00-${traceId}-${call?.spanContext().spanId}-01`]);
    } finally {
      await new Promise((resolve) => provider.close(resolve));
    }
  });
});

describe("SMS provider client", () => {
  const message = (to = "+14155550100") => ({
    to,
    from: "OTPLAB",
    text: "Your code is 123456",
    reference: randomUUID(),
    requestId: "req-1",
  });

  async function failure(promise: Promise<unknown>): Promise<SmsProviderError> {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SmsProviderError);
    return error as SmsProviderError;
  }

  it("returns the provider's message id and sends the reference as the Idempotency-Key", async () => {
    const client = createSmsProviderClient({ baseUrl: mock.url, timeoutMs: 2_000 });
    const sent = message();
    const { messageId } = await client.send(sent);
    expect(mock.messages(sent.to)[0]).toMatchObject({ id: messageId, reference: sent.reference, text: sent.text });
    const before = mock.stats().duplicates;
    expect(await client.send(sent)).toEqual({ messageId });
    expect(mock.stats().duplicates).toBe(before + 1);
    expect(mock.messages(sent.to)).toHaveLength(1);
  });

  it("classifies 5xx, 429, timeouts and refused connections as retryable, other 4xx as permanent", async () => {
    const client = createSmsProviderClient({ baseUrl: mock.url, timeoutMs: 150 });
    mock.setFaults({ errorRate: 1, errorStatus: 503 });
    expect(await failure(client.send(message()))).toMatchObject({ retryable: true, status: 503, failure: "http" });
    mock.setFaults({ errorStatus: 429 });
    expect(await failure(client.send(message()))).toMatchObject({ retryable: true, status: 429 });
    mock.setFaults({ errorStatus: 422 });
    expect(await failure(client.send(message()))).toMatchObject({ retryable: false, status: 422 });
    mock.setFaults({ errorRate: 0 });
    expect(await failure(client.send(message("not-a-number")))).toMatchObject({ retryable: false, status: 400 });
    mock.setFaults({ latencyMs: 1_000 });
    expect(await failure(client.send(message()))).toMatchObject({ retryable: true, failure: "timeout" });
    const closed = createSmsProviderClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, timeoutMs: 500 });
    expect(await failure(closed.send(message()))).toMatchObject({ retryable: true, failure: "network" });
  });
});
