// The seeded tenants, read from TENANTS_FILE with open(), which k6 allows only at init.
import { config } from "./env.ts";
import { parseTenants, type SeededTenant } from "./otp-data.ts";

export interface Tenant extends SeededTenant {
  /** The Authorization header value, built once. */
  authorization: string;
}

/** Call at init (module level). Throws a clear error when TENANTS_FILE is missing or malformed. */
export function loadTenants(): Tenant[] {
  const path = config.tenantsFile;
  if (!path) {
    throw new Error(
      "TENANTS_FILE is required by this script: the JSON `otp-service seed --output FILE` writes (an absolute path is safest)",
    );
  }
  let text: string;
  try {
    text = open(path);
  } catch (error) {
    throw new Error(`TENANTS_FILE: cannot read ${path}: ${(error as Error).message}`);
  }
  return parseTenants(text, `TENANTS_FILE ${path}`).map((tenant) => ({ ...tenant, authorization: `Bearer ${tenant.apiKey}` }));
}

/** A tenant at random: load spreads evenly over every tenant. */
export function anyTenant(tenants: Tenant[]): Tenant {
  return tenants[Math.floor(Math.random() * tenants.length)] as Tenant;
}
