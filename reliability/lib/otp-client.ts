// The client side of an OTP journey, as a scenario drives it: send, read the code, verify.
import type { SeededTenant } from "@otp-lab/local-stack/app-cli";
import { postJson } from "./http.ts";

/** An OTP send, as a client makes it. */
export function sendOtp(serviceUrl: string, tenant: SeededTenant, phone: string, headers: Record<string, string> = {}) {
  return postJson(`${serviceUrl}/v1/otp/send`, { phone }, { authorization: `Bearer ${tenant.apiKey}`, ...headers });
}

export function verifyOtp(serviceUrl: string, tenant: SeededTenant, phone: string, code: string) {
  return postJson(`${serviceUrl}/v1/otp/verify`, { phone, code }, { authorization: `Bearer ${tenant.apiKey}` });
}

/** The code in an SMS text: its last run of 4 to 10 digits. */
export function codeIn(text: string): string | undefined {
  return text.match(/\d{4,10}/g)?.at(-1);
}

/** Distinct test numbers: a prefix per scenario and a counter, E.164, never repeating within a run. */
export function phoneSequence(prefix: string): () => string {
  const base = Math.floor(Math.random() * 9_000_000) + 1_000_000;
  let next = 0;
  return () => `+${prefix}${String(base + next++).padStart(8, "0")}`;
}
