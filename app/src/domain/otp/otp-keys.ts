// Redis key layout. Keys hold a keyed hash of the phone number, never the number itself.

export const otpKeys = {
  code: (tenantId: string, phoneHash: string) => `otp:code:${tenantId}:${phoneHash}`,
  /** Failures outlive any one code: a new code must not reset them (NIST SP 800-63B-4 §3.1.3.2, §3.2.2). */
  failures: (tenantId: string, phoneHash: string) => `otp:failures:${tenantId}:${phoneHash}`,
  phoneRate: (tenantId: string, phoneHash: string) => `otp:rate:phone:${tenantId}:${phoneHash}`,
  tenantDaily: (tenantId: string, day: string) => `otp:rate:day:${tenantId}:${day}`,
};

/** The day utcDay() computed last: every send of a day asks for the same one. */
let cachedDay = { day: "", start: 0, end: 0 };

/** The UTC day (YYYYMMDD) and the seconds until it ends, for the tenant's daily cap. */
export function utcDay(now: Date): { day: string; secondsLeft: number } {
  const time = now.getTime();
  if (time < cachedDay.start || time >= cachedDay.end) {
    const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    cachedDay = { day: now.toISOString().slice(0, 10).replaceAll("-", ""), start, end: start + 86_400_000 };
  }
  return { day: cachedDay.day, secondsLeft: Math.max(1, Math.ceil((cachedDay.end - time) / 1000)) };
}
