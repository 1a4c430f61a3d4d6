import { randomInt } from "node:crypto";

/** A uniformly random numeric code from the CSPRNG, leading zeros kept. */
export function generateCode(length: number): string {
  return String(randomInt(0, 10 ** length)).padStart(length, "0");
}

export function renderMessage(template: string, code: string): string {
  return template.replaceAll("{code}", code);
}

/** E.164: a plus, a non-zero country digit, at most 15 digits in all. */
export const E164 = /^\+[1-9]\d{6,14}$/;
