// Writes delivery outcomes to otp_send_log in batches: one INSERT per batch instead of one per SMS.
// record() resolves only once its row is committed, because the worker acknowledges the job then.
// Nothing is dropped: while PostgreSQL is away, batches are retried with capped backoff, and once
// maxBuffered records wait, record() itself waits (backpressure on the worker) instead of dropping.
import { setTimeout as sleep } from "node:timers/promises";
import { context, ROOT_CONTEXT } from "@opentelemetry/api";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Config } from "../config/schema";
import type { SendLogRecord, SendLogSink } from "../domain/send-log";
import { backoffDelayMs } from "../shared/backoff";
import type { Logger } from "../telemetry/logger";
import { isPostgresUnavailable, type PgPool } from "./postgres";

export type SendLogWriterOptions = Config["sendLog"] & {
  pool: PgPool;
  logger: Logger;
  registry: Registry;
  /** Backoff between attempts while PostgreSQL is unavailable. */
  retryBaseMs?: number;
  retryMaxMs?: number;
};

export interface SendLogWriter extends SendLogSink {
  /** Writes everything buffered now, without waiting for a full batch; resolves once each record settled. */
  flush(): Promise<void>;
  /** Refuses new records and writes every pending one. For shutdown, after the worker stopped. */
  close(): Promise<void>;
  /** Records accepted and not yet committed (waiting or being written). */
  buffered(): number;
}

interface Pending {
  record: SendLogRecord;
  sequence: number;
  enqueuedAt: number;
  resolve(): void;
  reject(error: unknown): void;
  settled: Promise<unknown>;
}

/** Records merged into one row: a statement may not touch the same row twice. */
interface Row {
  record: SendLogRecord;
  entries: Pending[];
}

// Serialisation failures, deadlocks and statement timeouts pass; retrying them is safe.
const TRANSIENT_SQLSTATES = new Set(["40001", "40P01", "57014"]);

