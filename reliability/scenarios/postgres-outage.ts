// PostgreSQL stopped under load. With the tenant cache on, sends go on and the send log buffers its
// rows until PostgreSQL returns (none lost); without it, sends fail fast with 503. Both are measured.
import { setTimeout as sleep } from "node:timers/promises";
import { isProblem, metric, type Sampled, sampleEvery, scrape } from "../lib/http.ts";
import { countBy, type LoadRequest, type LoadResult, startedBetween, startLoad } from "../lib/load.ts";
import { acceptedIds, firstSampleAfter, probeEvery, runOutage, sustainedRecoveryMs } from "../lib/outage.ts";
import { Checks, type Scenario } from "../lib/scenario.ts";
import { phoneSequence, type SeededTenant, sendLogRows, startStack } from "../lib/stack.ts";
import { percentile, round } from "../lib/stats.ts";

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
  async run({ workDir, cleanup, size, log }) {
    const rate = size(30, 40);
    const outageMs = size(3_000, 10_000);
    const stack = await startStack({ dir: workDir, cleanup, mockSms: { latencyMs: 5 } });
    const tenants = stack.seed("po", 2, { phoneLimit: 1_000_000, dailyCap: 100_000_000 });
    const common = { ACCESS_LOG_ENABLED: "false", PG_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS) };
    // The instance under test: tenant cache on, the SMS worker and its send log here.
    const cached = await stack.startService({ name: "cached", env: { ...common, TENANT_CACHE_TTL_MS: "600000" } });
    // The comparison: every request looks its tenant up in PostgreSQL (the default), no worker.
    const uncached = await stack.startService({
      name: "uncached",
      env: { ...common, TENANT_CACHE_TTL_MS: "0", SMS_WORKER_ENABLED: "false" },
    });
    const pids = { cached: cached.pid(), uncached: uncached.pid() };
    const nextPhone = phoneSequence("1559");

    const request = (url: string, tenant: SeededTenant, index: number, prefix: string): LoadRequest =>
      index % 2 === 0
        ? {
            kind: "send",
            url: `${url}/v1/otp/send`,
            headers: { authorization: `Bearer ${tenant.apiKey}`, "content-type": "application/json", "x-request-id": `${prefix}-${index}` },
            body: JSON.stringify({ phone: nextPhone() }),
          }
        : {
            kind: "verify",
            url: `${url}/v1/otp/verify`,
            headers: { authorization: `Bearer ${tenant.apiKey}`, "content-type": "application/json" },
            body: JSON.stringify({ phone: nextPhone(), code: "000000" }),
          };
    const loadCached = startLoad({
      rate,
      next: (index) => request(cached.url, tenants[index % tenants.length] as SeededTenant, index, "pc"),
    });
    const loadUncached = startLoad({
      rate: Math.max(4, Math.round(rate / 4)),
      next: (index) => request(uncached.url, tenants[index % tenants.length] as SeededTenant, index, "pu"),
    });
    const probesCached = probeEvery(cached.url);
    const probesUncached = probeEvery(uncached.url);
    const writer = sampleEvery<WriterSample>(200, async () => {
      const samples = await scrape(cached.url);
      return {
        buffered: metric(samples, "send_log_buffered_records"),
        unavailableFlushes: metric(samples, "send_log_flush_duration_seconds_count", { outcome: "unavailable" }),
      };
    });

    const timeline = await runOutage({
      what: "PostgreSQL",
      baselineMs: size(3_000, 10_000),
      outageMs,
      observeMs: size(7_000, 15_000),
      stop: () => stack.postgres.stop(),
      start: () => stack.postgres.start(),
      log,
    });
    const cachedRun = await loadCached.stop();
    const uncachedRun = await loadUncached.stop();
    const readyCached = await probesCached.stop();
    const readyUncached = await probesUncached.stop();

    // Every accepted send (either instance) must end as a delivered row once the buffer drains.
    const ids = [
      ...acceptedIds(cachedRun.results.filter((r) => r.kind === "send")),
      ...acceptedIds(uncachedRun.results.filter((r) => r.kind === "send")),
    ];
    let rows = await sendLogRows(stack.db);
    const settleStarted = Date.now();
    while (Date.now() - settleStarted < 20_000 && ids.some((id) => rows.get(id)?.status !== "delivered")) {
      await sleep(250);
      rows = await sendLogRows(stack.db);
    }
    const writerSamples = await writer.stop();
    const lost = ids.filter((id) => rows.get(id)?.status !== "delivered");
    const sms = await stack.smsStats();
    const deliveredJobs = sms.accepted - sms.duplicates;

    const expected = (result: LoadResult) => (result.kind === "send" ? result.status === 200 : result.status === 422);
    const cachedDuring = startedBetween(cachedRun.results, timeline.downAt, timeline.startRequestedAt);
    const uncachedDuring = startedBetween(uncachedRun.results, timeline.downAt, timeline.startRequestedAt);
    const uncached503 = uncachedDuring.filter((r) => r.status === 503);
    const bufferedDuring = writerSamples.filter((s) => s.at >= timeline.downAt && s.at < timeline.upAt + 500);
    const peakBuffered = Math.max(0, ...bufferedDuring.map((s) => s.value.buffered));
    const flushedAfterMs = backlogWrittenAfter(writerSamples, timeline.stopRequestedAt, timeline.upAt);
    const readyDuring = (samples: typeof readyCached) =>
      samples.filter((sample) => sample.at >= timeline.downAt + 1_000 && sample.at < timeline.startRequestedAt);
    const lastWriter = writerSamples.at(-1)?.value;

    const checks = new Checks();
    checks.add(
      "same processes throughout (no crash)",
      "pids unchanged, alive",
      `${cached.pid()}, ${uncached.pid()}`,
      cached.pid() === pids.cached && uncached.pid() === pids.uncached && cached.alive() && uncached.alive(),
    );
    checks.equal("cache on: requests during the outage that failed", cachedDuring.filter((r) => !expected(r)).length, 0);
    checks.atLeast("cache on: send-log rows buffered at the peak of the outage", peakBuffered, 1);
    checks.atLeast("cache on: send-log flushes retried while PostgreSQL was away", lastWriter?.unavailableFlushes ?? 0, 1);
    checks.atMost("cache on: buffered backlog written after PostgreSQL returns", flushedAfterMs, WRITER_RETRY_CAP_MS + 1_000, " ms");
    checks.equal("accepted sends without a delivered send-log row (lost)", lost.length, 0);
    checks.equal("send-log rows = jobs delivered to the provider", rows.size, deliveredJobs);
    checks.equal(
      "cache off: requests during the outage answered 503 problem+json",
      uncached503.filter(isProblem).length,
      uncachedDuring.length,
    );
    checks.atMost(
      "cache off: p99 of the 503 answers",
      round(
        percentile(
          uncached503.map((r) => r.ms),
          99,
        ),
      ),
      CONNECT_TIMEOUT_MS + 500,
      " ms",
    );
    for (const [name, samples] of [
      ["cache on", readyCached],
      ["cache off", readyUncached],
    ] as const) {
      const during = readyDuring(samples);
      checks.add(
        `${name}: /ready 503 throughout the outage`,
        "all 503",
        countBy(during, (s) => s.value.ready),
        during.length > 0 && during.every((s) => s.value.ready === 503),
      );
      checks.atMost(
        `${name}: /ready 200 again after PostgreSQL returns`,
        firstSampleAfter(samples, timeline.upAt, (v) => v.ready === 200),
        RECOVERY_GOAL_MS,
        " ms",
      );
    }
    const uncachedRecovery = sustainedRecoveryMs(
      startedBetween(uncachedRun.results, timeline.upAt, Number.POSITIVE_INFINITY),
      timeline.upAt,
      expected,
    );
    checks.atMost("cache off: requests all succeed again after PostgreSQL returns", uncachedRecovery, RECOVERY_GOAL_MS, " ms");
    const unexpected = [...cachedRun.results, ...uncachedRun.results].filter((r) => !expected(r) && r.status !== 503);
    checks.equal("answers other than the expected 200/422 or 503", unexpected.length, 0);

    return {
      figures: {
        rate,
        outageS: round((timeline.startRequestedAt - timeline.downAt) / 1000, 1),
        cacheOn: {
          requests: cachedRun.results.length,
          requestsDuringOutage: cachedDuring.length,
          statusesDuringOutage: countBy(cachedDuring, (r) => r.status),
          p99DuringOutageMs: round(
            percentile(
              cachedDuring.map((r) => r.ms),
              99,
            ),
          ),
          readyFalseAfterMs: firstSampleAfter(readyCached, timeline.stopRequestedAt, (v) => v.ready === 503),
          readyBackAfterMs: firstSampleAfter(readyCached, timeline.upAt, (v) => v.ready === 200),
        },
        cacheOff: {
          requests: uncachedRun.results.length,
          requestsDuringOutage: uncachedDuring.length,
          statusesDuringOutage: countBy(uncachedDuring, (r) => r.status),
          p99_503Ms: round(
            percentile(
              uncached503.map((r) => r.ms),
              99,
            ),
          ),
          max503Ms: round(
            percentile(
              uncached503.map((r) => r.ms),
              100,
            ),
          ),
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
        sendsAccepted: ids.length,
        lost: lost.length,
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
