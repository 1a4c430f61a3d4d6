// Abuse and secrets: brute force locks and stays locked, rate limits hold under concurrency, tenants are
// isolated, codes never reach the logs, only HMACs (and sealed jobs) are at rest, and verify timing does
// not depend on how much of a wrong code is right.
import { setTimeout as sleep } from "node:timers/promises";
import type { SeededTenant } from "@otp-lab/local-stack/app-cli";
import { waitFor } from "@otp-lab/local-stack/wait";
import { countBy, percentile, round } from "../lib/figures.ts";
import { type CallResult, codeIn, json, phoneSequence, postJson, sendOtp, verifyOtp } from "../lib/otp-client.ts";
import { compare, mean } from "../lib/sample-comparison.ts";
import { Checks, type Scenario } from "../lib/scenario.ts";
import { dumpRedis, findLeaks, type Leak } from "../lib/secrets-scan.ts";
import { type Stack, startStack } from "../lib/stack.ts";

const PHONE_LIMIT = 5;
const DAILY_CAP = 5;
const MAX_ATTEMPTS = 5;
const TIMING_MAX_ATTEMPTS = 20;
/** Wrong attempts per number in the timing test: below the lock, so every attempt compares HMACs. */
const TIMING_ATTEMPTS_PER_PHONE = 18;
/** The old policy: 5 wrong codes, then 900 s locked, repeating. */
const OLD_POLICY_PER_DAY = (5 * 86_400) / 900;
/** The service's defaults (not overridden here): OTP_LOCKOUT_SECONDS, OTP_LOCKOUT_MAX_SECONDS. */
const LOCKOUT_SECONDS = 900;
const LOCKOUT_MAX_SECONDS = 86_400;
const DAY_S = 86_400;

