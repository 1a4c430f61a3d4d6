// The SMS provider down (every call 503) while sends continue at a steady rate, then healed.
// Phase 1, an outage shorter than the code TTL: every OTP accepted during it is delivered after it,
// exactly once, nothing dead-lettered or expired. Phase 2, a tenant with a short TTL and an outage longer
// than it: once the oldest queued SMS is older than half the TTL, sends are shed (503 + Retry-After)
// instead of accepted, and what was accepted but could not be delivered in time ends expired_undelivered.
import { setTimeout as sleep } from "node:timers/promises";
import type { SeededTenant } from "@otp-lab/local-stack/app-cli";
import { type AcceptedSend, acceptedSends, deliveryReport, settle } from "../lib/delivery.ts";
import { countBy, latencyMs, round } from "../lib/figures.ts";
import { openScenario } from "../lib/opening.ts";
import { epochMs } from "../lib/otp-client.ts";
import { startedBetween } from "../lib/outage.ts";
import { Checks, type Scenario, type ScenarioContext } from "../lib/scenario.ts";
import { type SendLoadOptions, type SendLoadResult, startSendLoad } from "../lib/send-load.ts";
import type { Stack } from "../lib/stack.ts";

const SHED_RATIO = 0.5;
const BACKLOG_TYPE = "urn:otp-lab:problem:delivery-backlog";

interface PhaseTimeline extends SendLoadResult {
  outageAt: number;
  healAt: number;
}

