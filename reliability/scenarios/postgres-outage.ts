// PostgreSQL stopped under load. With the tenant cache on, sends go on and the send log buffers its
// rows until PostgreSQL returns (none lost); without it, sends fail fast with 503. Both are measured.
import { acceptedSends, deliveryReport, settle } from "../lib/delivery.ts";
import { countBy, latencyMs, round } from "../lib/figures.ts";
import {
  checkReadyDown,
  firstSampleAfter,
  probeEvery,
  runOutage,
  type Sampled,
  sampleEvery,
  startedBetween,
  sustainedRecoveryMs,
  timelineS,
} from "../lib/outage.ts";
import { Checks, type Scenario } from "../lib/scenario.ts";
import { answeredAsExpected, startSendLoad } from "../lib/send-load.ts";
import { metric, scrape } from "../lib/service-metrics.ts";
import { startStack } from "../lib/stack.ts";

const RECOVERY_GOAL_MS = 5_000;
const CONNECT_TIMEOUT_MS = 1_000;
/** The send-log writer retries with full-jitter backoff capped at 5 s (send-log-writer.ts): its worst-case wait. */
const WRITER_RETRY_CAP_MS = 5_000;

interface WriterSample {
  buffered: number;
  unavailableFlushes: number;
}

export const postgresOutage: Scenario = {
  name: "postgres-outage",
  summary:
    "PostgreSQL stopped under load: with the tenant cache sends continue and the send log buffers and writes every row after recovery; without it sends fail fast with 503",
  async run(context) {
    const { workDir, cleanup, size, log } = context;
    const rate = size(30, 40);
    const outageMs = size(3_000, 10_000);
    const stack = await startStack({ dir: workDir, cleanup, mockSms: { latencyMs: 5 } });
    const tenants = stack.seed("po", 2);
    const common = { ACCESS_LOG_ENABLED: "false", PG_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS) };
    // The instance under test: tenant cache on, the SMS worker and its send log here.
    const cached = await stack.startService({ name: "cached", env: { ...common, TENANT_CACHE_TTL_MS: "600000" } });
    // The comparison: every request looks its tenant up in PostgreSQL (the default), no worker.
    const uncached = await stack.startService({
      name: "uncached",
      env: { ...common, TENANT_CACHE_TTL_MS: "0", SMS_WORKER_ENABLED: "false" },
    });
    const pids = { cached: cached.pid(), uncached: uncached.pid() };
    const timing = { baselineMs: size(3_000, 10_000), outageMs, observeMs: size(7_000, 15_000) };
    // Sends and verifies, the tenants taking turns; the cache-off instance gets a quarter of the rate.
    const load = (instance: typeof cached, name: string, instanceRate: number, phonePrefix: string, ridPrefix: string) =>
      startSendLoad(context, instance, tenants, {
        name,
        rate: instanceRate,
        durationS: timelineS(timing),
        phonePrefix,
        ridPrefix,
        mix: "send-verify",
      });
    const k6Cached = load(cached, "cached", rate, "1559", "pc");
    const k6Uncached = load(uncached, "uncached", Math.max(4, Math.round(rate / 4)), "1560", "pu");
    const probesCached = probeEvery(cached.url);
    const probesUncached = probeEvery(uncached.url);
    const writer = sampleEvery<WriterSample>(200, async () => {
      const samples = await scrape(cached.url);
      return {
        buffered: metric(samples, "send_log_buffered_records"),
        unavailableFlushes: metric(samples, "send_log_flush_duration_seconds_count", { outcome: "unavailable" }),
      };
    });

    const timeline = await runOutage({ what: "PostgreSQL", ...timing, dependency: stack.postgres, log });
    const cachedLoad = await k6Cached.finished();
    const uncachedLoad = await k6Uncached.finished();
    const readyCached = await probesCached.stop();
    const readyUncached = await probesUncached.stop();
    const cachedRun = cachedLoad.requests;
    const uncachedRun = uncachedLoad.requests;
    const problems = new Set(uncachedLoad.refusals.filter((refusal) => refusal.problem).map((refusal) => refusal.rid));

    // Every accepted send (either instance) must end as a delivered row once the buffer drains.
    const accepted = [...acceptedSends(cachedRun), ...acceptedSends(uncachedRun)];
    const { rows } = await settle(stack, accepted, 20_000, { drained: false });
    const delivery = await deliveryReport(stack, accepted, rows);
    const writerSamples = await writer.stop();
    const lost = delivery.accepted - delivery.delivered;
    const sms = await stack.smsStats();
    const deliveredJobs = sms.accepted - sms.duplicates;

    const cachedDuring = startedBetween(cachedRun, timeline.downAt, timeline.startRequestedAt);
    const uncachedDuring = startedBetween(uncachedRun, timeline.downAt, timeline.startRequestedAt);
    const uncached503 = uncachedDuring.filter((r) => r.status === 503);
    const bufferedDuring = writerSamples.filter((s) => s.at >= timeline.downAt && s.at < timeline.upAt + 500);
    const peakBuffered = Math.max(0, ...bufferedDuring.map((s) => s.value.buffered));
    const flushedAfterMs = backlogWrittenAfter(writerSamples, timeline.stopRequestedAt, timeline.upAt);
    const lastWriter = writerSamples.at(-1)?.value;

    const checks = new Checks();
    checks.equal("k6 ran to the end (cache on, cache off)", `${cachedLoad.exit}, ${uncachedLoad.exit}`, "0, 0");
    checks.add(
      "same processes throughout (no crash)",
      "pids unchanged, alive",
      `${cached.pid()}, ${uncached.pid()}`,
      cached.pid() === pids.cached && uncached.pid() === pids.uncached && cached.alive() && uncached.alive(),
    );
    checks.equal("cache on: requests during the outage that failed", cachedDuring.filter((r) => !answeredAsExpected(r)).length, 0);
    checks.atLeast("cache on: send-log rows buffered at the peak of the outage", peakBuffered, 1);
    checks.atLeast("cache on: send-log flushes retried while PostgreSQL was away", lastWriter?.unavailableFlushes ?? 0, 1);
    checks.atMost("cache on: buffered backlog written after PostgreSQL returns", flushedAfterMs, WRITER_RETRY_CAP_MS + 1_000, " ms");
    checks.equal("accepted sends not delivered (send-log row + message at the provider; lost)", lost, 0);
    checks.equal("send-log rows = jobs delivered to the provider", rows.size, deliveredJobs);
    checks.equal(
      "cache off: requests during the outage answered 503 problem+json",
      uncached503.filter((r) => problems.has(r.tags.rid ?? "")).length,
      uncachedDuring.length,
    );
    checks.atMost("cache off: p99 of the 503 answers", latencyMs(uncached503, 99), CONNECT_TIMEOUT_MS + 500, " ms");
    for (const [name, samples] of [
      ["cache on", readyCached],
      ["cache off", readyUncached],
    ] as const) {
      checkReadyDown(checks, `${name}: /ready 503 throughout the outage`, samples, timeline);
      checks.atMost(
        `${name}: /ready 200 again after PostgreSQL returns`,
        firstSampleAfter(samples, timeline.upAt, (v) => v.ready === 200),
        RECOVERY_GOAL_MS,
        " ms",
      );
    }
    const uncachedRecovery = sustainedRecoveryMs(
      startedBetween(uncachedRun, timeline.upAt, Number.POSITIVE_INFINITY),
      timeline.upAt,
      answeredAsExpected,
    );
    checks.atMost("cache off: requests all succeed again after PostgreSQL returns", uncachedRecovery, RECOVERY_GOAL_MS, " ms");
    const unexpected = [...cachedRun, ...uncachedRun].filter((r) => !answeredAsExpected(r) && r.status !== 503);
    checks.equal("answers other than the expected 200/422 or 503", unexpected.length, 0);

    return {
      figures: {
        rate,
        outageS: round((timeline.startRequestedAt - timeline.downAt) / 1000, 1),
        cacheOn: {
          requests: cachedRun.length,
          requestsDuringOutage: cachedDuring.length,
          statusesDuringOutage: countBy(cachedDuring, (r) => r.status),
          p99DuringOutageMs: latencyMs(cachedDuring, 99),
          readyFalseAfterMs: firstSampleAfter(readyCached, timeline.stopRequestedAt, (v) => v.ready === 503),
          readyBackAfterMs: firstSampleAfter(readyCached, timeline.upAt, (v) => v.ready === 200),
        },
        cacheOff: {
          requests: uncachedRun.length,
          requestsDuringOutage: uncachedDuring.length,
          statusesDuringOutage: countBy(uncachedDuring, (r) => r.status),
          p99_503Ms: latencyMs(uncached503, 99),
          max503Ms: latencyMs(uncached503, 100),
          recoveryAfterMs: uncachedRecovery,
          readyBackAfterMs: firstSampleAfter(readyUncached, timeline.upAt, (v) => v.ready === 200),
        },
        sendLog: {
          peakBufferedRecords: peakBuffered,
          flushesRetriedWhileUnavailable: lastWriter?.unavailableFlushes ?? 0,
          backlogWrittenAfterRecoveryMs: flushedAfterMs,
          rows: rows.size,
          deliveredJobs,
          providerDuplicates: sms.duplicates,
        },
        sendsAccepted: delivery.accepted,
        lost,
      },
      checks: checks.list,
      notes: [
        "Both instances share PostgreSQL, Redis and the mock provider; only 'cached' (TENANT_CACHE_TTL_MS=600000) runs the SMS worker, so all buffering happens in its send-log writer.",
        "With the cache on, sends and verifies need only Redis once the tenant is cached, so they keep succeeding; the SMS worker keeps delivering and holds each outcome (and the unacknowledged job) until its row commits.",
        "/ready is 503 on both instances during the outage because readiness pings PostgreSQL: behind Kubernetes or HAProxy the cached instance would be taken out of rotation although it could serve. Whether readiness should ignore PostgreSQL when the cache is warm is a design decision, not changed here.",
        `The send-log writer retries a failed batch with full-jitter backoff capped at ${WRITER_RETRY_CAP_MS} ms, so its backlog is written up to that long after PostgreSQL returns (goal: cap + 1 s); the SMS jobs stay unacknowledged until then.`,
        "A tenant not yet in the cache (or whose entry expires) during an outage gets 503, like every request of the cache-off instance.",
      ],
    };
  },
};

/**
 * Ms from `from` until the writer's backlog was written: the first sample whose buffer is back to what
 * steady traffic keeps in it (records wait up to the flush interval for their batch), as seen before the outage.
 */
function backlogWrittenAfter(samples: Array<Sampled<WriterSample>>, before: number, from: number): number | null {
  const steady = Math.max(2, ...samples.filter((s) => s.at < before).map((s) => s.value.buffered));
  const hit = samples.find((s) => s.at >= from && s.value.buffered <= steady);
  return hit ? Math.round(hit.at - from) : null;
}
