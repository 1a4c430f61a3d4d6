// Decodes the stream replies the worker reads (RESP2-shaped, which ioredis gives by default).
import { fieldsFromFlat, type SmsJobFields } from "../sms-job";

export interface StreamEntry {
  id: string;
  fields: SmsJobFields;
}

type RawEntry = [id: string, flat: string[] | null];

/** XREADGROUP … STREAMS key >: [[key, [[id, [k, v, …]], …]]] or null when the block timed out. */
export function entriesFromRead(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  return (reply as Array<[string, RawEntry[]]>).flatMap(([, entries]) => toEntries(entries));
}

export interface AutoClaimResult {
  /** Cursor for the next XAUTOCLAIM; "0-0" once the whole pending list was scanned. */
  next: string;
  entries: StreamEntry[];
}

/** XAUTOCLAIM: [next, [[id, [k, v, …]], …], [deleted ids]]. Redis drops deleted ids from the PEL itself. */
export function entriesFromAutoClaim(reply: unknown): AutoClaimResult {
  const [next, entries] = (Array.isArray(reply) ? reply : []) as [string?, RawEntry[]?];
  return { next: next ?? "0-0", entries: toEntries(entries ?? []) };
}

function toEntries(entries: RawEntry[]): StreamEntry[] {
  return entries.map(([id, flat]) => ({ id, fields: fieldsFromFlat(flat ?? []) }));
}
