// PostgreSQL connection pool, its metrics, and the mapping of connection failures to a 503-able error.

import pg from "pg";
import { Gauge, type Registry } from "prom-client";
import type { Config } from "../config/schema";
import { DependencyUnavailableError } from "../domain/errors";
import type { Logger } from "../telemetry/logger";

export type PgPool = pg.Pool;

export interface PoolOptions {
  logger: Logger;
  registry?: Registry;
  /** Distinguishes pools in metrics and in pg_stat_activity. */
  name: string;
  max?: number;
}

export function createPostgresPool(config: Config["postgres"], options: PoolOptions): PgPool {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: options.max ?? config.poolMax,
    connectionTimeoutMillis: config.connectTimeoutMs,
    idleTimeoutMillis: config.idleTimeoutMs,
    statement_timeout: config.statementTimeoutMs,
    // The client-side guard for when the server stops answering altogether.
    query_timeout: config.statementTimeoutMs + 1_000,
    application_name: `otp-service/${options.name}`,
  });
  // An idle client loses its server (restart, failover): log it; the pool replaces the client.
  pool.on("error", (error) => options.logger.warn({ err: error, pool: options.name }, "postgres idle client error"));
  if (options.registry) {
    new Gauge({
      name: "pg_pool_connections",
      help: "PostgreSQL pool connections by state (total, idle, waiting = requests queued for a connection).",
      labelNames: ["pool", "state"],
      registers: [options.registry],
      collect() {
        this.set({ pool: options.name, state: "total" }, pool.totalCount);
        this.set({ pool: options.name, state: "idle" }, pool.idleCount);
        this.set({ pool: options.name, state: "waiting" }, pool.waitingCount);
      },
    });
  }
  return pool;
}

const UNAVAILABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH"]);

/** True for failures that mean "PostgreSQL is not answering", as opposed to a bad query. */
export function isPostgresUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: string }).code;
  if (code && UNAVAILABLE_CODES.has(code)) return true;
  // Class 08 (connection exception), 57P01-03 (server shutting down or starting), 53300 (too many connections).
  if (code && (code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03" || code === "53300")) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error/i.test(
    error.message,
  );
}

/** Runs a PostgreSQL operation, turning "not answering" into DependencyUnavailableError. */
export async function withPostgres<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (isPostgresUnavailable(error)) throw new DependencyUnavailableError("postgres", { cause: error });
    throw error;
  }
}

export function pingPostgres(pool: PgPool): () => Promise<unknown> {
  return () => pool.query("SELECT 1");
}
