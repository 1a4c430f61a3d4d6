// Demo and benchmark tenants with known API keys. Idempotent: re-running updates them in place.
import { createHmac } from "node:crypto";
import type { PgPool } from "./postgres";
import { hashApiKey } from "./tenant-store";

export interface SeedTenant {
  name: string;
  apiKey: string;
  phoneSendLimit?: number;
  dailySendCap?: number;
  maxVerifyAttempts?: number;
  maxConsecutiveFailures?: number;
  failureWindowSeconds?: number;
}

export interface SeededTenant {
  id: string;
  name: string;
  apiKey: string;
}

/**
 * Deterministic keys (`otp_<prefix>_<n>_<hmac>`) derived from the server secret: the same secret
 * and prefix always give the same keys, so a benchmark can be re-run against a seeded database.
 */
export function demoTenants(secret: string, prefix: string, count: number, limits: Omit<SeedTenant, "name" | "apiKey"> = {}): SeedTenant[] {
  return Array.from({ length: count }, (_, index) => {
    const n = index + 1;
    const suffix = createHmac("sha256", secret).update(`demo-tenant\0${prefix}\0${n}`).digest("hex").slice(0, 32);
    return { name: `${prefix}-${n}`, apiKey: `otp_${prefix}_${n}_${suffix}`, ...limits };
  });
}

export async function upsertTenants(pool: PgPool, tenants: SeedTenant[]): Promise<SeededTenant[]> {
  const seeded: SeededTenant[] = [];
  for (const tenant of tenants) {
    // An unset limit keeps the tenant's current value (the column default for a new tenant).
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO tenants (name, api_key_hash, phone_send_limit, daily_send_cap, max_verify_attempts,
                            max_consecutive_failures, failure_window_seconds)
       VALUES ($1, $2, COALESCE($3, 5), COALESCE($4, 100000), COALESCE($5, 5), COALESCE($6, 50), COALESCE($7, 2592000))
       ON CONFLICT (name) DO UPDATE SET api_key_hash = EXCLUDED.api_key_hash,
         phone_send_limit = COALESCE($3, tenants.phone_send_limit),
         daily_send_cap = COALESCE($4, tenants.daily_send_cap),
         max_verify_attempts = COALESCE($5, tenants.max_verify_attempts),
         max_consecutive_failures = COALESCE($6, tenants.max_consecutive_failures),
         failure_window_seconds = COALESCE($7, tenants.failure_window_seconds),
         updated_at = now()
       RETURNING id`,
      [
        tenant.name,
        hashApiKey(tenant.apiKey),
        tenant.phoneSendLimit ?? null,
        tenant.dailySendCap ?? null,
        tenant.maxVerifyAttempts ?? null,
        tenant.maxConsecutiveFailures ?? null,
        tenant.failureWindowSeconds ?? null,
      ],
    );
    seeded.push({ id: rows[0]?.id as string, name: tenant.name, apiKey: tenant.apiKey });
  }
  return seeded;
}
