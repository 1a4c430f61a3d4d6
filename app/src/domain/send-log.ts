// The durable record of how each accepted OTP's delivery ended.

export type DeliveryStatus = "delivered" | "dead_lettered";

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
