// The SMS provider as delivery sees it; adapters/http-sms-provider.ts is the HTTP implementation.

export interface SmsMessage {
  to: string;
  from: string;
  text: string;
  /** The OTP id. Sent as the Idempotency-Key, so a retried or redelivered job is sent once. */
  reference: string;
  requestId: string;
}

export interface SmsProvider {
  send(message: SmsMessage): Promise<{ messageId: string }>;
}
