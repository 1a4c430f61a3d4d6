// A tenant and its OTP policy, as the domain sees it.

export interface Tenant {
  id: string;
  name: string;
  codeLength: number;
  codeTtlSeconds: number;
  maxVerifyAttempts: number;
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
