// Did every accepted OTP reach the phone, once? An accepted send is known by its X-Request-ID and its
// number; its send-log row is found by request id, its message at the mock provider by number and
// reference (the OTP id). Used by the scenarios that break something under a steady send load.
import { waitFor } from "@otp-lab/local-stack/wait";
import { type SendLogRow, sendLogRows } from "./delivery-state.ts";
import { countBy } from "./figures.ts";
import type { K6Request } from "./k6.ts";
import type { Stack } from "./stack.ts";

export interface AcceptedSend {
  requestId: string;
  phone: string;
}

/** The sends k6 saw answered 200, by the request id and number it tagged them with. */
export function acceptedSends(requests: K6Request[]): AcceptedSend[] {
  return requests
    .filter((request) => request.name === "otp-send" && request.status === 200)
    .map((request) => ({ requestId: request.tags.rid ?? "", phone: request.tags.phone ?? "" }));
}

/**
 * Waits until every accepted send has a send-log row and, unless `drained` is false, the SMS stream is
 * empty with nothing pending (or the timeout passes). Resolves with the rows and how long it took.
 * An outage can leave a job recorded but unacknowledged until the reclaim interval (30 s by default)
 * takes it back: scenarios that do not shorten that interval wait for the rows only.
 */
export async function settle(
  stack: Stack,
  accepted: AcceptedSend[],
  timeoutMs: number,
  { drained = true }: { drained?: boolean } = {},
): Promise<{ rows: Map<string, SendLogRow>; settledAfterMs: number | null }> {
  const started = performance.now();
  let rows = new Map<string, SendLogRow>();
  const settled = await waitFor(
    "every accepted send settled",
    async () => {
      rows = new Map((await sendLogRows(stack.db)).map((row) => [row.requestId, row]));
      const backlog = drained ? await stack.streamBacklog() : { length: 0, pending: 0 };
      return accepted.every((send) => rows.has(send.requestId)) && backlog.length === 0 && backlog.pending === 0;
    },
    { timeoutMs, intervalMs: 250 },
  ).catch(() => false);
  return { rows, settledAfterMs: settled ? Math.round(performance.now() - started) : null };
}

export interface DeliveryReport {
  accepted: number;
  /** A `delivered` row and at least one message at the provider carrying the OTP id. */
  delivered: number;
  /** Delivered OTPs the provider holds more than one message for (a re-send it did not recognise). */
  duplicated: number;
  /** Accepted sends without a send-log row at all. */
  withoutRow: number;
  /** Send-log rows of sends not seen accepted: the script ran, its answer was lost with the connection. */
  deliveredWithout200: number;
  /** Final statuses of the accepted sends' rows. */
  statuses: Record<string, number>;
  /** How many messages the provider holds per accepted OTP (1 is right). */
  messagesPerOtp: Record<string, number>;
  /** The request ids of the accepted sends not delivered (the first few). */
  notDelivered: string[];
}

/** Checks each accepted send against the send log and the mock provider's inbox of its number. */
export async function deliveryReport(stack: Stack, accepted: AcceptedSend[], rows: Map<string, SendLogRow>): Promise<DeliveryReport> {
  const phones = [...new Set(accepted.map((send) => send.phone))];
  const inboxes = new Map<string, Array<{ reference: string | null }>>();
  const queue = [...phones];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let phone = queue.shift(); phone !== undefined; phone = queue.shift()) inboxes.set(phone, await stack.inbox(phone, 100));
    }),
  );
  const perOtp: number[] = [];
  const notDelivered: string[] = [];
  for (const send of accepted) {
    const row = rows.get(send.requestId);
    const messages = row ? (inboxes.get(send.phone) ?? []).filter((message) => message.reference === row.otpId).length : 0;
    perOtp.push(messages);
    if (row?.status !== "delivered" || messages === 0) notDelivered.push(send.requestId);
  }
  return {
    accepted: accepted.length,
    delivered: accepted.length - notDelivered.length,
    duplicated: perOtp.filter((count) => count > 1).length,
    withoutRow: accepted.filter((send) => !rows.has(send.requestId)).length,
    deliveredWithout200: rows.size - accepted.filter((send) => rows.has(send.requestId)).length,
    statuses: countBy(accepted, (send) => rows.get(send.requestId)?.status ?? "no row"),
    messagesPerOtp: countBy(perOtp, (count) => count),
    notDelivered: notDelivered.slice(0, 10),
  };
}
