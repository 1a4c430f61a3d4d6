// What the OTP flows need from their store. Each call is one atomic round trip.
import type { SmsJobFields } from "../sms-job";

export interface IssueRequest {
  otpId: string;
  otpKey: string;
  phoneRateKey: string;
  tenantDailyKey: string;
  failuresKey: string;
  codeHmac: string;
  ttlSeconds: number;
  phoneSendLimit: number;
  phoneSendWindowSeconds: number;
  dailySendCap: number;
  dailyKeyTtlSeconds: number;
  /** Undelivered jobs at which sends are shed. */
  maxBacklog: number;
  /** Age of the oldest undelivered job beyond which sends are shed. */
  maxBacklogAgeMs: number;
  job: SmsJobFields;
}

export type RateLimitScope = "phone" | "tenant_daily";

export type ShedReason = "backlog_length" | "backlog_age";

export type IssueResult =
  | { outcome: "accepted" }
  | { outcome: "locked"; retryAfterSeconds: number }
  | { outcome: "shed"; reason: ShedReason }
  | { outcome: "rate_limited"; scope: RateLimitScope; retryAfterSeconds: number };

export interface VerifyRequest {
  otpKey: string;
  failuresKey: string;
  codeHmac: string;
  /** Failures that trigger the next escalating lockout. */
  failuresPerLockout: number;
  /** Consecutive failures that lock the number for the rest of the failure window. */
  maxConsecutiveFailures: number;
  lockoutSeconds: number;
  lockoutMaxSeconds: number;
  failureWindowSeconds: number;
}

/** A wrong code and no pending code are one outcome, so a caller cannot learn whether a code is pending. */
export type VerifyResult =
  | { outcome: "approved"; otpId: string }
  | { outcome: "invalid"; attemptsLeft: number }
  | { outcome: "locked"; retryAfterSeconds: number };

export interface OtpStore {
  /** Refuses a locked number, sheds on an SMS backlog, checks both rate limits, stores the code's HMAC and enqueues the SMS job, atomically. */
  issue(request: IssueRequest): Promise<IssueResult>;
  /** Compares, counts a failure, deletes on success and locks after too many failures, atomically. */
  verify(request: VerifyRequest): Promise<VerifyResult>;
}
