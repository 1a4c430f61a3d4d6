// How a send to the SMS provider failed, and whether trying again can help.

export type SmsProviderFailure = "timeout" | "network" | "http" | "invalid_response";

export class SmsProviderError extends Error {
  override readonly name = "SmsProviderError";
  constructor(
    message: string,
    readonly failure: SmsProviderFailure,
    /** Timeouts, network errors, 5xx and 429 may succeed later; other 4xx never will. */
    readonly retryable: boolean,
    readonly status?: number,
    /** The provider's Retry-After, when it sent one. */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Anything that is not a provider-classified permanent failure is worth another attempt. */
export function isRetryableSendError(error: unknown): boolean {
  return !(error instanceof SmsProviderError) || error.retryable;
}
