// Redis stopped under load: no crash, fast 503 problems, /ready false, recovery within 5 s, no accepted send lost.
import { acceptedSends, deliveryReport, settle } from "../lib/delivery.ts";
import { countBy, latencyMs, round } from "../lib/figures.ts";
import { openScenario } from "../lib/opening.ts";
import {
  checkReadyDown,
  firstSampleAfter,
  probeEvery,
  runOutage,
  startedBetween,
  sustainedRecoveryMs,
  timelineS,
  watchProcess,
} from "../lib/outage.ts";
import { Checks, type Scenario } from "../lib/scenario.ts";
import { answeredAsExpected, startSendLoad } from "../lib/send-load.ts";

const RECOVERY_GOAL_MS = 5_000;
/** REDIS_COMMAND_TIMEOUT_MS: the slowest a request needing Redis may take to give up. */
const COMMAND_TIMEOUT_MS = 1_000;

export const redisOutage: Scenario = {
  name: "redis-outage",
  summary: "Redis stopped under send+verify load: same process, fast 503 problem+json, /ready false, recovery ≤ 5 s, no accepted send lost",
  async run(context) {
    const { size, log } = context;
    const rate = size(30, 40);
    const outageMs = size(3_000, 10_000);
    const { stack, tenant, service } = await openScenario(context, {
      tenant: "ro",
      service: { env: { REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS) } },
    });
    const sameProcess = watchProcess(service);
    const timing = { baselineMs: size(3_000, 10_000), outageMs, observeMs: size(6_000, 15_000) };
    // Both sends and verifies need Redis and nothing else once the tenant is known.
    const load = startSendLoad(context, service, tenant, {
      rate,
      durationS: timelineS(timing),
      phonePrefix: "1558",
      ridPrefix: "ro",
      mix: "send-verify",
    });
    const probes = probeEvery(service.url);
    const timeline = await runOutage({ what: "Redis", ...timing, dependency: stack.redis, log });
    const { exit: k6Exit, requests: results, refusals, summary } = await load.finished();
    const samples = await probes.stop();
    const problems = new Set(refusals.filter((refusal) => refusal.problem).map((refusal) => refusal.rid));

    const before = startedBetween(results, 0, timeline.stopRequestedAt);
    const during = startedBetween(results, timeline.downAt, timeline.startRequestedAt);
    const after = startedBetween(results, timeline.upAt, Number.POSITIVE_INFINITY);
    const unavailable = results.filter((result) => result.status === 503);
    const unexpected = results.filter((result) => !answeredAsExpected(result) && result.status !== 503);
    const duringProblems = during.filter((result) => result.status === 503 && problems.has(result.tags.rid ?? ""));

    // No accepted send lost: every 200 must end as a delivered send-log row and a message at the provider.
    const accepted = acceptedSends(results);
    const { rows } = await settle(stack, accepted, 20_000, { drained: false });
    const delivery = await deliveryReport(stack, accepted, rows);

    const checks = new Checks();
    checks.equal("k6 ran to the end", k6Exit, 0);
    sameProcess(checks, "same process throughout (no crash, no restart)");
    checks.add(
      "/live stayed 200",
      "all 200",
      countBy(samples, (s) => s.value.live),
      samples.every((sample) => sample.value.live === 200),
    );
    checks.equal("requests during the outage answered 503 problem+json", duringProblems.length, during.length);
    checks.atMost("p99 of the 503 answers", latencyMs(unavailable, 99), COMMAND_TIMEOUT_MS, " ms");
    checks.equal("answers other than the expected 200/422 or 503", unexpected.length, 0);
    checkReadyDown(checks, "/ready 503 throughout the outage (from 1 s after the stop)", samples, timeline);
    const recoveryMs = sustainedRecoveryMs(after, timeline.upAt, answeredAsExpected);
    const readyBackMs = firstSampleAfter(samples, timeline.upAt, (value) => value.ready === 200);
    checks.atMost("requests all succeed again after Redis returns", recoveryMs, RECOVERY_GOAL_MS, " ms");
    checks.atMost("/ready 200 again after Redis returns", readyBackMs, RECOVERY_GOAL_MS, " ms");
    checks.equal("requests before the outage that failed", before.filter((result) => !answeredAsExpected(result)).length, 0);
    checks.equal("accepted sends not delivered (lost)", delivery.accepted - delivery.delivered, 0);

    return {
      figures: {
        rate,
        outageS: round((timeline.startRequestedAt - timeline.downAt) / 1000, 1),
        requests: results.length,
        droppedIterations: summary().droppedIterations,
        requestsDuringOutage: during.length,
        statusesDuringOutage: countBy(during, (r) => r.status),
        unavailable503: unavailable.length,
        p50_503Ms: latencyMs(unavailable, 50),
        p99_503Ms: latencyMs(unavailable, 99),
        max503Ms: latencyMs(unavailable, 100),
        retryAfterOn503: refusals.filter((r) => r.status === 503 && r.retryAfter !== "none").length,
        readyFalseAfterMs: firstSampleAfter(samples, timeline.stopRequestedAt, (value) => value.ready === 503),
        readyBackAfterMs: readyBackMs,
        recoveryAfterMs: recoveryMs,
        firstSuccessAfterMs: (() => {
          const first = after.filter(answeredAsExpected).sort((a, b) => a.startedAt - b.startedAt)[0];
          return first ? Math.round(first.startedAt - timeline.upAt) : null;
        })(),
        sendsAccepted: delivery.accepted,
        sendsDelivered: delivery.delivered,
        lost: delivery.accepted - delivery.delivered,
        deliveredWithout200: delivery.deliveredWithout200,
        p99BeforeMs: latencyMs(before, 99),
        p99AfterRecoveryMs: latencyMs(after, 99),
      },
      checks: checks.list,
      notes: [
        "Redis runs as the chart runs it, with an append-only file fsync'd every second (scripts/local-stack/redis.ts), so the stopped Redis comes back with the SMS stream, the pending codes and the counters; without persistence the jobs queued at the moment of the stop would be gone. A Redis holding the job queue needs persistence (or replication) in production too.",
        "The client has no offline queue, so a request needing Redis fails at once while it is away; ioredis reconnects with a backoff capped at 2 s, which bounds the recovery.",
        "deliveredWithout200 counts sends whose Lua script ran but whose answer was lost with the connection (the client saw 503, the SMS still went): at-most-once is not promised for the 200 itself.",
      ],
    };
  },
};
