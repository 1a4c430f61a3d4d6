// The durable record of how each accepted OTP's delivery ended.

/**
 * delivered: the provider accepted the SMS. rejected: the provider refused it for good (a 4xx other
 * than 429). expired_undelivered: the provider stayed unavailable until the code expired, so sending
 * it later is useless. dead_lettered: the job itself could not be opened (corrupt or tampered).
 * All but delivered also leave the job in the dead-letter stream, from where it can be re-driven.
 */
export type DeliveryStatus = "delivered" | "rejected" | "expired_undelivered" | "dead_lettered";

export interface SendLogRecord {
  tenantId: string;
  otpId: string;
  phoneHash: string;
  phoneMasked: string;
  requestId: string;
  status: DeliveryStatus;
  providerMessageId: string | null;
  attempts: number;
  providerLatencyMs: number | null;
  lastError: string | null;
  acceptedAt: Date;
  completedAt: Date;
}

/** Where outcomes go. Resolves once the record is durable (committed), which is when the job may be acknowledged. */
export interface SendLogSink {
  record(entry: SendLogRecord): Promise<void>;
}