export const abuseAndSecrets: Scenario = {
  name: "abuse-and-secrets",
  summary:
    "brute force locks with escalating lockouts (guesses per number per day), no SMS to a locked number, no pending-code oracle, per-phone and per-tenant limits exact under concurrency, tenants isolated, no code in logs, only HMACs at rest, verify timing independent of the code prefix",
  async run({ workDir, cleanup, size, log }) {
    const stack = await startStack({ dir: workDir, cleanup, mockSms: { latencyMs: 0 } });
    const [tenantA, tenantB] = stack.seed("ab", 2, { phoneLimit: PHONE_LIMIT });
    const tenantCap = stack.seedOne("abcap", { phoneLimit: 1_000, dailyCap: DAILY_CAP });
    const tenantTiming = stack.seedOne("abt", { phoneLimit: 1_000 });
    const tenantDay = stack.seedOne("abday", { phoneLimit: 1_000 });
    if (!tenantA || !tenantB) throw new Error("tenants not seeded");
    await stack.setTenant(tenantTiming.id, { max_verify_attempts: TIMING_MAX_ATTEMPTS });
    // Debug logs and access logs on: the most a log could ever hold.
    const service = await stack.startService({ name: "service", env: { LOG_LEVEL: "debug", ACCESS_LOG_ENABLED: "true" } });
    const url = service.url;
    const phones = new Set<string>();
    const nextPhoneRaw = phoneSequence("1552");
    const nextPhone = () => {
      const phone = nextPhoneRaw();
      phones.add(phone);
      return phone;
    };
    const send = (tenant: SeededTenant, phone: string) => sendOtp(url, tenant, phone);
    const verify = (tenant: SeededTenant, phone: string, code: string) => verifyOtp(url, tenant, phone, code);
    const checks = new Checks();

    // 1. Brute force, one attempt at a time: locked after the tenant's maximum, and a new code does not unlock.
    const p1 = nextPhone();
    await send(tenantA, p1);
    const code1 = await stack.receivedCode(p1);
    const sequential: number[] = [];
    for (let i = 0; i < MAX_ATTEMPTS; i++) sequential.push((await verify(tenantA, p1, wrong(code1, i))).status);
    const rightAfterLock = (await verify(tenantA, p1, code1)).status;
    const resendAnswer = await send(tenantA, p1);
    const resend = resendAnswer.status;
    await sleep(300);
    const smsToLocked = (await stack.inbox(p1, 10)).length - 1;
    checks.equal("wrong codes until the lock (422 × 4, then 429)", sequential.join(","), "422,422,422,422,429");
    checks.equal("the right code once locked", rightAfterLock, 429);
    checks.add(
      "a send to the locked number is refused and sends no SMS",
      "429 verification-locked, 0 SMS",
      `${resend} ${problemType(resendAnswer)}, ${smsToLocked} SMS`,
      resend === 429 && problemType(resendAnswer).endsWith("verification-locked") && smsToLocked === 0,
    );

    // 2. Brute force in parallel: no race lets more wrong guesses through than the maximum.
    const parallelGuesses = size(50, 200);
    const p2 = nextPhone();
    await send(tenantA, p2);
    const code2 = await stack.receivedCode(p2);
    const guesses = await Promise.all(Array.from({ length: parallelGuesses }, (_, i) => verify(tenantA, p2, wrong(code2, i))));
    const guessStatuses = countBy(guesses, (r) => r.status);
    checks.add(
      `${parallelGuesses} concurrent wrong guesses`,
      `exactly ${MAX_ATTEMPTS - 1} × 422, rest 429`,
      guessStatuses,
      guessStatuses["422"] === MAX_ATTEMPTS - 1 && guessStatuses["429"] === parallelGuesses - (MAX_ATTEMPTS - 1),
    );
    checks.equal("the right code after the parallel guesses", (await verify(tenantA, p2, code2)).status, 429);

    // 3. Per-phone limit under concurrency: 50 sends at once per number, limit 5 → exactly 5 accepted each.
    const burst = 50;
    const burstPhones = Array.from({ length: size(3, 10) }, () => nextPhone());
    const bursts = await Promise.all(burstPhones.map((phone) => Promise.all(Array.from({ length: burst }, () => send(tenantA, phone)))));
    const acceptedPerPhone = bursts.map((results) => results.filter((r) => r.status === 200).length);
    const limitedScopes = countBy(
      bursts.flat().filter((r) => r.status === 429),
      (r) => String(json(r)?.scope),
    );
    checks.add(
      `${burstPhones.length} numbers × ${burst} concurrent sends, per-phone limit ${PHONE_LIMIT}`,
      `exactly ${PHONE_LIMIT} accepted per number`,
      acceptedPerPhone.join(","),
      acceptedPerPhone.every((accepted) => accepted === PHONE_LIMIT),
    );

    // 4. Per-tenant daily cap under concurrency: 50 sends at once to distinct numbers, cap 5.
    const capResults = await Promise.all(Array.from({ length: burst }, () => send(tenantCap, nextPhone())));
    const capStatuses = countBy(capResults, (r) => r.status);
    const capScopes = countBy(
      capResults.filter((r) => r.status === 429),
      (r) => String(json(r)?.scope),
    );
    checks.add(
      `${burst} concurrent sends, tenant daily cap ${DAILY_CAP}`,
      `exactly ${DAILY_CAP} accepted, rest 429 tenant_daily`,
      `${JSON.stringify(capStatuses)} ${JSON.stringify(capScopes)}`,
      capStatuses["200"] === DAILY_CAP && capScopes.tenant_daily === burst - DAILY_CAP,
    );

    // 5. Tenants are isolated: codes, failed attempts and rate limits are per tenant.
    const p5 = nextPhone();
    await send(tenantA, p5);
    const code5 = await stack.receivedCode(p5);
    const crossRight = await verify(tenantB, p5, code5);
    const crossWrong: number[] = [];
    for (let i = 0; i < MAX_ATTEMPTS + 1; i++) crossWrong.push((await verify(tenantB, p5, wrong(code5, i))).status);
    const ownerAfter = (await verify(tenantA, p5, code5)).status;
    const otherTenantAtLimitedPhone = (await send(tenantB, burstPhones[0] as string)).status;
    const noKey = await postJson(`${url}/v1/otp/send`, { phone: nextPhone() });
    const badKey = await postJson(
      `${url}/v1/otp/send`,
      { phone: nextPhone() },
      { authorization: "Bearer otp_not_a_key_000000000000000000" },
    );
    checks.add(
      "tenant B verifying A's code",
      "422 code-invalid (B has no code for the number)",
      `${crossRight.status} ${problemType(crossRight)}`,
      crossRight.status === 422 && problemType(crossRight).endsWith("code-invalid"),
    );
    checks.add(
      "B's wrong guesses lock only B's failure state, none count for A",
      "B: 422 × 3 more, then 429; A then verifies 200",
      `${crossWrong.join(",")}; A ${ownerAfter}`,
      crossWrong.join(",") === "422,422,422,429,429,429" && ownerAfter === 200,
    );
    checks.equal("B sends to a number A has exhausted", otherTenantAtLimitedPhone, 200);
    checks.add(
      "missing and wrong keys get the same 401",
      "401 = 401, same title/detail",
      `${noKey.status} / ${badKey.status}`,
      noKey.status === 401 && badKey.status === 401 && json(noKey)?.detail === json(badKey)?.detail,
    );

    // 6. Verify timing: wrong codes sharing 0 vs 5 leading digits with the right one, interleaved at random.
    const perClass = size(150, 400);
    const timingPhones = Math.ceil((2 * perClass) / TIMING_ATTEMPTS_PER_PHONE);
    log(`timing: ${perClass} attempts per class over ${timingPhones} numbers`);
    const targets: Array<{ phone: string; code: string }> = [];
    for (let i = 0; i < timingPhones; i++) {
      const phone = nextPhone();
      await send(tenantTiming, phone);
      targets.push({ phone, code: "" });
    }
    for (const target of targets) target.code = await stack.receivedCode(target.phone);
    const plan: Array<{ phone: string; guess: string; shared: 0 | 5 }> = [];
    for (const target of targets) {
      for (let i = 0; i < TIMING_ATTEMPTS_PER_PHONE; i++) {
        const shared = i % 2 === 0 ? 0 : 5;
        plan.push({ phone: target.phone, guess: shared === 5 ? sharingFive(target.code) : sharingNone(target.code), shared });
      }
    }
    shuffle(plan);
    // Warm-up, not measured: connections, JIT, script cache.
    for (let i = 0; i < 20; i++) await verify(tenantTiming, "+15550000000", "000000");
    const times: Record<0 | 5, number[]> = { 0: [], 5: [] };
    let timingStatusesOk = true;
    for (const attempt of plan) {
      if (times[attempt.shared].length >= perClass) continue;
      const result = await verify(tenantTiming, attempt.phone, attempt.guess);
      if (result.status !== 422 || !problemType(result).endsWith("code-invalid")) timingStatusesOk = false;
      times[attempt.shared].push(result.ms);
    }
    const trimmed = (values: number[]) => values.filter((value) => value <= (percentile(values, 95) as number));
    const raw = compare(times[0], times[5]);
    const robust = compare(trimmed(times[0]), trimmed(times[5]));
    checks.add("every timing attempt compared HMACs (422 code-invalid)", "all", timingStatusesOk ? "all" : "some not", timingStatusesOk);
    checks.add(
      "verify latency, 5 vs 0 shared leading digits (trimmed at p95)",
      "|Welch t| < 4 (no difference beyond noise)",
      robust ? `Δ ${round(robust.difference, 3)} ms, t ${round(robust.welchT, 2)}, d ${round(robust.effectSize, 3)}` : "n/a",
      robust !== null && Math.abs(robust.welchT) < 4,
    );

    // 8. Guesses per number per day under the escalating lockouts: real verifies against one number, each
    // lockout's Retry-After added to a simulated clock and the lock then expired by editing the failure
    // state in Redis (locked_until), until the hard lock; then the state's own expiry (a new cycle).
    const day = await guessesPerDay(stack, url, tenantDay, nextPhone());
    checks.add(
      "lockouts escalate as configured (Retry-After of each)",
      day.expectedLockouts.join(","),
      day.lockouts.join(","),
      day.lockouts.join(",") === day.expectedLockouts.join(","),
    );
    checks.equal("guesses in the first day (simulated, escalating lockouts)", day.firstDay, day.expectedFirstDay);
    checks.add(
      "after the hard lock's state expires, a new cycle starts (422 again)",
      "422",
      `${day.afterStateExpiry}`,
      day.afterStateExpiry === 422,
    );
    checks.atMost("guesses per number per day, steady state (average over a cycle)", round(day.steadyPerDay, 2), OLD_POLICY_PER_DAY);

    // 9. No oracle: a number with no pending code answers exactly like a wrong code, and as fast.
    const oracle = await noOracle(stack, url, tenantTiming, nextPhone, size(60, 200));
    checks.add(
      "verify answers for no pending code and a wrong code identical (status + body, request id aside)",
      `${oracle.pairs} pairs identical`,
      `${oracle.identical} identical${oracle.firstDifference ? `; e.g. ${oracle.firstDifference}` : ""}`,
      oracle.identical === oracle.pairs && oracle.pairs > 0,
    );
    checks.add(
      "verify latency medians, no code vs wrong code",
      "|Δ median| < 2 ms",
      `${round(oracle.medianNoCodeMs, 3)} vs ${round(oracle.medianWrongCodeMs, 3)} ms`,
      oracle.medianNoCodeMs !== null && oracle.medianWrongCodeMs !== null && Math.abs(oracle.medianNoCodeMs - oracle.medianWrongCodeMs) < 2,
    );

    // 7. Only HMACs and sealed jobs at rest: dump Redis while SMS jobs sit in the stream, then after.
    await stack.setSmsFaults({ latencyMs: 3_000 });
    const inFlightPhones = Array.from({ length: 5 }, () => nextPhone());
    for (const phone of inFlightPhones) await send(tenantA, phone);
    await sleep(300);
    const redisWhileQueued = await dumpRedis(stack.redisClient);
    await stack.setSmsFaults({ latencyMs: 0 });
    for (const phone of inFlightPhones) await stack.receivedCode(phone);
    await waitFor(
      "the SMS stream drained",
      async () => {
        const backlog = await stack.streamBacklog();
        return backlog.length === 0 && backlog.pending === 0;
      },
      { timeoutMs: 15_000 },
    );
    const redisAfter = await dumpRedis(stack.redisClient);
    const sendLog = await stack.db.query<{ row: unknown }>("SELECT row_to_json(l) AS row FROM otp_send_log l");
    const tenantsTable = await stack.db.query<{ row: unknown }>("SELECT row_to_json(t) AS row FROM tenants t");
    const postgresText = [...sendLog.rows, ...tenantsTable.rows].map((r) => JSON.stringify(r.row)).join("\n");

    // Every code the phones received, read from the mock provider's inbox of every number used.
    const codes = new Set<string>();
    let messages = 0;
    for (const phone of phones) {
      for (const message of await stack.inbox(phone, 1000)) {
        messages += 1;
        const code = codeIn(message.text);
        if (code) codes.add(code);
      }
    }
    await service.stop("SIGTERM", 15_000);
    const logText = service.logText();
    const needles = {
      codes: [...codes],
      phones: [...phones],
      apiKeys: [tenantA, tenantB, tenantCap, tenantTiming, tenantDay].map((t) => t.apiKey),
    };
    const leaks: Leak[] = [
      ...findLeaks("redis (jobs queued)", redisWhileQueued.text, needles),
      ...findLeaks("redis (end)", redisAfter.text, needles),
      ...findLeaks("postgres", postgresText, needles),
      ...findLeaks("service logs", logText, needles),
    ];
    const hmacOnly = [...redisWhileQueued.codeHashes, ...redisAfter.codeHashes].every(
      (fields) => Object.keys(fields).sort().join(",") === "hmac,otp_id" && /^[A-Za-z0-9_-]{43}$/.test(fields.hmac ?? ""),
    );
    // The scanner must be able to find what it looks for, or "no leak" means nothing.
    const control = findLeaks("control", `{"text":"Your verification code is ${[...codes][0]}","to":"${[...phones][0]}"}`, needles);
    checks.add("scanner finds a planted code and number (control)", "≥ 3 hits", control.length, control.length >= 3);
    checks.atLeast("SMS jobs in the stream while Redis was dumped", redisWhileQueued.streamEntries, 1);
    checks.add(
      "code entries in Redis hold only an HMAC-SHA256 and the OTP id",
      "all",
      hmacOnly ? "all" : "not all",
      hmacOnly && redisWhileQueued.codeHashes.length > 0,
    );
    checks.equal("codes, numbers, API keys or SMS texts found in Redis, PostgreSQL or the logs", leaks.length, 0);

    const logLines = logText.split("\n").filter(Boolean).length;
    return {
      figures: {
        bruteForce: {
          sequential: sequential.join(","),
          rightCodeAfterLock: rightAfterLock,
          sendToLockedNumber: resend,
          smsToLockedNumber: smsToLocked,
          parallelGuesses,
          parallelOutcome: guessStatuses,
        },
        perPhoneLimit: {
          numbers: burstPhones.length,
          concurrentSendsEach: burst,
          limit: PHONE_LIMIT,
          acceptedPerNumber: acceptedPerPhone,
          limitedScopes,
        },
        guessesPerNumberPerDay: {
          oldPolicy: OLD_POLICY_PER_DAY,
          oldPolicyRule: "5 wrong codes per 900 s lock, repeating",
          firstDay: day.firstDay,
          steadyStateAveragePerDay: round(day.steadyPerDay, 2),
          steadyStateMaxInOneDay: day.firstDay,
          guessesPerCycle: day.guessesPerCycle,
          cycleDays: round(day.cycleSeconds / 86_400, 1),
          lockoutsS: day.lockouts,
          settings: day.settings,
        },
        noOracle: {
          attemptsPerClass: oracle.perClass,
          identicalAnswers: `${oracle.identical}/${oracle.pairs}`,
          example: oracle.example,
          medianNoCodeMs: round(oracle.medianNoCodeMs, 3),
          medianWrongCodeMs: round(oracle.medianWrongCodeMs, 3),
          differenceOfMediansMs: round((oracle.medianNoCodeMs ?? 0) - (oracle.medianWrongCodeMs ?? 0), 3),
          meanNoCodeMs: round(mean(oracle.noCodeMs), 3),
          meanWrongCodeMs: round(mean(oracle.wrongCodeMs), 3),
        },
        tenantDailyCap: { concurrentSends: burst, cap: DAILY_CAP, statuses: capStatuses, scopes: capScopes },
        crossTenant: { verifyOthersCode: crossRight.status, othersWrongGuesses: crossWrong.join(","), ownerVerifiesAfter: ownerAfter },
        timing: {
          attemptsPerClass: perClass,
          numbers: timingPhones,
          meanShared0Ms: round(raw?.meanA ?? null, 3),
          meanShared5Ms: round(raw?.meanB ?? null, 3),
          medianShared0Ms: round(percentile(times[0], 50), 3),
          medianShared5Ms: round(percentile(times[5], 50), 3),
          stdevShared0Ms: round(raw?.stdevA ?? null, 3),
          stdevShared5Ms: round(raw?.stdevB ?? null, 3),
          differenceMs: round(raw?.difference ?? null, 3),
          differenceInStdevs: round(raw?.effectSize ?? null, 3),
          welchT: round(raw?.welchT ?? null, 2),
          trimmedDifferenceMs: round(robust?.difference ?? null, 3),
          trimmedDifferenceInStdevs: round(robust?.effectSize ?? null, 3),
          trimmedWelchT: round(robust?.welchT ?? null, 2),
          overallMeanMs: round(mean([...times[0], ...times[5]]), 3),
        },
        secrets: {
          codesKnown: codes.size,
          numbersUsed: phones.size,
          smsMessages: messages,
          redisKeysWhileQueued: redisWhileQueued.keys,
          redisKeysByType: redisWhileQueued.byType,
          streamEntriesWhileQueued: redisWhileQueued.streamEntries,
          codeHashesChecked: redisWhileQueued.codeHashes.length + redisAfter.codeHashes.length,
          sendLogRows: sendLog.rows.length,
          tenantRows: tenantsTable.rows.length,
          logLinesScanned: logLines,
          leaks: leaks.map((leak) => `${leak.where}: ${leak.what}`),
        },
      },
      checks: checks.list,
      notes: [
        "Brute force: failed attempts are counted per tenant and number, across codes, in the same Lua script that compares; only a success resets them. Every max_verify_attempts failures lock the number for OTP_LOCKOUT_SECONDS × 2^(n−1), capped at OTP_LOCKOUT_MAX_SECONDS; max_consecutive_failures lock it for the failure window. A send to a locked number is refused (429) and sends nothing.",
        "Limits: each send's limit checks and increments happen inside one Lua script, which Redis runs atomically, so concurrent sends cannot both see the last free slot.",
        "Constant time: the service never compares codes. verify computes HMAC-SHA256(server key, tenant ∥ phone ∥ code) and the Lua script compares it with the stored HMAC by string equality. Redis' string comparison may stop at the first differing byte, but the HMACs of two codes sharing 5 leading digits share no more prefix than those of unrelated codes, so the comparison time says nothing about the code. The latency figure is a coarse end-to-end check (HTTP, Express, Redis and noise on a shared 2-core machine, client-side timer): it can show the absence of a gross leak, not prove constant time.",
        "At rest: Redis keys hold a keyed hash of the number; code entries hold only the HMAC and the OTP id; SMS jobs carry the number and text sealed with AES-256-GCM. otp_send_log has the keyed hash and a masked number; tenants hold the SHA-256 of the API key. Logs run at debug level with access logs on during the scan.",
      ],
    };
  },
};

