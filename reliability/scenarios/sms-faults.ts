// The SMS provider failing half the time, slowly: every accepted OTP is delivered (retries go on
// until the code expires, minutes away), each with a send-log row, and the retries show in
// sms_jobs_total{outcome="retried"}.
import { setTimeout as sleep } from "node:timers/promises";
import { epochMs, metric, scrape } from "../lib/http.ts";
import { countBy, startLoad } from "../lib/load.ts";
import { acceptedIds } from "../lib/outage.ts";
import { Checks, type Scenario } from "../lib/scenario.ts";
import { DEAD_LETTER_KEY, phoneSequence, startStack } from "../lib/stack.ts";
import { percentile, round } from "../lib/stats.ts";

export const smsFaults: Scenario = {
  name: "sms-faults",
  summary: "mock provider at 50% errors and 1 s latency: every accepted OTP is delivered, with a send-log row; retries counted",
  async run({ workDir, cleanup, size, log }) {
    const total = size(40, 200);
    const rate = 20;
    const stack = await startStack({ dir: workDir, cleanup });
    const [tenant] = stack.seed("sf", 1, { phoneLimit: 1_000_000, dailyCap: 100_000_000 });
    if (!tenant) throw new Error("no tenant seeded");
    const service = await stack.startService({
      name: "service",
      env: {
        ACCESS_LOG_ENABLED: "false",
        SMS_WORKER_CONCURRENCY: "64",
        SMS_RETRY_BASE_MS: "200",
        SMS_RETRY_MAX_MS: "2000",
        SMS_PROVIDER_TIMEOUT_MS: "3000",
      },
    });
    // Through the provider's admin API, as an operator would inject the fault.
    await stack.setSmsFaults({ errorRate: 0.5, latencyMs: 1_000, errorStatus: 503 });
    log(`provider faults on (50% 503, 1 s latency); sending ${total} OTPs at ${rate}/s`);

    const nextPhone = phoneSequence("1554");
    const load = startLoad({
      rate,
      limit: total,
      next: () => ({
        kind: "send",
        url: `${service.url}/v1/otp/send`,
        headers: { authorization: `Bearer ${tenant.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ phone: nextPhone() }),
      }),
    });
    await sleep((total / rate) * 1000 + 200);
    const { results: sent } = await load.stop();
    const ids = acceptedIds(sent);
    const sentAt = epochMs();

    // Wait until every accepted OTP has its outcome recorded.
    type Row = { otp_id: string; status: string; attempts: number };
    let rows: Row[] = [];
    const deadline = performance.now() + size(60_000, 120_000);
    while (performance.now() < deadline) {
      rows = (await stack.db.query<Row>("SELECT otp_id, status, attempts FROM otp_send_log WHERE otp_id = ANY($1::uuid[])", [ids])).rows;
      const backlog = await stack.streamBacklog();
      if (rows.length >= ids.length && backlog.length === 0 && backlog.pending === 0) break;
      await sleep(250);
    }
    const settledS = round((epochMs() - sentAt) / 1000, 1);
    const samples = await scrape(service.url);
    const sms = await stack.smsStats();
    const deadEntries = (await stack.redisClient.xrange(DEAD_LETTER_KEY, "-", "+")) as Array<[string, string[]]>;
    const deadIds = new Set(
      deadEntries.map(([, flat]) => {
        const index = flat.indexOf("otpId");
        return flat[index + 1] as string;
      }),
    );

    const byId = new Map(rows.map((row) => [row.otp_id, row]));
    const missing = ids.filter((id) => !byId.has(id));
    const delivered = rows.filter((row) => row.status === "delivered");
    const notDelivered = rows.filter((row) => row.status !== "delivered");
    const retriedMetric = metric(samples, "sms_jobs_total", { outcome: "retried" });
    const extraAttempts = rows.reduce((sum, row) => sum + row.attempts - 1, 0);
    const attempts = rows.reduce((sum, row) => sum + row.attempts, 0);

    const checks = new Checks();
    checks.equal("sends answered 200 (the API does not wait for the provider)", ids.length, total);
    checks.atMost(
      "send p99 while the provider is slow and failing",
      round(
        percentile(
          sent.map((r) => r.ms),
          99,
        ),
      ),
      250,
      " ms",
    );
    checks.equal("accepted OTPs without a send-log row", missing.length, 0);
    checks.equal("delivered = accepted (the code's TTL outlasts every retry here)", delivered.length, ids.length);
    checks.equal("distinct OTPs the provider accepted = delivered rows", sms.accepted - sms.duplicates, delivered.length);
    checks.equal("dead-letter stream entries", deadIds.size, 0);
    checks.atLeast('sms_jobs_total{outcome="retried"}', retriedMetric, 1);
    checks.equal("retried metric = Σ(attempts − 1) over the send log", retriedMetric, extraAttempts);
    checks.equal("provider requests = Σ attempts over the send log", sms.received, attempts);

    return {
      figures: {
        otpsSent: total,
        otpsAccepted: ids.length,
        sendP99Ms: round(
          percentile(
            sent.map((r) => r.ms),
            99,
          ),
        ),
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
