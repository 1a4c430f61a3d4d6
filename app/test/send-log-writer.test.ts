// The batched send-log writer against a real PostgreSQL: batching, durability before resolve,
// merging of redelivered outcomes, flush on close, and surviving a PostgreSQL outage.
import { randomUUID } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@otp-lab/local-stack/ports";
import { createPostgres, type PostgresServer } from "@otp-lab/local-stack/postgres";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { SendLogRecord } from "../src/domain/send-log";
import { migrate } from "../src/stores/migrate";
import { createPostgresPool, type PgPool } from "../src/stores/postgres";
import { createSendLogWriter, type SendLogWriter, type SendLogWriterOptions } from "../src/stores/send-log-writer";
import { createLogger } from "../src/telemetry/logger";
import { registrySample } from "./support/metrics";

const logger = createLogger({ level: "silent", serviceName: "send-log-writer-test" });

function poolFor(url: string): PgPool {
  return createPostgresPool(
    { url, poolMax: 4, connectTimeoutMs: 500, statementTimeoutMs: 5_000, idleTimeoutMs: 10_000 },
    { logger, name: "send-log-test" },
  );
}

async function insertTenant(pool: PgPool): Promise<string> {
  const name = `send-log-${randomUUID()}`;
  const { rows } = await pool.query<{ id: string }>("INSERT INTO tenants (name, api_key_hash) VALUES ($1, $2) RETURNING id", [
    name,
    `hash-${name}`,
  ]);
  return (rows[0] as { id: string }).id;
}

function outcome(tenantId: string, overrides: Partial<SendLogRecord> = {}): SendLogRecord {
  return {
    tenantId,
    otpId: randomUUID(),
    phoneHash: "phone-hash",
    phoneMasked: "+44*****123",
    requestId: randomUUID(),
    status: "delivered",
    providerMessageId: `msg-${randomUUID()}`,
    attempts: 1,
    providerLatencyMs: 12,
    lastError: null,
    acceptedAt: new Date(Date.now() - 1_000),
    completedAt: new Date(),
    ...overrides,
  };
}

function deadLettered(tenantId: string, overrides: Partial<SendLogRecord> = {}): SendLogRecord {
  return outcome(tenantId, { status: "dead_lettered", providerMessageId: null, providerLatencyMs: null, lastError: "503", ...overrides });
}

async function rowCount(pool: PgPool, tenantId: string): Promise<number> {
  const { rows } = await pool.query<{ count: string }>("SELECT count(*) FROM otp_send_log WHERE tenant_id = $1", [tenantId]);
  return Number(rows[0]?.count);
}