/** A wrong code: the right one with its last digit changed (differs in value, not in format). */
function wrong(code: string, salt: number): string {
  const last = (Number(code.at(-1)) + 1 + (salt % 9)) % 10;
  return `${code.slice(0, -1)}${last}`;
}

/** Same first five digits, a different last one. */
function sharingFive(code: string): string {
  return `${code.slice(0, 5)}${(Number(code[5]) + 1 + Math.floor(Math.random() * 9)) % 10}`;
}

/** A different first digit, the rest random: shares no leading digit. */
function sharingNone(code: string): string {
  const first = (Number(code[0]) + 1 + Math.floor(Math.random() * 9)) % 10;
  return `${first}${String(Math.floor(Math.random() * 100_000)).padStart(5, "0")}`;
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}

function problemType(result: CallResult): string {
  return String(json(result)?.type ?? "");
}

interface GuessesPerDay {
  lockouts: number[];
  expectedLockouts: number[];
  firstDay: number;
  expectedFirstDay: number;
  guessesPerCycle: number;
  cycleSeconds: number;
  steadyPerDay: number;
  afterStateExpiry: number;
  settings: Record<string, number>;
}

/** Real verifies until the hard lock; each lockout is skipped by editing the failure state, its time counted. */
async function guessesPerDay(stack: Stack, url: string, tenant: SeededTenant, phone: string): Promise<GuessesPerDay> {
  const { rows } = await stack.db.query<{ max_verify_attempts: number; max_consecutive_failures: number; failure_window_seconds: number }>(
    "SELECT max_verify_attempts, max_consecutive_failures, failure_window_seconds FROM tenants WHERE id = $1",
    [tenant.id],
  );
  const settings = rows[0];
  if (!settings) throw new Error("tenant not found");
  const perLockout = settings.max_verify_attempts;
  const maxConsecutive = settings.max_consecutive_failures;
  const window = settings.failure_window_seconds;

  // What the policy says: a lockout after every perLockout failures, the hard lock at maxConsecutive.
  const expectedLockouts: number[] = [];
  for (let failures = perLockout, n = 1; failures <= maxConsecutive; failures += perLockout, n++) {
    expectedLockouts.push(failures === maxConsecutive ? window : Math.min(LOCKOUT_SECONDS * 2 ** (n - 1), LOCKOUT_MAX_SECONDS));
  }
  if (maxConsecutive % perLockout !== 0) expectedLockouts.push(window);
  const firstDayOf = (lockouts: number[], per: number[]) => {
    let clock = 0;
    let guesses = 0;
    lockouts.forEach((lockout, i) => {
      if (clock < DAY_S) guesses += per[i] as number;
      clock += lockout;
    });
    return guesses;
  };
  const expectedPer = expectedLockouts.map((_, i) => Math.min(perLockout, maxConsecutive - i * perLockout));

  await sendOtp(url, tenant, phone);
  const code = await stack.receivedCode(phone);
  const guess = sharingNone(code);
  const lockouts: number[] = [];
  const perLock: number[] = [];
  let sinceLock = 0;
  let key: string | undefined;
  for (let attempt = 0; attempt < 200; attempt++) {
    const answer = await verifyOtp(url, tenant, phone, guess);
    sinceLock += 1;
    key ??= (await stack.redisClient.keys(`otp:failures:${tenant.id}:*`))[0];
    if (answer.status === 422) continue;
    if (answer.status !== 429 || !key) throw new Error(`guess ${attempt + 1} answered ${answer.status}`);
    const retryAfter = Number(answer.headers["retry-after"]);
    lockouts.push(retryAfter);
    perLock.push(sinceLock);
    sinceLock = 0;
    if (retryAfter >= window) break;
    // Instead of waiting out the lock: it ends now.
    await stack.redisClient.hset(key, "locked_until", "0");
  }
  const guessesPerCycle = perLock.reduce((sum, n) => sum + n, 0);
  const cycleSeconds = lockouts.reduce((sum, s) => sum + s, 0);
  // The failure state expires one window after the last failure: simulate that, and a new cycle begins.
  if (key) await stack.redisClient.del(key);
  const afterStateExpiry = (await verifyOtp(url, tenant, phone, guess)).status;
  return {
    lockouts,
    expectedLockouts,
    firstDay: firstDayOf(lockouts, perLock),
    expectedFirstDay: firstDayOf(expectedLockouts, expectedPer),
    guessesPerCycle,
    cycleSeconds,
    steadyPerDay: (guessesPerCycle * DAY_S) / cycleSeconds,
    afterStateExpiry,
    settings: {
      maxVerifyAttempts: perLockout,
      maxConsecutiveFailures: maxConsecutive,
      failureWindowSeconds: window,
      lockoutSeconds: LOCKOUT_SECONDS,
      lockoutMaxSeconds: LOCKOUT_MAX_SECONDS,
    },
  };
}