const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000];
const FLUSH_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createSendLogWriter(options: SendLogWriterOptions): SendLogWriter {
  const { pool, batchSize, flushIntervalMs, maxBuffered } = options;
  const logger = options.logger.child({ component: "send-log-writer" });
  const retry = { retryBaseMs: options.retryBaseMs ?? 100, retryMaxMs: options.retryMaxMs ?? 5_000 };
  const metrics = createMetrics(options.registry, () => buffered());

  const queue: Pending[] = [];
  let writing: Pending[] = [];
  /** Callers held back while the buffer is full, admitted in arrival order as space frees up. */
  const blocked: Array<() => void> = [];
  let sequence = 0;
  /** Records up to this sequence number are written without waiting for a full batch. */
  let flushThrough = 0;
  let timer: NodeJS.Timeout | undefined;
  let draining: Promise<void> | undefined;
  let closed = false;

  function buffered(): number {
    return queue.length + writing.length;
  }

  function isDue(): boolean {
    const oldest = queue[0];
    if (!oldest) return false;
    return (
      closed || queue.length >= batchSize || oldest.sequence <= flushThrough || performance.now() - oldest.enqueuedAt >= flushIntervalMs
    );
  }

  function schedule(): void {
    if (draining) return;
    if (isDue()) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      // Outside any caller's trace: a batch holds the outcomes of many deliveries.
      draining = context.with(ROOT_CONTEXT, drain).finally(() => {
        draining = undefined;
        schedule();
      });
      return;
    }
    const oldest = queue[0];
    if (oldest && !timer) {
      timer = setTimeout(
        () => {
          timer = undefined;
          schedule();
        },
        Math.max(0, oldest.enqueuedAt + flushIntervalMs - performance.now()),
      );
    }
  }

  async function drain(): Promise<void> {
    while (isDue()) {
      writing = queue.splice(0, batchSize);
      const rows = mergeIntoRows(writing);
      if (rows.length < writing.length) metrics.duplicates.inc(writing.length - rows.length);
      await writeRows(rows);
      writing = [];
      admitBlocked();
    }
  }

  function admitBlocked(): void {
    while (blocked.length > 0 && buffered() < maxBuffered) blocked.shift()?.();
  }

  /** Writes the rows, retrying while PostgreSQL is unavailable; isolates rows that fail for good. */
  async function writeRows(rows: Row[]): Promise<void> {
    for (let failures = 0; ; failures++) {
      const started = performance.now();
      try {
        const { duplicates } = await upsertSendLog(
          pool,
          rows.map((row) => row.record),
        );
        metrics.flushDuration.observe({ outcome: "ok" }, (performance.now() - started) / 1000);
        metrics.batchSize.observe(rows.length);
        if (duplicates > 0) metrics.duplicates.inc(duplicates);
        for (const row of rows) for (const entry of row.entries) entry.resolve();
        return;
      } catch (error) {
        if (isTransient(error)) {
          metrics.flushDuration.observe({ outcome: "unavailable" }, (performance.now() - started) / 1000);
          const delayMs = backoffDelayMs(failures + 1, retry);
          logger.warn(
            { err: error, records: rows.length, failures: failures + 1, retryInMs: delayMs },
            "send log: postgres unavailable, retrying",
          );
          await sleep(delayMs);
          continue;
        }
        metrics.flushDuration.observe({ outcome: "error" }, (performance.now() - started) / 1000);
        if (rows.length > 1) {
          // One bad record must not sink its batch: halve until the failing rows are isolated.
          const middle = Math.ceil(rows.length / 2);
          await writeRows(rows.slice(0, middle));
          await writeRows(rows.slice(middle));
          return;
        }
        const [row] = rows;
        if (!row) return;
        logger.error(
          { err: error, otpId: row.record.otpId, tenantId: row.record.tenantId, status: row.record.status },
          "send log: record rejected by postgres",
        );
        for (const entry of row.entries) entry.reject(error);
        return;
      }
    }
  }

  /** Buffers the record now (synchronously, so buffered() and flush() see it at once). */
  function enqueue(record: SendLogRecord): Promise<void> {
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<void>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    });
    sequence += 1;
    queue.push({ record, sequence, enqueuedAt: performance.now(), resolve, reject, settled: promise.catch(() => undefined) });
    schedule();
    return promise;
  }

  return {
    record(entry) {
      if (closed) return Promise.reject(new Error("send log writer is closed"));
      if (blocked.length === 0 && buffered() < maxBuffered) return enqueue(entry);
      return new Promise<void>((resolve, reject) => {
        blocked.push(() => enqueue(entry).then(resolve, reject));
      });
    },

    async flush() {
      const targets = [...writing, ...queue].map((entry) => entry.settled);
      flushThrough = sequence;
      schedule();
      await Promise.all(targets);
    },

    async close() {
      closed = true;
      // Callers already held back by a full buffer were accepted before the close: written too.
      while (buffered() > 0 || blocked.length > 0) {
        admitBlocked();
        schedule();
        await (draining ?? new Promise<void>((resolve) => setImmediate(resolve)));
      }
      if (timer) clearTimeout(timer);
      timer = undefined;
    },

    buffered,
  };
}

const MAX_ATTEMPTS = 32_767; // otp_send_log.attempts is a smallint

