// A tenant and its OTP policy, as the domain sees it.

export interface Tenant {
  id: string;
  name: string;
  codeLength: number;
  codeTtlSeconds: number;
  /** Failures that lock a number for an escalating lockout. */
  maxVerifyAttempts: number;
  /** Consecutive failures (reset only by a success) that lock a number for the rest of the failure window. */
  maxConsecutiveFailures: number;
  /** How long a number's failure state lives after its last counted failure. */
  failureWindowSeconds: number;
  phoneSendLimit: number;
  phoneSendWindowSeconds: number;
  dailySendCap: number;
  senderId: string;
  messageTemplate: string;
}

/** Finds the tenant an API key belongs to. Implementations see only a hash of the key. */
export interface TenantDirectory {
  findByApiKey(apiKey: string): Promise<Tenant | undefined>;
}
