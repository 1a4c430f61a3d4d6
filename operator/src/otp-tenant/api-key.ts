// API keys as the service's seed command shapes them (otp_<tenant>_<n>_<random>), but with 256 random
// bits instead of an HMAC of a shared secret. PostgreSQL only ever gets the SHA-256, hex encoded, exactly
// as app/src/stores/tenant-store.ts hashes a presented key to look it up.
import { hash, randomBytes } from "node:crypto";

export function generateApiKey(tenantName: string, keyVersion: number): string {
  return `otp_${tenantName}_v${keyVersion}_${randomBytes(32).toString("hex")}`;
}

export function hashApiKey(apiKey: string): string {
  return hash("sha256", apiKey, "hex");
}
