// What the OTP flows need from their store. Each call is one atomic round trip.
import type { SmsJobFields } from "../sms-job";

export interface IssueRequest {
  otpId: string;
  otpKey: string;
  phoneRateKey: string;
  tenantDailyKey: string;
  codeHmac: string;
  ttlSeconds: number;
  phoneSendLimit: number;
  phoneSendWindowSeconds: number;
  dailySendCap: number;
  dailyKeyTtlSeconds: number;
  job: SmsJobFields;
}

export type RateLimitScope = "phone" | "tenant_daily";

export type IssueResult = { outcome: "accepted" } | { outcome: "rate_limited"; scope: RateLimitScope; retryAfterSeconds: number };

export interface VerifyRequest {
  otpKey: string;
  attemptsKey: string;
  codeHmac: string;
  maxAttempts: number;
  lockoutSeconds: number;
}

export type VerifyResult =
  | { outcome: "approved"; otpId: string }
  | { outcome: "invalid"; attemptsLeft: number }
  | { outcome: "expired_or_unknown" }
  | { outcome: "locked"; retryAfterSeconds: number };

export interface OtpStore {
  /** Checks both rate limits, stores the code's HMAC with its TTL and enqueues the SMS job, atomically. */
  issue(request: IssueRequest): Promise<IssueResult>;
  /** Compares, counts the attempt, deletes on success and locks after the last attempt, atomically. */
  verify(request: VerifyRequest): Promise<VerifyResult>;
}
