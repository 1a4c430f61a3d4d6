// The verify flow's setup: send one OTP per iteration the run can make, then read each code from the mock
// SMS provider as a phone would. Every request is tagged phase:"setup" (defineBenchmark runs setup so).
import { sleep } from "k6";
import { SETUP_BATCH_SIZE } from "./benchmark.ts";
import { config } from "./env.ts";
import { batch, jsonBody, type RequestSpec } from "./http.ts";
import { extractCode, VERIFY_PHONE_SPACE, verifyPhone } from "./otp-data.ts";
import type { BenchPlan } from "./plan.ts";
import type { Tenant } from "./tenants.ts";

/** The seeded tenants' code lifetime (the tenants table's default code_ttl_seconds). */
export const SEEDED_CODE_TTL_S = 300;
/** Setup gets at least this long to send and collect the codes before the main phase would outlive them. */
export const MIN_SETUP_BUDGET_S = 60;
/** No new code for this long means nothing is being delivered at all. */
export const DELIVERY_STALL_S = 30;
/** Kept between the last use of a code and its expiry. */
const TTL_MARGIN_S = 10;

/**
 * Setup data, compact because k6 copies it into every VU: item i's code is codeAt(prepared, i), sent to
 * verifyPhone(phoneBase, i) by tenants[i % tenants.length]. One fixed-width string, read in place: no
 * per-VU array of thousands of strings.
 */
export interface PreparedCodes {
  phoneBase: number;
  count: number;
  /** Characters per code (the longest code; shorter ones are padded with spaces). */
  width: number;
  codes: string;
}

export function codeAt(prepared: PreparedCodes, index: number): string {
  return prepared.codes.slice(index * prepared.width, (index + 1) * prepared.width).trim();
}

/** Init-time checks, so a plan that cannot work fails before anything is sent. Returns SMS_URL. */
export function assertVerifyPlanFits(plan: BenchPlan): string {
  if (!config.smsUrl)
    throw new Error("SMS_URL is required by the verify flow: the mock SMS provider's base URL, e.g. http://127.0.0.1:8090");
  if (plan.totalIterationBudget > config.verifyMaxCodes) {
    throw new Error(
      `the plan needs ${plan.totalIterationBudget} OTPs (one per iteration: Σ rate × seconds, warm-up included), more than ` +
        `VERIFY_MAX_CODES=${config.verifyMaxCodes}: lower RATES, PLATEAU_SECONDS or WARMUP_SECONDS, or raise VERIFY_MAX_CODES`,
    );
  }
  if (plan.mainDurationS > SEEDED_CODE_TTL_S - MIN_SETUP_BUDGET_S) {
    throw new Error(
      `the main phase lasts ${plan.mainDurationS} s, but codes sent in setup expire after ${SEEDED_CODE_TTL_S} s: ` +
        `keep warm-up + plateaus within ${SEEDED_CODE_TTL_S - MIN_SETUP_BUDGET_S} s for this script`,
    );
  }
  return config.smsUrl;
}

/** Setup stops itself at the codes' deadline (see prepareCodes); k6's own limit only backs that up. */
export function setupTimeoutFor(): number {
  return SEEDED_CODE_TTL_S + 30;
}

export function prepareCodes(plan: BenchPlan, tenants: Tenant[]): PreparedCodes {
  const smsUrl = assertVerifyPlanFits(plan);
  const count = plan.totalIterationBudget;
  const phoneBase = Math.floor(Math.random() * VERIFY_PHONE_SPACE);
  const sentAtMs = Date.now();
  // The last code is used at the end of the main phase: everything must be in hand well before it expires.
  const deadlineMs = sentAtMs + (SEEDED_CODE_TTL_S - plan.mainDurationS - TTL_MARGIN_S) * 1000;
  const ids = sendAll(count, tenants, phoneBase, `${config.baseUrl}/v1/otp/send`);
  const codes = readAll(ids, phoneBase, smsUrl, { sentAtMs, deadlineMs, mainDurationS: plan.mainDurationS });
  const width = codes.reduce((widest, code) => Math.max(widest, code.length), 0);
  return { phoneBase, count, width, codes: codes.map((code) => code.padEnd(width)).join("") };
}

