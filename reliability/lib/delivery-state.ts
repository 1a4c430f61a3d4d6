// What the scenarios read back to judge delivery: the mock provider's counters and inboxes (and its
// fault switch), the SMS job stream in Redis and the send log in PostgreSQL.
import type { Redis } from "ioredis";
import type pg from "pg";

export const STREAM_KEY = "otp:sms:jobs";
export const DEAD_LETTER_KEY = "otp:sms:dead";
export const CONSUMER_GROUP = "sms-workers";

type SmsStats = { received: number; accepted: number; failed: number; duplicates: number; stored: number };
type InboxMessage = { id: string; to: string; text: string; reference: string | null };

export interface MockSmsClient {
  /** The mock provider's counters. */
  smsStats(): Promise<SmsStats>;
  /** Messages the "phone" received, newest first. */
  inbox(phone: string, limit?: number): Promise<InboxMessage[]>;
  setSmsFaults(faults: { latencyMs?: number; latencyJitterMs?: number; errorRate?: number; errorStatus?: number }): Promise<void>;
}

export function mockSmsClient(mockSmsUrl: string): MockSmsClient {
  const answer = async (path: string, init?: RequestInit) => {
    const response = await fetch(`${mockSmsUrl}${path}`, init);
    const text = await response.text();
    if (response.status !== 200) throw new Error(`mock SMS ${path} answered ${response.status}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as unknown;
  };
  return {
    smsStats: async () => (await answer("/stats")) as SmsStats,
    inbox: async (phone, limit = 50) =>
      ((await answer(`/messages?to=${encodeURIComponent(phone)}&limit=${limit}`)) as { messages: InboxMessage[] }).messages,
    async setSmsFaults(faults) {
      await answer("/admin/faults", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(faults) });
    },
  };
}

/** Jobs still in the SMS stream and, of those, read and not yet acknowledged. */
export async function streamBacklog(redis: Redis): Promise<{ length: number; pending: number }> {
  const length = await redis.xlen(STREAM_KEY);
  let pending = 0;
  try {
    const summary = (await redis.xpending(STREAM_KEY, CONSUMER_GROUP)) as [number, ...unknown[]];
    pending = Number(summary[0]);
  } catch {
    // no group yet: nothing was ever read
  }
  return { length, pending };
}

/** Rows of otp_send_log by OTP id. */
export async function sendLogRows(db: pg.Pool): Promise<Map<string, { status: string; attempts: number; requestId: string }>> {
  const { rows } = await db.query<{ otp_id: string; status: string; attempts: number; request_id: string }>(
    "SELECT otp_id, status, attempts, request_id FROM otp_send_log",
  );
  return new Map(rows.map((row) => [row.otp_id, { status: row.status, attempts: row.attempts, requestId: row.request_id }]));
}
