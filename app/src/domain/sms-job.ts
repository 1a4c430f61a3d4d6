// The SMS job: what the send flow appends to the Redis stream and the worker consumes.
// The phone number and the message text (which holds the code) are sealed with AES-256-GCM, so
// Redis never holds a code or a number in clear; the rest stays readable for operators.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { SecretKeys } from "./secrets";

export interface SmsJob {
  otpId: string;
  tenantId: string;
  requestId: string;
  /** W3C traceparent of the send request, so the delivery span joins the request's trace. */
  traceparent: string;
  /** Epoch milliseconds at which the send was accepted (the 200 to the caller). */
  acceptedAt: number;
  /** Epoch milliseconds at which the code expires: delivering the SMS after it is useless. */
  expiresAt: number;
  senderId: string;
  phoneHash: string;
  phoneMasked: string;
  /** Sealed at rest. */
  phone: string;
  /** Sealed at rest. Contains the code. */
  text: string;
}

/** Stream entry fields, in the order they are written. */
export type SmsJobFields = Record<string, string>;

/** Random bytes drawn 4 KiB at a time: one call into the CSPRNG per 341 IVs instead of one per job. */
const IV_BYTES = 12;
let ivPool = Buffer.alloc(0);
let ivOffset = 0;

/** A fresh random 96-bit GCM nonce. Each is used once: a pool's bytes are handed out only once. */
function randomIv(): Buffer {
  if (ivOffset + IV_BYTES > ivPool.length) {
    ivPool = randomBytes(4096);
    ivOffset = 0;
  }
  const iv = ivPool.subarray(ivOffset, ivOffset + IV_BYTES);
  ivOffset += IV_BYTES;
  return iv;
}

/** The fields sealJob writes; a dead-letter entry adds its own (outcome, error, …) to these. */
export const SMS_JOB_FIELDS = [
  "otpId",
  "tenantId",
  "requestId",
  "traceparent",
  "acceptedAt",
  "expiresAt",
  "senderId",
  "phoneHash",
  "phoneMasked",
  "sealed",
] as const;

export function sealJob(job: SmsJob, keys: SecretKeys): SmsJobFields {
  const iv = randomIv();
  const cipher = createCipheriv("aes-256-gcm", keys.sealKey, iv);
  cipher.setAAD(Buffer.from(job.otpId));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify({ phone: job.phone, text: job.text }), "utf8"), cipher.final()]);
  const sealed = Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString("base64");
  return {
    otpId: job.otpId,
    tenantId: job.tenantId,
    requestId: job.requestId,
    traceparent: job.traceparent,
    acceptedAt: String(job.acceptedAt),
    expiresAt: String(job.expiresAt),
    senderId: job.senderId,
    phoneHash: job.phoneHash,
    phoneMasked: job.phoneMasked,
    sealed,
  };
}

export function openJob(fields: SmsJobFields, keys: SecretKeys): SmsJob {
  const required = ["otpId", "tenantId", "requestId", "acceptedAt", "senderId", "phoneHash", "phoneMasked", "sealed"] as const;
  for (const name of required) if (!fields[name]) throw new Error(`SMS job is missing field ${name}`);
  const sealed = Buffer.from(fields.sealed as string, "base64");
  const decipher = createDecipheriv("aes-256-gcm", keys.sealKey, sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(fields.otpId as string));
  decipher.setAuthTag(sealed.subarray(12, 28));
  const acceptedAt = Number(fields.acceptedAt);
  const opened = JSON.parse(Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString("utf8")) as {
    phone: string;
    text: string;
  };
  return {
    otpId: fields.otpId as string,
    tenantId: fields.tenantId as string,
    requestId: fields.requestId as string,
    traceparent: fields.traceparent ?? "",
    acceptedAt,
    expiresAt: expiresAtOf(fields, acceptedAt),
    senderId: fields.senderId as string,
    phoneHash: fields.phoneHash as string,
    phoneMasked: fields.phoneMasked as string,
    phone: opened.phone,
    text: opened.text,
  };
}

/**
 * Jobs appended before expiresAt existed do not carry it. Their code lived at most the longest TTL
 * a tenant can have (600 s, see tenants.code_ttl_seconds), so that bound never gives up on a code
 * that might still be valid.
 */
const LEGACY_MAX_TTL_MS = 600_000;

function expiresAtOf(fields: SmsJobFields, acceptedAt: number): number {
  const expiresAt = Number(fields.expiresAt);
  return fields.expiresAt && Number.isFinite(expiresAt) ? expiresAt : acceptedAt + LEGACY_MAX_TTL_MS;
}

/** Converts XREADGROUP's flat [k1, v1, k2, v2, …] into fields. */
export function fieldsFromFlat(flat: string[]): SmsJobFields {
  const fields: SmsJobFields = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
  return fields;
}