describe("send-log writer", () => {
  let pool: PgPool;
  let tenantId: string;
  const writers: SendLogWriter[] = [];

  function writer(options: Partial<SendLogWriterOptions> = {}): { writer: SendLogWriter; registry: Registry } {
    const registry = new Registry();
    const created = createSendLogWriter({ pool, batchSize: 100, flushIntervalMs: 50, maxBuffered: 1_000, logger, registry, ...options });
    writers.push(created);
    return { writer: created, registry };
  }

  beforeAll(async () => {
    pool = poolFor(inject("postgresUrl"));
    tenantId = await insertTenant(pool);
  });
  afterEach(async () => {
    await Promise.all(writers.splice(0).map((w) => w.close()));
    await pool.query("DELETE FROM otp_send_log WHERE tenant_id = $1", [tenantId]);
  });
  afterAll(async () => {
    await pool.query("DELETE FROM tenants WHERE id = $1", [tenantId]);
    await pool.end();
  });

  it("writes N records in ceil(N / batchSize) INSERTs: full batches at once, the rest when the interval ends", async () => {
    const { writer: log, registry } = writer({ batchSize: 5, flushIntervalMs: 150 });
    const started = performance.now();
    const records = Array.from({ length: 12 }, () => outcome(tenantId));
    await Promise.all(records.map((record) => log.record(record)));
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(await rowCount(pool, tenantId)).toBe(12);
    expect(await registrySample(registry, "send_log_batch_size_count")).toBe(3);
    expect(await registrySample(registry, "send_log_batch_size_sum")).toBe(12);
    expect(await registrySample(registry, "send_log_flush_duration_seconds_count", { outcome: "ok" })).toBe(3);
    expect(log.buffered()).toBe(0);
  });

  it("a full batch is written without waiting for the interval", async () => {
    const { writer: log, registry } = writer({ batchSize: 4, flushIntervalMs: 60_000 });
    await Promise.all(Array.from({ length: 8 }, () => log.record(outcome(tenantId))));
    expect(await rowCount(pool, tenantId)).toBe(8);
    expect(await registrySample(registry, "send_log_batch_size_count")).toBe(2);
  });

  it("record() resolves only once its row is committed, not when it is buffered", async () => {
    // The interval never ends during the test: the commit happens when the test asks for it, so the
    // checks before it cannot race a timer (the first test covers the flush at the interval's end).
    const { writer: log, registry } = writer({ batchSize: 100, flushIntervalMs: 600_000 });
    const record = outcome(tenantId);
    let resolved = false;
    const written = log.record(record).then(() => {
      resolved = true;
    });
    expect(log.buffered()).toBe(1);
    expect(await rowCount(pool, tenantId)).toBe(0);
    expect(resolved).toBe(false);
    await log.flush();
    await written;
    const { rows } = await pool.query("SELECT status, provider_message_id, attempts, phone_masked FROM otp_send_log WHERE otp_id = $1", [
      record.otpId,
    ]);
    expect(rows).toEqual([
      { status: "delivered", provider_message_id: record.providerMessageId, attempts: 1, phone_masked: "+44*****123" },
    ]);
    expect(await registrySample(registry, "send_log_batch_size_count")).toBe(1);
  });

  it("merges outcomes of one OTP within a batch: one row, delivered wins, attempts add up", async () => {
    const { writer: log, registry } = writer({ flushIntervalMs: 60_000 });
    const otpId = randomUUID();
    const delivered = outcome(tenantId, { otpId, attempts: 2 });
    const pending = [
      log.record(deadLettered(tenantId, { otpId, attempts: 3 })),
      log.record(delivered),
      log.record(deadLettered(tenantId, { otpId })),
    ];
    await log.flush();
    await Promise.all(pending);
    const { rows } = await pool.query("SELECT status, provider_message_id, attempts, last_error FROM otp_send_log WHERE otp_id = $1", [
      otpId,
    ]);
    expect(rows).toEqual([{ status: "delivered", provider_message_id: delivered.providerMessageId, attempts: 6, last_error: null }]);
    expect(await registrySample(registry, "send_log_duplicate_outcomes_total")).toBe(2);
  });

  it("merges a redelivered outcome into the stored row: delivered is never overwritten by a later dead-letter", async () => {
    const { writer: log, registry } = writer();
    const otpId = randomUUID();
    await log.record(deadLettered(tenantId, { otpId, attempts: 3, lastError: "provider answered 503" }));
    const delivered = outcome(tenantId, { otpId, attempts: 1 });
    await log.record(delivered);
    await log.record(deadLettered(tenantId, { otpId, attempts: 2 }));
    const { rows } = await pool.query("SELECT status, provider_message_id, attempts, last_error FROM otp_send_log WHERE otp_id = $1", [
      otpId,
    ]);
    expect(rows).toEqual([{ status: "delivered", provider_message_id: delivered.providerMessageId, attempts: 6, last_error: null }]);
    expect(await registrySample(registry, "send_log_duplicate_outcomes_total")).toBe(2);
  });

  it("writing the very same record twice (a retried batch whose commit was lost) is not a duplicate", async () => {
    const { writer: log, registry } = writer();
    const record = outcome(tenantId, { attempts: 2 });
    await log.record(record);
    await log.record({ ...record });
    const { rows } = await pool.query("SELECT attempts FROM otp_send_log WHERE otp_id = $1", [record.otpId]);
    expect(rows).toEqual([{ attempts: 2 }]);
    expect(await registrySample(registry, "send_log_duplicate_outcomes_total")).toBe(0);
  });

  it("close() writes everything pending at once, and refuses records afterwards", async () => {
    const { writer: log } = writer({ batchSize: 100, flushIntervalMs: 60_000 });
    const pending = Array.from({ length: 7 }, () => log.record(outcome(tenantId)));
    expect(log.buffered()).toBe(7);
    await log.close();
    await Promise.all(pending);
    expect(await rowCount(pool, tenantId)).toBe(7);
    await expect(log.record(outcome(tenantId))).rejects.toThrow(/closed/);
  });

  it("a record PostgreSQL refuses for good is rejected alone; the rest of its batch is written", async () => {
    const { writer: log, registry } = writer({ flushIntervalMs: 60_000 });
    const good = Array.from({ length: 5 }, () => outcome(tenantId));
    // No such tenant: a foreign-key violation, which no retry can fix.
    const orphan = outcome(randomUUID());
    const results = Promise.allSettled([...good.slice(0, 2), orphan, ...good.slice(2)].map((record) => log.record(record)));
    await log.flush();
    const settled = await results;
    expect(settled.map((result) => result.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled", "fulfilled", "fulfilled"]);
    expect(((settled[2] as PromiseRejectedResult).reason as { code?: string }).code).toBe("23503");
    expect(await rowCount(pool, tenantId)).toBe(5);
    expect(await registrySample(registry, "send_log_flush_duration_seconds_count", { outcome: "error" })).toBeGreaterThan(0);
  });
});

describe("send-log writer while PostgreSQL is down", () => {
  let dir: string;
  let postgres: PostgresServer;
  let pool: PgPool;
  let tenantId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "otp-lab-send-log-"));
    chmodSync(dir, 0o755);
    postgres = await createPostgres({ dir, port: await freePort() });
    pool = poolFor(postgres.url);
    const client = await pool.connect();
    try {
      await migrate(client);
    } finally {
      client.release();
    }
    tenantId = await insertTenant(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps every record while PostgreSQL is away, holds back callers at maxBuffered, and writes them all once it is back", async () => {
    const registry = new Registry();
    const log = createSendLogWriter({
      pool,
      batchSize: 5,
      flushIntervalMs: 20,
      maxBuffered: 8,
      logger,
      registry,
      retryBaseMs: 20,
      retryMaxMs: 200,
    });
    await log.record(outcome(tenantId));

    await postgres.stop();
    const records = Array.from({ length: 20 }, () => outcome(tenantId));
    let written = 0;
    const pending = records.map((record) =>
      log.record(record).then(() => {
        written += 1;
      }),
    );
    // Backpressure: the buffer fills to its limit and stays there; the other callers wait.
    await expect.poll(() => log.buffered(), { timeout: 5_000 }).toBe(8);
    await expect
      .poll(() => registrySample(registry, "send_log_flush_duration_seconds_count", { outcome: "unavailable" }), { timeout: 5_000 })
      .toBeGreaterThan(1);
    expect(log.buffered()).toBe(8);
    expect(written).toBe(0);

    await postgres.start();
    await Promise.all(pending);
    expect(written).toBe(20);
    expect(log.buffered()).toBe(0);
    const { rows } = await pool.query<{ otp_id: string }>("SELECT otp_id FROM otp_send_log WHERE tenant_id = $1", [tenantId]);
    expect(rows).toHaveLength(21);
    for (const record of records) expect(rows.map((row) => row.otp_id)).toContain(record.otpId);
    await log.close();
  });
});
