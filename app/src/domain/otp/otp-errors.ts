import type { RateLimitScope } from "./otp-store";

export class RateLimitedError extends Error {
  override readonly name = "RateLimitedError";
  constructor(
    readonly scope: RateLimitScope,
    readonly retryAfterSeconds: number,
  ) {
    super(scope === "phone" ? "too many codes sent to this number" : "the tenant's daily send cap is reached");
  }
}
