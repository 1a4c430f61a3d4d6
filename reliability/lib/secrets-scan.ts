// Looks for secrets where they must not be: every key and value in Redis, rows in PostgreSQL, log text.
import type { Redis } from "ioredis";

export interface RedisDump {
  keys: number;
  byType: Record<string, number>;
  /** Every key and its value(s), one key per line, as JSON. */
  text: string;
  /** The fields of each otp:code:* hash. */
  codeHashes: Array<Record<string, string>>;
  streamEntries: number;
}

export async function dumpRedis(redis: Redis): Promise<RedisDump> {
  const lines: string[] = [];
  const byType: Record<string, number> = {};
  const codeHashes: Array<Record<string, string>> = [];
  let streamEntries = 0;
  let cursor = "0";
  const seen = new Set<string>();
  do {
    const [next, keys] = await redis.scan(cursor, "COUNT", 500);
    cursor = next;
    for (const key of keys) {
      if (seen.has(key)) continue;
      seen.add(key);
      const type = await redis.type(key);
      byType[type] = (byType[type] ?? 0) + 1;
      let value: unknown;
      switch (type) {
        case "string":
          value = await redis.get(key);
          break;
        case "hash":
          value = await redis.hgetall(key);
          if (key.startsWith("otp:code:")) codeHashes.push(value as Record<string, string>);
          break;
        case "stream": {
          const entries = await redis.xrange(key, "-", "+");
          streamEntries += entries.length;
          value = { entries, groups: await redis.xinfo("GROUPS", key) };
          break;
        }
        case "list":
          value = await redis.lrange(key, 0, -1);
          break;
        case "set":
          value = await redis.smembers(key);
          break;
        case "zset":
          value = await redis.call("ZRANGE", key, "0", "-1", "WITHSCORES");
          break;
        default:
          value = `(${type})`;
      }
      lines.push(`${key} ${JSON.stringify(value)}`);
    }
  } while (cursor !== "0");
  return { keys: seen.size, byType, text: lines.join("\n"), codeHashes, streamEntries };
}

/** A code as a standalone token: not part of a longer run of letters or digits (hashes, ids, timestamps). */
export function codePattern(code: string): RegExp {
  return new RegExp(`(?<![0-9A-Za-z])${code}(?![0-9A-Za-z])`);
}

export interface Leak {
  where: string;
  what: string;
}

/** Every needle found in the haystack, by kind; phone numbers are also looked for without their +. */
export function findLeaks(where: string, text: string, needles: { codes: string[]; phones: string[]; apiKeys: string[] }): Leak[] {
  const leaks: Leak[] = [];
  for (const code of needles.codes) if (codePattern(code).test(text)) leaks.push({ where, what: `code ${code}` });
  for (const phone of needles.phones) {
    if (text.includes(phone) || codePattern(phone.slice(1)).test(text)) leaks.push({ where, what: `phone ${phone.slice(0, 5)}…` });
  }
  for (const key of needles.apiKeys) if (text.includes(key)) leaks.push({ where, what: "an API key" });
  // The template ("… is {code}") may appear (the tenants table holds it); a rendered text may not.
  if (/verification code is \d/i.test(text)) leaks.push({ where, what: "an SMS text" });
  return leaks;
}
