// What the scenarios read back to judge delivery: the mock provider's counters and inboxes (and its
// fault switch), the SMS job stream in Redis and the send log in PostgreSQL.
import { waitFor } from "@otp-lab/local-stack/wait";
import type { Redis } from "ioredis";
import type pg from "pg";
import { codeIn } from "./otp-client.ts";

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
  /** The code in the SMS the number received for this OTP (without an id: its newest), once it arrives. */
  receivedCode(phone: string, otpId?: string): Promise<string>;
  setSmsFaults(faults: { latencyMs?: number; latencyJitterMs?: number; errorRate?: number; errorStatus?: number }): Promise<void>;
}

export function mockSmsClient(mockSmsUrl: string): MockSmsClient {
  const answer = async (path: string, init?: RequestInit) => {
    const response = await fetch(`${mockSmsUrl}${path}`, init);
    const text = await response.text();
    if (response.status !== 200) throw new Error(`mock SMS ${path} answered ${response.status}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as unknown;
  };
  const inbox = async (phone: string, limit = 50) =>
    ((await answer(`/messages?to=${encodeURIComponent(phone)}&limit=${limit}`)) as { messages: InboxMessage[] }).messages;
  return {
    smsStats: async () => (await answer("/stats")) as SmsStats,
    inbox,
    receivedCode: (phone, otpId) =>
      waitFor(
        `an SMS to ${phone.slice(0, 5)}…`,
        async () => {
          const message = otpId === undefined ? (await inbox(phone, 1))[0] : (await inbox(phone, 10)).find((m) => m.reference === otpId);
          return message ? codeIn(message.text) : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 20 },
      ),
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

export interface SendLogRow {
  otpId: string;
  requestId: string;
  status: string;
  attempts: number;
  acceptedAt: number;
  completedAt: number;
}

/** Every row of otp_send_log. */
export async function sendLogRows(db: pg.Pool): Promise<SendLogRow[]> {
  const { rows } = await db.query<{
    otp_id: string;
    request_id: string;
    status: string;
    attempts: number;
    accepted_at: Date;
    completed_at: Date;
  }>("SELECT otp_id, request_id, status, attempts, accepted_at, completed_at FROM otp_send_log");
  return rows.map((row) => ({
    otpId: row.otp_id,
    requestId: row.request_id,
    status: row.status,
    attempts: row.attempts,
    acceptedAt: row.accepted_at.getTime(),
    completedAt: row.completed_at.getTime(),
  }));
}
