// Puts dead-lettered SMS jobs back on the job stream, for the worker to try again: after a
// provider outage longer than a retry budget, or once a provider-side cause of rejections is fixed.
// A job whose code has expired meanwhile is finished by the worker as expired_undelivered at once,
// so re-driving is worth it while the codes of the dead-lettered jobs are still valid.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Redis } from "ioredis";
import type { Config } from "../config/schema";
import type { SecretKeys } from "../domain/secrets";
import { fieldsFromFlat, openJob, SMS_JOB_FIELDS, type SmsJobFields } from "../domain/sms-job";

const LUA = readFileSync(join(__dirname, "..", "..", "lua", "redrive-dead-letter.lua"), "utf8");
const PAGE = 100;

export interface RedriveOptions {
  redis: Redis;
  sms: Pick<Config["sms"], "streamKey" | "deadLetterKey">;
  keys: SecretKeys;
  /** At most this many entries are moved. */
  limit?: number;
  /** Count what would be moved, change nothing. */
  dryRun?: boolean;
  now?: () => number;
}

export interface RedriveResult {
  /** Moved back onto the job stream (or, in a dry run, would be). */
  moved: number;
  /** Of those moved, jobs whose code has already expired: the worker finishes them as expired_undelivered. */
  expired: number;
  /** Left in the dead-letter stream because the job cannot be opened (corrupt, or sealed with another key). */
  skipped: number;
}

type RedriveClient = Redis & {
  redriveDeadLetter(deadLetterKey: string, streamKey: string, id: string, ...fields: string[]): Promise<number>;
};

export async function redriveDeadLetters(options: RedriveOptions): Promise<RedriveResult> {
  const { redis, sms, keys } = options;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const now = options.now ?? Date.now;
  if (!("redriveDeadLetter" in redis)) redis.defineCommand("redriveDeadLetter", { numberOfKeys: 2, lua: LUA });
  const client = redis as RedriveClient;
  const result: RedriveResult = { moved: 0, expired: 0, skipped: 0 };
  // Pages by id, exclusive of the last one seen: moved entries leave, skipped ones stay behind.
  let start = "-";
  while (result.moved < limit) {
    const page = (await redis.xrange(sms.deadLetterKey, start, "+", "COUNT", PAGE)) as Array<[string, string[]]>;
    for (const [id, flat] of page) {
      if (result.moved >= limit) break;
      const fields = jobFields(fieldsFromFlat(flat));
      let expiresAt: number;
      try {
        expiresAt = openJob(fields, keys).expiresAt;
      } catch {
        result.skipped += 1;
        continue;
      }
      if (!options.dryRun) {
        const movedNow = await client.redriveDeadLetter(sms.deadLetterKey, sms.streamKey, id, ...Object.entries(fields).flat());
        // Another re-drive took it first.
        if (movedNow !== 1) continue;
      }
      result.moved += 1;
      if (expiresAt <= now()) result.expired += 1;
    }
    const last = page.at(-1);
    if (!last || page.length < PAGE) break;
    start = `(${last[0]}`;
  }
  return result;
}

/** The job as the send flow sealed it, without what dead-lettering added. */
function jobFields(fields: SmsJobFields): SmsJobFields {
  const job: SmsJobFields = {};
  for (const name of SMS_JOB_FIELDS) if (fields[name] !== undefined) job[name] = fields[name];
  return job;
}
