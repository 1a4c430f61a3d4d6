// The tenants table as the controller writes it. A row belongs to an OtpTenant through managed_by
// ("<namespace>/<name>"): rows without it (seeded tenants) are never written, and a name already taken
// by another row is reported, not taken over. Deleting never deletes: it sets disabled_at.
import pg from "pg";
import type { OtpTenantSpec } from "./schema.ts";

export interface ManagedTenant {
  managedBy: string;
  managedUid: string;
  name: string;
  spec: OtpTenantSpec;
  apiKeyHash: string;
  overlapSeconds: number;
}

export interface TenantWrite {
  id: string;
  /** The key the last rotation replaced stops working then; null when there was no rotation. */
  previousKeyExpiresAt: Date | null;
  changed: boolean;
}

/** A failure the reconciler reports with a condition reason. */
export class TenantTableError extends Error {
  readonly reason: "DatabaseUnavailable" | "NameConflict" | "KeyInUse" | "Rejected";
  constructor(reason: TenantTableError["reason"], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
    this.name = "TenantTableError";
  }
}

const SETTINGS = [
  "code_length",
  "code_ttl_seconds",
  "max_verify_attempts",
  "max_consecutive_failures",
  "failure_window_seconds",
  "phone_send_limit",
  "phone_send_window_seconds",
  "daily_send_cap",
  "sender_id",
  "message_template",
];
const WRITTEN = ["name", "api_key_hash", ...SETTINGS, "managed_uid"];

// One statement: insert, or update only when something differs (so a resync writes nothing). A key hash
// that changed moves the old one to previous_api_key_hash with its expiry: the service accepts both until then.
const UPSERT = {
  name: "otp-operator-upsert-tenant",
  text: `INSERT INTO tenants AS t (${WRITTEN.join(", ")}, managed_by)
         VALUES (${WRITTEN.map((_, i) => `$${i + 1}`).join(", ")}, $${WRITTEN.length + 1})
         ON CONFLICT (managed_by) DO UPDATE SET
           ${WRITTEN.filter((c) => c !== "api_key_hash")
             .map((c) => `${c} = EXCLUDED.${c}`)
             .join(", ")},
           previous_api_key_hash = CASE WHEN t.api_key_hash = EXCLUDED.api_key_hash THEN t.previous_api_key_hash ELSE t.api_key_hash END,
           previous_key_expires_at = CASE WHEN t.api_key_hash = EXCLUDED.api_key_hash THEN t.previous_key_expires_at
                                          ELSE now() + make_interval(secs => $${WRITTEN.length + 2}) END,
           api_key_hash = EXCLUDED.api_key_hash,
           disabled_at = NULL,
           updated_at = now()
         WHERE (${WRITTEN.map((c) => `t.${c}`).join(", ")}, t.disabled_at)
               IS DISTINCT FROM (${WRITTEN.map((c) => `EXCLUDED.${c}`).join(", ")}, NULL::timestamptz)
         RETURNING id, previous_key_expires_at`,
};

const SELECT = {
  name: "otp-operator-select-tenant",
  text: "SELECT id, previous_key_expires_at FROM tenants WHERE managed_by = $1",
};

export function createTenantTable(url: string, max: number) {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 3_000, query_timeout: 10_000 });
  // An idle client losing its connection (PostgreSQL restarted) must not crash the process.
  pool.on("error", () => undefined);

  async function run<R extends pg.QueryResultRow>(query: pg.QueryConfig): Promise<pg.QueryResult<R>> {
    try {
      return await pool.query<R>(query);
    } catch (error) {
      throw classify(error);
    }
  }

  return {
    async upsert(tenant: ManagedTenant): Promise<TenantWrite> {
      const s = tenant.spec;
      const values = [
        tenant.name,
        tenant.apiKeyHash,
        s.codeLength,
        s.codeTtlSeconds,
        s.maxVerifyAttempts,
        s.maxConsecutiveFailures,
        s.failureWindowSeconds,
        s.phoneSendLimit,
        s.phoneSendWindowSeconds,
        s.dailySendCap,
        s.senderId,
        s.messageTemplate,
        tenant.managedUid,
        tenant.managedBy,
        tenant.overlapSeconds,
      ];
      type Row = { id: string; previous_key_expires_at: Date | null };
      const written = await run<Row>({ ...UPSERT, values });
      const row = written.rows[0] ?? (await run<Row>({ ...SELECT, values: [tenant.managedBy] })).rows[0];
      if (!row) throw new TenantTableError("Rejected", `no tenants row for ${tenant.managedBy} after the upsert`);
      return { id: row.id, previousKeyExpiresAt: row.previous_key_expires_at, changed: written.rowCount === 1 };
    },

    /** Disables the row this incarnation of the resource wrote; true when a row was disabled now. */
    async disable(managedBy: string, managedUid: string): Promise<boolean> {
      const result = await run({
        name: "otp-operator-disable-tenant",
        text: "UPDATE tenants SET disabled_at = now(), updated_at = now() WHERE managed_by = $1 AND managed_uid = $2 AND disabled_at IS NULL",
        values: [managedBy, managedUid],
      });
      return result.rowCount === 1;
    },

    end: () => pool.end(),
  };
}

export type TenantTable = ReturnType<typeof createTenantTable>;

function classify(error: unknown): TenantTableError {
  const e = error as { code?: string; constraint?: string; message?: string };
  if (e.code === "23505" && e.constraint === "tenants_name_key") {
    return new TenantTableError("NameConflict", "another tenant (seeded, or owned by another OtpTenant) already has this name", {
      cause: error,
    });
  }
  if (e.code === "23505" && e.constraint?.includes("api_key_hash")) {
    return new TenantTableError("KeyInUse", "this API key already belongs to another tenant", { cause: error });
  }
  // Class 23 (integrity) and 22 (data) are the row's fault and will not pass on a retry as is.
  if (e.code?.startsWith("23") || e.code?.startsWith("22")) {
    return new TenantTableError("Rejected", `PostgreSQL refused the row: ${e.message}`, { cause: error });
  }
  return new TenantTableError("DatabaseUnavailable", `PostgreSQL: ${e.message ?? String(error)}`, { cause: error });
}