export const providerOutage: Scenario = {
  name: "provider-outage",
  summary:
    "SMS provider failing every call under steady sends: all OTPs accepted during an outage shorter than the TTL delivered once after it; with a short TTL, sends shed (503) and undeliverable ones end expired_undelivered",
  async run(context) {
    const { size, log } = context;
    const rate = size(10, 20);
    const outageS = size(8, 60);
    const shortTtlS = size(6, 20);
    const shedThresholdS = shortTtlS * SHED_RATIO;
    const shortOutageS = Math.round(shortTtlS * 1.5);
    // Production delivery settings (retry backoff base 200 ms, cap 5 s; provider timeout 3 s).
    const { stack, tenant, service } = await openScenario(context, { tenant: "po" });
    const shortTenant = stack.seedOne("po-short");
    await stack.setTenant(shortTenant.id, { code_ttl_seconds: shortTtlS });

    // Phase 1: the default TTL (300 s), an outage well below it.
    log(`phase 1: ${rate} sends/s, provider failing every call for ${outageS} s`);
    const one = await phase(context, stack, service, tenant, {
      name: "long-ttl",
      rate,
      beforeS: size(2, 5),
      outageS,
      afterS: size(2, 5),
      ridPrefix: "po1",
      phonePrefix: "1550",
    });
    const accepted1 = acceptedSends(one.requests);
    const acceptedDuring1 = acceptedSends(startedBetween(one.requests, one.outageAt, one.healAt));
    const settled1 = await settle(stack, accepted1, size(30_000, 60_000));
    const delivery1 = await deliveryReport(stack, accepted1, settled1.rows);
    const deliveryDuring1 = await deliveryReport(stack, acceptedDuring1, settled1.rows);
    const drainMs1 = lastCompletion(acceptedDuring1, settled1.rows) - one.healAt;
    const sends1 = countBy(one.requests, (r) => r.status);
    log(
      `phase 1: ${deliveryDuring1.delivered} of ${acceptedDuring1.length} OTPs accepted during the outage delivered; drained ${Math.round(drainMs1)} ms after the heal`,
    );

    // Phase 2: a tenant whose codes live shortTtlS, an outage of 1.5 × that, on an instance whose retry
    // backoff is capped at 1 s: a job is given up at most 1 s before its code expires (the worker stops
    // when the next attempt would come after the expiry), so the backlog's age follows the TTL closely.
    await service.stop("SIGTERM", 15_000);
    const shortService = await stack.startService({
      name: "service-short",
      env: { ACCESS_LOG_ENABLED: "false", SMS_RETRY_MAX_MS: "1000" },
    });
    log(`phase 2: TTL ${shortTtlS} s, provider failing for ${shortOutageS} s (shedding from ${shedThresholdS} s of backlog age)`);
    const two = await phase(context, stack, shortService, shortTenant, {
      name: "short-ttl",
      rate,
      beforeS: size(2, 5),
      outageS: shortOutageS,
      afterS: size(4, 8),
      ridPrefix: "po2",
      phonePrefix: "1549",
    });
    const accepted2 = acceptedSends(two.requests);
    const settled2 = await settle(stack, accepted2, size(30_000, 60_000));
    const delivery2 = await deliveryReport(stack, accepted2, settled2.rows);
    const during2 = startedBetween(two.requests, two.outageAt, two.healAt);
    const shed = two.requests.filter((r) => r.status === 503);
    const shedRefusals = two.refusals.filter((r) => r.status === 503);
    const shedProblems = shedRefusals.filter(
      (r) => r.problemType === BACKLOG_TYPE && r.contentType.startsWith("application/problem+json") && /^\d+$/.test(r.retryAfter),
    );
    const acceptedDuring2 = acceptedSends(during2);
    const expiredDuring2 = acceptedDuring2.filter((send) => settled2.rows.get(send.requestId)?.status === "expired_undelivered");
    const deliveredDuring2 = acceptedDuring2.filter((send) => settled2.rows.get(send.requestId)?.status === "delivered");
    const firstShed = shed.map((r) => r.startedAt).sort((a, b) => a - b)[0];
    const lastShed = shed.map((r) => r.startedAt).sort((a, b) => b - a)[0];
    // Between threshold + 1 s and TTL − 1 s into the outage the oldest queued job (accepted as it began)
    // is older than the threshold and not yet given up: nothing may be accepted then.
    const mustShedFrom = two.outageAt + (shedThresholdS + 1) * 1000;
    const mustShedTo = two.outageAt + (shortTtlS - 1) * 1000;
    const mustShed = two.requests.filter((r) => r.startedAt >= mustShedFrom && r.startedAt < mustShedTo);
    const acceptedLate = mustShed.filter((r) => r.status === 200).length;
    const acceptedAfterHeal2 = acceptedSends(two.requests.filter((r) => r.startedAt >= two.healAt + 2_000));
    const sms = await stack.smsStats();
    const deadLetters = await stack.redisClient.xlen("otp:sms:dead");

    const checks = new Checks();
    checks.add("k6 ran to the end (both phases)", "0, 0", `${one.exit}, ${two.exit}`, one.exit === 0 && two.exit === 0);
    checks.equal("phase 1: sends not answered 200 (the API does not wait for the provider)", one.requests.length - (sends1["200"] ?? 0), 0);
    checks.add(
      "phase 1: every accepted OTP has its outcome, the stream drained",
      "settled",
      settled1.settledAfterMs === null ? "timed out" : `${settled1.settledAfterMs} ms after the load`,
      settled1.settledAfterMs !== null,
    );
    checks.equal(
      `phase 1: OTPs accepted during the ${outageS} s outage delivered after it`,
      deliveryDuring1.delivered,
      acceptedDuring1.length,
    );
    checks.equal("phase 1: all accepted OTPs delivered", delivery1.delivered, delivery1.accepted);
    checks.equal("phase 1: OTPs with more than one message at the provider", delivery1.duplicated, 0);
    checks.equal("phase 1: dead-lettered, expired or rejected", delivery1.accepted - (delivery1.statuses.delivered ?? 0), 0);
    checks.atLeast("phase 2: sends shed during the outage (503)", shed.length, 1);
    checks.add(
      "phase 2: every shed send is a delivery-backlog problem with Retry-After",
      `${shed.length}`,
      `${shedProblems.length} (Retry-After ${[...new Set(shedRefusals.map((r) => r.retryAfter))].join("/") || "-"})`,
      shedProblems.length === shed.length,
    );
    checks.add(
      `phase 2: shedding starts once the backlog is ${shortTtlS * SHED_RATIO} s old`,
      `first 503 ≥ ${shedThresholdS - 1} s into the outage`,
      firstShed === undefined ? "none" : `${round((firstShed - two.outageAt) / 1000, 1)} s`,
      firstShed !== undefined && firstShed - two.outageAt >= (shedThresholdS - 1) * 1000,
    );
    checks.add(
      `phase 2: sends accepted ${shedThresholdS + 1}–${shortTtlS - 1} s into the outage (backlog older than the threshold)`,
      `0 of ${mustShed.length}`,
      `${acceptedLate}`,
      acceptedLate === 0 && mustShed.length > 0,
    );
    checks.add(
      "phase 2: every accepted OTP ends delivered or expired_undelivered",
      `${accepted2.length}`,
      JSON.stringify(delivery2.statuses),
      (delivery2.statuses.delivered ?? 0) + (delivery2.statuses.expired_undelivered ?? 0) === accepted2.length,
    );
    checks.atLeast("phase 2: OTPs accepted in the outage and expired undelivered", expiredDuring2.length, 1);
    checks.add(
      "phase 2: sends accepted and delivered again after the heal",
      "all 200 and delivered",
      `${acceptedAfterHeal2.length} accepted, ${acceptedAfterHeal2.filter((s) => settled2.rows.get(s.requestId)?.status === "delivered").length} delivered`,
      acceptedAfterHeal2.length > 0 &&
        acceptedAfterHeal2.every((s) => settled2.rows.get(s.requestId)?.status === "delivered") &&
        two.requests.filter((r) => r.startedAt >= two.healAt + 2_000).every((r) => r.status === 200),
    );

    return {
      figures: {
        rate,
        providerFaults: "errorRate 1, errorStatus 503 (PUT /admin/faults)",
        phase1: {
          outageS,
          codeTtlS: 300,
          sends: one.requests.length,
          statuses: sends1,
          sendP99Ms: latencyMs(one.requests, 99),
          acceptedDuringOutage: acceptedDuring1.length,
          deliveredAfterOutage: deliveryDuring1.delivered,
          accepted: delivery1.accepted,
          delivered: delivery1.delivered,
          outcomes: delivery1.statuses,
          messagesPerOtp: delivery1.messagesPerOtp,
          drainAfterHealMs: Math.round(drainMs1),
          settledAfterLoadMs: settled1.settledAfterMs,
        },
        phase2: {
          codeTtlS: shortTtlS,
          shedThresholdS,
          retryMaxMs: 1000,
          outageS: shortOutageS,
          sends: two.requests.length,
          statuses: countBy(two.requests, (r) => r.status),
          statusesDuringOutage: countBy(during2, (r) => r.status),
          shed: shed.length,
          shedRetryAfterS: [...new Set(shedRefusals.map((r) => r.retryAfter))].join("/"),
          firstShedAfterOutageS: firstShed === undefined ? null : round((firstShed - two.outageAt) / 1000, 1),
          lastShedAfterHealS: lastShed === undefined ? null : round((lastShed - two.healAt) / 1000, 1),
          acceptedDuringOutage: acceptedDuring2.length,
          expiredUndelivered: expiredDuring2.length,
          deliveredOfThoseAcceptedDuringOutage: deliveredDuring2.length,
          accepted: accepted2.length,
          outcomes: delivery2.statuses,
          acceptedAfterHeal: acceptedAfterHeal2.length,
        },
        providerRequests: sms.received,
        providerFailures: sms.failed,
        providerDuplicates: sms.duplicates,
        deadLetterStreamLength: deadLetters,
      },
      checks: checks.list,
      notes: [
        `The provider's faults are set through its admin API (PUT /admin/faults {errorRate: 1, errorStatus: 503}) and cleared to heal it; the worker retries with full-jitter backoff capped at SMS_RETRY_MAX_MS (5 s, the default) until the code expires, so the drain after the heal is bounded by that cap.`,
        `Phase 2 sets the tenant's code_ttl_seconds to ${shortTtlS}; a send is shed when the oldest job in the SMS stream is older than SMS_SHED_BACKLOG_AGE_RATIO (${SHED_RATIO}) × that TTL. The OTPs accepted before that point cannot arrive in time once the outage outlasts their TTL: they end expired_undelivered (not sent, the code is useless by then).`,
        "The shedding test is stream-wide: the backlog age is the oldest job of any tenant, compared with the sending tenant's TTL.",
        "In an outage longer than TTL + threshold, shedding is a sawtooth: once every queued job has been given up the stream is empty, sends are accepted again for threshold seconds, then shed again. Those accepted right before the heal are delivered; the ones accepted early in the outage expire.",
        "Phase 2 runs on a fresh instance with SMS_RETRY_MAX_MS=1000 (phase 1 keeps the 5 s default): a job is given up when its next attempt would come after its expiry, so with a 5 s cap a 6–20 s TTL would be cut short by up to 5 s and blur the backlog age the shedding reads.",
      ],
    };
  },
};

/** One phase: k6 sends for beforeS + outageS + afterS, the provider failing during outageS. */
async function phase(
  context: ScenarioContext,
  stack: Stack,
  target: { url: string },
  tenant: SeededTenant,
  options: Omit<SendLoadOptions, "durationS" | "mix" | "limit"> & { beforeS: number; outageS: number; afterS: number },
): Promise<PhaseTimeline> {
  const { beforeS, outageS, afterS, ...load } = options;
  const sends = startSendLoad(context, target, tenant, { ...load, durationS: beforeS + outageS + afterS });
  await sleep(beforeS * 1000);
  const outageAt = epochMs();
  await stack.setSmsFaults({ errorRate: 1, errorStatus: 503 });
  await sleep(outageS * 1000);
  await stack.setSmsFaults({ errorRate: 0 });
  const healAt = epochMs();
  return { ...(await sends.finished()), outageAt, healAt };
}

function lastCompletion(sends: AcceptedSend[], rows: Map<string, { completedAt: number }>): number {
  return Math.max(0, ...sends.map((send) => rows.get(send.requestId)?.completedAt ?? 0));
}
