// The SMS provider failing half the time, slowly: every accepted OTP is delivered (retries go on
// until the code expires, minutes away), each with a send-log row, and the retries show in
// sms_jobs_total{outcome="retried"}.
import { acceptedSends, settle } from "../lib/delivery.ts";
import { DEAD_LETTER_KEY } from "../lib/delivery-state.ts";
import { countBy, round } from "../lib/figures.ts";
import { openScenario } from "../lib/opening.ts";
import { Checks, type Scenario } from "../lib/scenario.ts";
import { sendBatch } from "../lib/send-load.ts";
import { metric, scrape } from "../lib/service-metrics.ts";

export const smsFaults: Scenario = {
  name: "sms-faults",
  summary: "mock provider at 50% errors and 1 s latency: every accepted OTP is delivered, with a send-log row; retries counted",
  async run(context) {
    const { size, log } = context;
    const total = size(40, 200);
    const rate = 20;
    const { stack, tenant, service } = await openScenario(context, {
      tenant: "sf",
      service: {
        env: { SMS_WORKER_CONCURRENCY: "64", SMS_RETRY_BASE_MS: "200", SMS_RETRY_MAX_MS: "2000", SMS_PROVIDER_TIMEOUT_MS: "3000" },
      },
    });
    // Through the provider's admin API, as an operator would inject the fault.
    await stack.setSmsFaults({ errorRate: 0.5, latencyMs: 1_000, errorStatus: 503 });
    log(`provider faults on (50% 503, 1 s latency); sending ${total} OTPs at ${rate}/s`);

    const batch = await sendBatch(context, service, tenant, { total, rate, phonePrefix: "1554", ridPrefix: "sf" });
    const { exit: k6Exit, requests: sent } = batch;
    const summary = batch.summary();
    const accepted = acceptedSends(sent);

    // Wait until every accepted OTP has its outcome recorded and the stream is drained.
    const settled = await settle(stack, accepted, size(60_000, 120_000));
    const settledS = settled.settledAfterMs === null ? null : round(settled.settledAfterMs / 1000, 1);
    const rows = accepted.flatMap((send) => settled.rows.get(send.requestId) ?? []);
    const samples = await scrape(service.url);
    const sms = await stack.smsStats();
    const deadEntries = (await stack.redisClient.xrange(DEAD_LETTER_KEY, "-", "+")) as Array<[string, string[]]>;
    const deadIds = new Set(
      deadEntries.map(([, flat]) => {
        const index = flat.indexOf("otpId");
        return flat[index + 1] as string;
      }),
    );

    const missing = accepted.filter((send) => !settled.rows.has(send.requestId));
    const delivered = rows.filter((row) => row.status === "delivered");
    const notDelivered = rows.filter((row) => row.status !== "delivered");
    const retriedMetric = metric(samples, "sms_jobs_total", { outcome: "retried" });
    const extraAttempts = rows.reduce((sum, row) => sum + row.attempts - 1, 0);
    const attempts = rows.reduce((sum, row) => sum + row.attempts, 0);

    const checks = new Checks();
    checks.equal("k6 ran to the end", k6Exit, 0);
    checks.equal("sends answered 200 (the API does not wait for the provider)", accepted.length, total);
    checks.atMost("send p99 while the provider is slow and failing (k6)", round(summary.p99Ms), 250, " ms");
    checks.equal("accepted OTPs without a send-log row", missing.length, 0);
    checks.equal("delivered = accepted (the code's TTL outlasts every retry here)", delivered.length, accepted.length);
    checks.equal("distinct OTPs the provider accepted = delivered rows", sms.accepted - sms.duplicates, delivered.length);
    checks.equal("dead-letter stream entries", deadIds.size, 0);
    checks.atLeast('sms_jobs_total{outcome="retried"}', retriedMetric, 1);
    checks.equal("retried metric = Σ(attempts − 1) over the send log", retriedMetric, extraAttempts);
    checks.equal("provider requests = Σ attempts over the send log", sms.received, attempts);

    return {
      figures: {
        otpsSent: sent.length,
        otpsAccepted: accepted.length,
        sendP99Ms: round(summary.p99Ms),
        delivered: delivered.length,
        notDelivered: notDelivered.length,
        deadLetterStreamEntries: deadEntries.length,
        missing: missing.length,
        attemptsHistogram: countBy(rows, (row) => row.attempts),
        retriedMetric,
        deliveredMetric: metric(samples, "sms_jobs_total", { outcome: "delivered" }),
        expiredUndeliveredMetric: metric(samples, "sms_jobs_total", { outcome: "expired_undelivered" }),
        providerRequests: sms.received,
        providerFailures: sms.failed,
        providerAccepted: sms.accepted,
        providerDuplicates: sms.duplicates,
        allSettledAfterS: settledS,
        maxAttempts: Math.max(0, ...rows.map((row) => row.attempts)),
      },
      checks: checks.list,
      notes: [
        "Faults set at run time with PUT /admin/faults {errorRate: 0.5, latencyMs: 1000, errorStatus: 503}; the worker retries 503s with full-jitter backoff (base 200 ms, cap 2 s) until the code expires (the tenant's 300 s TTL), so every OTP is delivered; before issue 11 it gave up after 5 attempts and about 0.5^5 ≈ 3% were dead-lettered.",
        "An OTP that cannot be delivered before its code expires ends expired_undelivered (see the provider-outage scenario); a permanent provider rejection ends rejected; both keep their sealed job in the dead-letter stream for `otp-service redrive-dead-letters`.",
      ],
    };
  },
};
