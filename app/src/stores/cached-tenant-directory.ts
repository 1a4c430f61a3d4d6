// An in-process TTL cache in front of the tenant SELECT. Off by default (TENANT_CACHE_TTL_MS=0) so the
// benchmark report can put a number on what it buys. Misses are not cached: random keys cannot fill it.
// With it on, disabling a tenant or the end of a rotated key's overlap takes effect up to ttlMs later:
// keep the TTL well below the OtpTenant overlap (seconds against minutes) when both are used.
import { Counter, type Registry } from "prom-client";
import type { Tenant, TenantDirectory } from "../domain/tenant";

export interface CachedTenantDirectoryOptions {
  ttlMs: number;
  maxEntries?: number;
  registry?: Registry;
  now?: () => number;
}

export function createCachedTenantDirectory(inner: TenantDirectory, options: CachedTenantDirectoryOptions): TenantDirectory {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, { tenant: Tenant; expiresAt: number }>();
  const lookups = options.registry
    ? new Counter({
        name: "tenant_cache_lookups_total",
        help: "Tenant cache lookups by result.",
        labelNames: ["result"],
        registers: [options.registry],
      })
    : undefined;

  return {
    async findByApiKey(apiKey) {
      const cached = entries.get(apiKey);
      if (cached && cached.expiresAt > now()) {
        lookups?.inc({ result: "hit" });
        return cached.tenant;
      }
      lookups?.inc({ result: "miss" });
      const tenant = await inner.findByApiKey(apiKey);
      if (tenant) {
        // Map keeps insertion order: dropping the first key evicts the oldest entry.
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
        entries.set(apiKey, { tenant, expiresAt: now() + options.ttlMs });
      }
      return tenant;
    },
  };
}
