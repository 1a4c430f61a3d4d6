// Test data for the OTP scripts, as pure functions (no k6 imports, unit-tested from Node): seeded
// tenants, phone numbers and the code inside an SMS.

export interface SeededTenant {
  id: string;
  name: string;
  apiKey: string;
}

/** Parses what `otp-service seed --output FILE` writes: {"tenants":[{"id","name","apiKey"}]}. */
export function parseTenants(text: string, source: string): SeededTenant[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source}: not JSON (${(error as Error).message})`);
  }
  const tenants = (parsed as { tenants?: unknown } | null)?.tenants;
  if (!Array.isArray(tenants) || tenants.length === 0)
    throw new Error(`${source}: expected {"tenants":[{"id","name","apiKey"}, …]} with at least one tenant`);
  return tenants.map((tenant: unknown, index) => {
    const { id, name, apiKey } = (tenant ?? {}) as Partial<Record<keyof SeededTenant, unknown>>;
    if (typeof id !== "string" || typeof name !== "string" || typeof apiKey !== "string" || apiKey.length < 16) {
      throw new Error(`${source}: tenants[${index}] needs string id, name and apiKey (the seed command's output)`);
    }
    return { id, name, apiKey };
  });
}

/**
 * A random North-American test number, +1555 and 7 digits, for the send flow. Numbers may repeat across
 * a long run; the seeded tenants' per-number limit is far above any repeat count.
 */
export function randomPhone(random: () => number = Math.random): string {
  return `+1555${String(Math.floor(random() * 10_000_000)).padStart(7, "0")}`;
}

/** Verify-flow numbers: +1556 and 8 digits, consecutive from a per-run base, so no two items share one. */
export const VERIFY_PHONE_SPACE = 100_000_000;

export function verifyPhone(base: number, index: number): string {
  return `+1556${String((base + index) % VERIFY_PHONE_SPACE).padStart(8, "0")}`;
}

/** The code in an SMS text: its last run of 4 to 10 digits ("Your verification code is 042917"). */
export function extractCode(text: string): string | undefined {
  const runs = text.match(/\d{4,10}/g);
  return runs ? runs[runs.length - 1] : undefined;
}