function sendAll(count: number, tenants: Tenant[], phoneBase: number, url: string): string[] {
  const ids: string[] = [];
  for (let start = 0; start < count; start += SETUP_BATCH_SIZE) {
    const specs: RequestSpec[] = [];
    for (let index = start; index < Math.min(count, start + SETUP_BATCH_SIZE); index++) {
      const tenant = tenants[index % tenants.length] as Tenant;
      specs.push({
        name: "setup-otp-send",
        method: "POST",
        url,
        headers: { authorization: tenant.authorization },
        json: { phone: verifyPhone(phoneBase, index) },
      });
    }
    batch(specs).forEach((response, offset) => {
      const id = jsonBody(response)?.id;
      if (response.status !== 200 || typeof id !== "string") {
        throw new Error(
          `setup: POST /v1/otp/send (item ${start + offset}) answered ${response.status}: ${String(response.body).slice(0, 300)}`,
        );
      }
      ids.push(id);
    });
  }
  return ids;
}

/**
 * Reads each item's own SMS (reference = its OTP id) from the provider's inbox for its number. The worker
 * delivers roughly in send order, so only a window of the oldest missing items is polled at a time: the
 * polling never competes with delivery for the provider's attention.
 */
function readAll(
  ids: string[],
  phoneBase: number,
  smsUrl: string,
  timing: { sentAtMs: number; deadlineMs: number; mainDurationS: number },
): string[] {
  const codes: Array<string | undefined> = new Array(ids.length);
  let done = 0;
  let next = 0;
  let lastProgressMs = Date.now();
  while (next < ids.length) {
    const window: number[] = [];
    for (let index = next; index < Math.min(ids.length, next + SETUP_BATCH_SIZE); index++)
      if (codes[index] === undefined) window.push(index);
    const responses = batch(
      window.map((index) => ({
        name: "setup-sms-inbox",
        url: `${smsUrl}/messages?to=${encodeURIComponent(verifyPhone(phoneBase, index))}&limit=1`,
      })),
    );
    let found = 0;
    responses.forEach((response, offset) => {
      const index = window[offset] as number;
      if (response.status !== 200)
        throw new Error(`setup: GET ${smsUrl}/messages answered ${response.status}: ${String(response.body).slice(0, 300)}`);
      const newest = (jsonBody(response)?.messages as Array<{ text?: string; reference?: string }> | undefined)?.[0];
      const code = newest?.text && newest.reference === ids[index] ? extractCode(newest.text) : undefined;
      if (code) {
        codes[index] = code;
        found += 1;
      }
    });
    done += found;
    while (next < ids.length && codes[next] !== undefined) next += 1;
    const now = Date.now();
    if (found > 0) lastProgressMs = now;
    if (next >= ids.length) break;
    if (now - lastProgressMs > DELIVERY_STALL_S * 1000) {
      throw new Error(
        `setup: no code reached the mock SMS provider for ${DELIVERY_STALL_S} s (${done} of ${ids.length} so far): ` +
          `is SMS_URL (${smsUrl}) the provider the service sends to (its SMS_PROVIDER_URL), and is its SMS worker running?`,
      );
    }
    if (now > timing.deadlineMs) {
      const elapsedS = (now - timing.sentAtMs) / 1000;
      const perSecond = done / elapsedS;
      throw new Error(
        `setup: ${done} of ${ids.length} codes delivered in ${Math.round(elapsedS)} s (≈${Math.round(perSecond)}/s, the service's SMS delivery rate): ` +
          `all of them would take ~${Math.round(ids.length / Math.max(perSecond, 0.001))} s, but they expire ${SEEDED_CODE_TTL_S} s after sending and ` +
          `the main phase needs ${timing.mainDurationS} s. Lower RATES or PLATEAU_SECONDS, or give the service more SMS_WORKER_CONCURRENCY.`,
      );
    }
    if (found < window.length) sleep(0.1);
  }
  return codes as string[];
}