interface NoOracle {
  perClass: number;
  pairs: number;
  identical: number;
  firstDifference: string | undefined;
  example: string;
  noCodeMs: number[];
  wrongCodeMs: number[];
  medianNoCodeMs: number | null;
  medianWrongCodeMs: number | null;
}

/**
 * Numbers with a pending code (wrong guesses) and numbers without one, verified in random pairs at the
 * same attempt count: the answers must be identical apart from the request id, and the latencies alike.
 */
async function noOracle(stack: Stack, url: string, tenant: SeededTenant, nextPhone: () => string, perClass: number): Promise<NoOracle> {
  const numbers = Math.ceil(perClass / TIMING_ATTEMPTS_PER_PHONE);
  const withCode: Array<{ phone: string; code: string }> = [];
  for (let i = 0; i < numbers; i++) {
    const phone = nextPhone();
    await sendOtp(url, tenant, phone);
    withCode.push({ phone, code: "" });
  }
  for (const target of withCode) target.code = await stack.receivedCode(target.phone);
  const withoutCode = Array.from({ length: numbers }, () => nextPhone());
  const comparable = (result: CallResult) => {
    const { requestId: _r, traceId: _t, ...rest } = json(result) ?? {};
    return `${result.status} ${JSON.stringify(rest)}`;
  };
  const noCodeMs: number[] = [];
  const wrongCodeMs: number[] = [];
  let pairs = 0;
  let identical = 0;
  let firstDifference: string | undefined;
  let example = "";
  for (let attempt = 0; attempt < TIMING_ATTEMPTS_PER_PHONE && pairs < perClass; attempt++) {
    for (let i = 0; i < numbers && pairs < perClass; i++) {
      const target = withCode[i] as { phone: string; code: string };
      const wrongGuess = () => verifyOtp(url, tenant, target.phone, sharingNone(target.code));
      const noCodeGuess = () => verifyOtp(url, tenant, withoutCode[i] as string, sharingNone(target.code));
      const noCodeFirst = Math.random() < 0.5;
      const first = await (noCodeFirst ? noCodeGuess() : wrongGuess());
      const second = await (noCodeFirst ? wrongGuess() : noCodeGuess());
      const [noCode, wrongCode] = noCodeFirst ? [first, second] : [second, first];
      noCodeMs.push(noCode.ms);
      wrongCodeMs.push(wrongCode.ms);
      pairs += 1;
      if (comparable(noCode) === comparable(wrongCode)) identical += 1;
      else firstDifference ??= `${comparable(noCode)} ≠ ${comparable(wrongCode)}`;
      if (!example) example = comparable(wrongCode);
    }
  }
  return {
    perClass,
    pairs,
    identical,
    firstDifference,
    example,
    noCodeMs,
    wrongCodeMs,
    medianNoCodeMs: percentile(noCodeMs, 50),
    medianWrongCodeMs: percentile(wrongCodeMs, 50),
  };
}
