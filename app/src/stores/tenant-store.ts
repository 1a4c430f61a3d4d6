// Tenants in PostgreSQL. The API key is looked up by its SHA-256: the key itself is never stored.
import { hash } from "node:crypto";
import type { Tenant, TenantDirectory } from "../domain/tenant";
import { type PgPool, withPostgres } from "./postgres";

export function hashApiKey(apiKey: string): string {
  return hash("sha256", apiKey, "hex");
}

interface TenantRow {
  id: string;
  name: string;
  code_length: number;
  code_ttl_seconds: number;
  max_verify_attempts: number;
  max_consecutive_failures: number;
  failure_window_seconds: number;
  phone_send_limit: number;
  phone_send_window_seconds: number;
  daily_send_cap: number;
  sender_id: string;
  message_template: string;
}

const COLUMNS = `id, name, code_length, code_ttl_seconds, max_verify_attempts, max_consecutive_failures,
                failure_window_seconds, phone_send_limit, phone_send_window_seconds, daily_send_cap, sender_id, message_template`;

const SELECT_BY_KEY_HASH = {
  // Named, so PostgreSQL parses and plans it once per connection.
  name: "tenant-by-api-key-hash",
  // One round trip, each branch on its own unique index: the current key, or the key before the last
  // rotation while its overlap lasts (migration 004). A disabled tenant matches neither, so its key
  // gets the same 401 as an unknown one.
  text: `(SELECT ${COLUMNS} FROM tenants WHERE api_key_hash = $1 AND disabled_at IS NULL)
         UNION ALL
         (SELECT ${COLUMNS} FROM tenants
           WHERE previous_api_key_hash = $1 AND previous_key_expires_at > now() AND disabled_at IS NULL)
         LIMIT 1`,
};

/** One SELECT per call, as the original design does; wrap it in a cache to measure what caching buys. */
export function createPostgresTenantDirectory(pool: PgPool): TenantDirectory {
  return {
    async findByApiKey(apiKey) {
      const { rows } = await withPostgres(() => pool.query<TenantRow>({ ...SELECT_BY_KEY_HASH, values: [hashApiKey(apiKey)] }));
      const row = rows[0];
      return row ? toTenant(row) : undefined;
    },
  };
}

function toTenant(row: TenantRow): Tenant {
  return {
    id: row.id,
    name: row.name,
    codeLength: row.code_length,
    codeTtlSeconds: row.code_ttl_seconds,
    maxVerifyAttempts: row.max_verify_attempts,
    maxConsecutiveFailures: row.max_consecutive_failures,
    failureWindowSeconds: row.failure_window_seconds,
    phoneSendLimit: row.phone_send_limit,
    phoneSendWindowSeconds: row.phone_send_window_seconds,
    dailySendCap: row.daily_send_cap,
    senderId: row.sender_id,
    messageTemplate: row.message_template,
  };
}
