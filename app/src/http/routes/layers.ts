// One endpoint per layer, so each layer's capacity can be measured alone. Off by default
// (LAYER_ENDPOINTS_ENABLED); the full flow is the real POST /v1/otp/send.
import { randomUUID } from "node:crypto";
import type { Router } from "express";
import { generateCode } from "../../domain/otp/codes";
import { codeHmac, type SecretKeys } from "../../domain/secrets";
import type { TenantDirectory } from "../../domain/tenant";
import { type PgPool, withPostgres } from "../../stores/postgres";
import { type RedisClient, withRedis } from "../../stores/redis";
import { authenticate } from "../authenticate";
import { mountRoute } from "../route";

export interface LayerDependencies {
  keys: SecretKeys;
  /** The uncached directory: this layer measures PostgreSQL, not the cache. */
  tenants: TenantDirectory;
  pool: PgPool;
  redis: RedisClient;
}

const INSERT_SETTINGS = {
  name: "layer-insert-settings",
  text: `INSERT INTO tenant_settings_for_insert_new
           (tenant_name, code_length, code_ttl_seconds, max_verify_attempts, sender_id, message_template)
         VALUES ($1, 6, 300, 5, 'OTPLAB', 'Your verification code is {code}') RETURNING id`,
};

export function registerLayerRoutes(router: Router, deps: LayerDependencies): void {
  // CPU: what the send flow computes per request (code from the CSPRNG, its HMAC), nothing else.
  mountRoute(router, "/layers/cpu", {
    get: (_req, res) => {
      const code = generateCode(6);
      const hmac = codeHmac(deps.keys, "layer", "+10000000000", code);
      res.json({ length: code.length, hmacLength: hmac.length });
    },
  });
  // SELECT: the send flow's tenant-settings query, by the caller's API key.
  mountRoute(router, "/layers/select", {
    get: async (req, res) => {
      const tenant = await authenticate(req, deps.tenants);
      res.json({ tenantId: tenant.id, codeLength: tenant.codeLength });
    },
  });
  // INSERT: one single-row insert of fixed data.
  mountRoute(router, "/layers/insert", {
    post: async (_req, res) => {
      const { rows } = await withPostgres(() => deps.pool.query<{ id: string }>({ ...INSERT_SETTINGS, values: ["layer-benchmark"] }));
      res.status(201).json({ id: rows[0]?.id });
    },
  });
  // Redis: SET with a TTL, then GET it back (two round trips, as a cache read-after-write would).
  mountRoute(router, "/layers/redis", {
    get: async (_req, res) => {
      const key = `layer:redis:${randomUUID()}`;
      const value = await withRedis(async () => {
        await deps.redis.set(key, "1", "EX", 60);
        return deps.redis.get(key);
      });
      res.json({ ok: value === "1" });
    },
  });
}
