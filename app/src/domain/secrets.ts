// Keys derived from the one configured secret, each for one purpose, so no key is ever reused.
import { createHmac, createSecretKey, hkdfSync, type KeyObject } from "node:crypto";

export interface SecretKeys {
  /** Keys the HMAC of every stored code and the hash of every phone number. */
  readonly hmacKey: KeyObject;
  /** AES-256-GCM key sealing SMS jobs (they carry the code and number) while they sit in Redis. */
  readonly sealKey: KeyObject;
}

export function deriveKeys(secret: string): SecretKeys {
  // KeyObjects, imported once: given as raw bytes, every HMAC and cipher would import the key again.
  const derive = (purpose: string) => createSecretKey(Buffer.from(hkdfSync("sha256", secret, "otp-capacity-lab", purpose, 32)));
  return { hmacKey: derive("otp-hmac"), sealKey: derive("sms-job-seal") };
}

/** Keyed hash of a phone number within a tenant: joins a number's records without storing it. */
export function phoneHash(keys: SecretKeys, tenantId: string, phone: string): string {
  return createHmac("sha256", keys.hmacKey).update(`phone\0${tenantId}\0${phone}`).digest("base64url");
}

/** HMAC of a code, bound to its tenant and phone so a code can never verify anywhere else. */
export function codeHmac(keys: SecretKeys, tenantId: string, phone: string, code: string): string {
  return createHmac("sha256", keys.hmacKey).update(`code\0${tenantId}\0${phone}\0${code}`).digest("base64url");
}