// One statement per batch whatever its size: 12 array parameters, where a VALUES list would need
// 12 per row and hit PostgreSQL's 65,535-parameter limit at the largest configurable batch.
// A redelivered job's outcome merges into the existing row: delivered is final (a later
// dead-letter of a redelivered copy must not hide a delivery) and attempts add up. The WHERE
// skips a row identical to the one stored, so retrying a batch whose COMMIT reply was lost
// does not count its rows twice.
const UPSERT_SQL = `
INSERT INTO otp_send_log AS log (tenant_id, otp_id, phone_hash, phone_masked, request_id, status,
  provider_message_id, attempts, provider_latency_ms, last_error, accepted_at, completed_at)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
  $7::text[], $8::smallint[], $9::integer[], $10::text[], $11::timestamptz[], $12::timestamptz[])
ON CONFLICT (otp_id) DO UPDATE SET
  status              = CASE WHEN log.status = 'delivered' THEN log.status ELSE EXCLUDED.status END,
  provider_message_id = CASE WHEN log.status = 'delivered' THEN log.provider_message_id ELSE EXCLUDED.provider_message_id END,
  provider_latency_ms = CASE WHEN log.status = 'delivered' THEN log.provider_latency_ms ELSE EXCLUDED.provider_latency_ms END,
  last_error          = CASE WHEN log.status = 'delivered' THEN log.last_error ELSE EXCLUDED.last_error END,
  completed_at        = CASE WHEN log.status = 'delivered' THEN log.completed_at ELSE EXCLUDED.completed_at END,
  attempts            = LEAST(log.attempts::integer + EXCLUDED.attempts, ${MAX_ATTEMPTS}),
  logged_at           = now()
WHERE (log.status, log.attempts, log.completed_at) IS DISTINCT FROM (EXCLUDED.status, EXCLUDED.attempts, EXCLUDED.completed_at)
RETURNING xmax::text <> '0' AS merged`;

/** Inserts or merges the records (distinct otp ids) in one statement; reports how many merged into existing rows. */
async function upsertSendLog(pool: PgPool, records: SendLogRecord[]): Promise<{ duplicates: number }> {
  const column = <T>(pick: (record: SendLogRecord) => T) => records.map(pick);
  const { rows } = await pool.query<{ merged: boolean }>(UPSERT_SQL, [
    column((r) => r.tenantId),
    column((r) => r.otpId),
    column((r) => r.phoneHash),
    column((r) => r.phoneMasked),
    column((r) => r.requestId),
    column((r) => r.status),
    column((r) => r.providerMessageId),
    column((r) => r.attempts),
    column((r) => r.providerLatencyMs),
    column((r) => r.lastError),
    column((r) => r.acceptedAt),
    column((r) => r.completedAt),
  ]);
  return { duplicates: rows.filter((row) => row.merged).length };
}

/** The same rule as the upsert, for two outcomes of one OTP met within a batch. */
export function mergeOutcomes(existing: SendLogRecord, incoming: SendLogRecord): SendLogRecord {
  const kept = existing.status === "delivered" ? existing : incoming;
  return { ...kept, attempts: Math.min(existing.attempts + incoming.attempts, MAX_ATTEMPTS) };
}

function mergeIntoRows(entries: Pending[]): Row[] {
  const rows = new Map<string, Row>();
  for (const entry of entries) {
    const row = rows.get(entry.record.otpId);
    if (row) {
      row.record = mergeOutcomes(row.record, entry.record);
      row.entries.push(entry);
    } else {
      rows.set(entry.record.otpId, { record: entry.record, entries: [entry] });
    }
  }
  return [...rows.values()];
}

function isTransient(error: unknown): boolean {
  return isPostgresUnavailable(error) || TRANSIENT_SQLSTATES.has((error as { code?: string } | null)?.code ?? "");
}

function createMetrics(registry: Registry, buffered: () => number) {
  new Gauge({
    name: "send_log_buffered_records",
    help: "Send-log records accepted and not yet committed.",
    registers: [registry],
    collect() {
      this.set(buffered());
    },
  });
  return {
    batchSize: new Histogram({
      name: "send_log_batch_size",
      help: "Rows per committed send-log INSERT.",
      buckets: BATCH_SIZE_BUCKETS,
      registers: [registry],
    }),
    flushDuration: new Histogram({
      name: "send_log_flush_duration_seconds",
      help: "Duration of send-log INSERT statements, by outcome (ok, unavailable = will retry, error = rejected).",
      labelNames: ["outcome"],
      buckets: FLUSH_BUCKETS_SECONDS,
      registers: [registry],
    }),
    duplicates: new Counter({
      name: "send_log_duplicate_outcomes_total",
      help: "Outcomes for an OTP that already had one (redelivered jobs), merged into the existing row.",
      registers: [registry],
    }),
  };
}
