import type { RateLimitScope, ShedReason } from "./otp-store";

export class RateLimitedError extends Error {
  override readonly name = "RateLimitedError";
  constructor(
    readonly scope: RateLimitScope,
    readonly retryAfterSeconds: number,
  ) {
    super(scope === "phone" ? "too many codes sent to this number" : "the tenant's daily send cap is reached");
  }
}

/** No code is sent to a number locked by failed verifications: it could not be used before the lock ends. */
export class VerificationLockedError extends Error {
  override readonly name = "VerificationLockedError";
  constructor(readonly retryAfterSeconds: number) {
    super("the number is locked after too many failed verifications");
  }
}

/** The SMS backlog would deliver the code too late to use, so the send is refused rather than accepted. */
export class DeliveryBacklogError extends Error {
  override readonly name = "DeliveryBacklogError";
  constructor(
    readonly reason: ShedReason,
    readonly retryAfterSeconds: number,
  ) {
    super("the SMS backlog is too long to deliver a code in time");
  }
}
