// The delivery decisions (retry until the code expires, outcomes, what is recorded, acknowledged and
// dead-lettered) against in-memory fakes of the ports and a fake clock: no Redis, PostgreSQL, HTTP or waiting.
import { describe, expect, it } from "vitest";
import { createJobHandler, type JobHandlerOptions } from "../../src/domain/sms-delivery/job-handler";
import { SmsProviderError } from "../../src/domain/sms-delivery/sms-provider-error";
import { createSmsWorker } from "../../src/domain/sms-delivery/sms-worker";
import { fakeMetrics, fakeQueue, fakeSendLog, keys, newJob, noTracing, queued, scriptedProvider, silentLogger } from "./delivery-fakes";
import { fakeClock, runToEnd, runUntil, T0 } from "./fake-clock";

const unavailable = () => new SmsProviderError("provider answered 503", "http", true, 503);
const refused = () => new SmsProviderError("provider answered 400 Bad Request", "http", false, 400);
const throttled = (retryAfterMs: number) => new SmsProviderError("provider answered 429", "http", true, 429, retryAfterMs);

/** Offsets from T0. */
const since = (times: number[]) => times.map((time) => time - T0);

function setup(results: Array<string | Error>, overrides: Partial<JobHandlerOptions> = {}) {
  const clock = fakeClock();
  const provider = scriptedProvider(clock, ...results);
  const queue = fakeQueue(clock);
  const sendLog = fakeSendLog();
  const metrics = fakeMetrics();
  const stop = new AbortController();
  const handle = createJobHandler({
    queue,
    // With random() = 0.5 the waits are 500, 1 000, 2 000, 2 000, … ms.
    retry: { retryBaseMs: 1_000, retryMaxMs: 4_000 },
    keys,
    provider,
    sendLog,
    logger: silentLogger(),
    metrics,
    tracing: noTracing,
    clock,
    stopSignal: stop.signal,
    random: () => 0.5,
    ...overrides,
  });
  let slotsFreed = 0;
  const start = (entry: ReturnType<typeof queued>) => handle(entry, () => (slotsFreed += 1));
  const run = (entry: ReturnType<typeof queued>) => runToEnd(clock, start(entry));
  return { clock, provider, queue, sendLog, metrics, stop, start, run, slotsFreed: () => slotsFreed };
}

describe("SMS delivery decisions (unit)", () => {
  it("delivers on the first attempt: recorded as delivered, then acknowledged", async () => {
    const { provider, queue, sendLog, metrics, run, slotsFreed } = setup(["msg-42"]);
    const job = newJob();
    const entry = queued(job);
    await run(entry);
    expect(provider.sent).toEqual([{ to: job.phone, from: job.senderId, text: job.text, reference: job.otpId, requestId: job.requestId }]);
    expect(sendLog.records).toMatchObject([
      { otpId: job.otpId, status: "delivered", providerMessageId: "msg-42", attempts: 1, lastError: null, completedAt: new Date(T0) },
    ]);
    expect(queue.acknowledged).toEqual([entry.id]);
    expect(queue.deadLetters).toEqual([]);
    expect(metrics.jobs).toEqual(["delivered"]);
    expect(metrics.attempts).toEqual(["ok"]);
    expect(slotsFreed()).toBe(1);
  });

  it("retries through an outage longer than any fixed attempt budget, at the backed-off times, and is delivered when it ends", async () => {
    const outage = Array.from({ length: 8 }, (_, i) => (i % 2 ? new Error("socket hang up") : unavailable()));
    const { clock, provider, sendLog, metrics, run } = setup([...outage, "msg-9"]);
    await run(queued(newJob()));
    // Full jitter at 0.5 of a ceiling that doubles from 1 s up to the 4 s cap.
    expect(since(provider.sentAt)).toEqual([0, 500, 1_500, 3_500, 5_500, 7_500, 9_500, 11_500, 13_500]);
    expect(sendLog.records).toMatchObject([{ status: "delivered", attempts: 9, completedAt: new Date(clock.now()) }]);
    expect(metrics.attempts).toEqual([...Array(8).fill("retryable_error"), "ok"]);
    expect(metrics.jobs).toEqual([...Array(8).fill("retried"), "delivered"]);
  });

  it("waits as long as the provider's Retry-After when that is longer than the back-off, capped at retryMaxMs", async () => {
    const { provider, sendLog, run } = setup([throttled(3_000), throttled(60_000), "msg-3"], {
      retry: { retryBaseMs: 1_000, retryMaxMs: 30_000 },
    });
    await run(queued(newJob()));
    expect(since(provider.sentAt)).toEqual([0, 3_000, 33_000]);
    expect(sendLog.records).toMatchObject([{ status: "delivered", attempts: 3 }]);
  });

  it("does not retry a permanent refusal: rejected, dead-lettered before it is recorded, acknowledged", async () => {
    const { provider, queue, sendLog, metrics, run } = setup([refused()]);
    const entry = queued(newJob());
    await run(entry);
    expect(provider.sent).toHaveLength(1);
    expect(queue.deadLetters).toEqual([{ id: entry.id, outcome: "rejected", error: "provider answered 400 Bad Request", attempts: 1 }]);
    expect(sendLog.records).toMatchObject([{ status: "rejected", attempts: 1, lastError: "provider answered 400 Bad Request" }]);
    expect(queue.acknowledged).toEqual([entry.id]);
    expect(metrics.attempts).toEqual(["permanent_error"]);
    expect(metrics.jobs).toEqual(["rejected"]);
  });

  it("retries until the code expires: the attempt that would start at its expiry is not made, the job ends expired_undelivered", async () => {
    const { clock, provider, queue, sendLog, metrics, run } = setup([unavailable()]);
    const entry = queued(newJob({ expiresAt: T0 + 9_500 }));
    await run(entry);
    expect(since(provider.sentAt)).toEqual([0, 500, 1_500, 3_500, 5_500, 7_500]);
    // Given up when the sixth attempt failed, without waiting for the expiry.
    expect(clock.now()).toBe(T0 + 7_500);
    expect(queue.deadLetters).toEqual([{ id: entry.id, outcome: "expired_undelivered", error: "provider answered 503", attempts: 6 }]);
    expect(sendLog.records).toMatchObject([
      { status: "expired_undelivered", attempts: 6, lastError: "provider answered 503", completedAt: new Date(T0 + 7_500) },
    ]);
    expect(metrics.jobs).toEqual([...Array(5).fill("retried"), "expired_undelivered"]);
    expect(queue.acknowledged).toEqual([entry.id]);
  });

  it("gives up at once when the next allowed attempt (Retry-After) would come after the code expires", async () => {
    const { clock, provider, sendLog, run } = setup([throttled(60_000)], { retry: { retryBaseMs: 1, retryMaxMs: 30_000 } });
    await run(queued(newJob({ expiresAt: T0 + 5_000 })));
    expect(clock.now()).toBe(T0);
    expect(provider.sent).toHaveLength(1);
    expect(sendLog.records).toMatchObject([{ status: "expired_undelivered", attempts: 1 }]);
  });

  it("does not send a job whose code expires as it is read", async () => {
    const { provider, queue, sendLog, metrics, run } = setup(["msg-1"]);
    await run(queued(newJob({ expiresAt: T0 })));
    expect(provider.sent).toEqual([]);
    expect(sendLog.records).toMatchObject([
      { status: "expired_undelivered", attempts: 0, lastError: "the code expired before the first attempt" },
    ]);
    expect(queue.deadLetters).toMatchObject([{ outcome: "expired_undelivered", attempts: 0 }]);
    expect(metrics.jobs).toEqual(["expired_undelivered"]);
  });

  it("dead-letters a job that cannot be opened, records it, and takes it off the queue", async () => {
    const { provider, queue, sendLog, metrics, run } = setup(["msg-1"]);
    const entry = queued(newJob());
    entry.fields = { ...entry.fields, sealed: "not-a-sealed-payload" };
    await run(entry);
    expect(provider.sent).toEqual([]);
    expect(queue.deadLetters).toEqual([
      { id: entry.id, outcome: "dead_lettered", error: "corrupt job: sealed payload cannot be opened", attempts: 0 },
    ]);
    expect(sendLog.records).toMatchObject([{ status: "dead_lettered", attempts: 1 }]);
    expect(queue.acknowledged).toEqual([entry.id]);
    expect(metrics.jobs).toEqual(["dead_lettered"]);
  });

  it("leaves the job pending when its outcome cannot be recorded", async () => {
    const { provider, queue, sendLog, metrics, run } = setup(["msg-1"]);
    sendLog.fail = true;
    await run(queued(newJob()));
    expect(provider.sent).toHaveLength(1);
    expect(queue.acknowledged).toEqual([]);
    expect(metrics.jobs).toEqual([]);
  });

  it("leaves the job pending when the queue fails to acknowledge it", async () => {
    const { queue, sendLog, metrics, run, slotsFreed } = setup(["msg-1"]);
    queue.failAcknowledge = true;
    await run(queued(newJob()));
    expect(sendLog.records).toHaveLength(1);
    expect(metrics.jobs).toEqual([]);
    expect(slotsFreed()).toBe(1);
  });

  it("abandons a job waiting to retry when the worker stops: not recorded, not acknowledged, not dead-lettered", async () => {
    const { clock, provider, queue, sendLog, stop, start } = setup([unavailable()], { retry: { retryBaseMs: 10_000, retryMaxMs: 10_000 } });
    const done = start(queued(newJob()));
    await clock.settle();
    expect(clock.wakeTimes()).toEqual([T0 + 5_000]);
    stop.abort();
    await done;
    expect(clock.now()).toBe(T0);
    expect(clock.wakeTimes()).toEqual([]);
    expect(provider.sent).toHaveLength(1);
    expect(sendLog.records).toEqual([]);
    expect(queue.acknowledged).toEqual([]);
    expect(queue.deadLetters).toEqual([]);
  });
});

describe("SMS worker loop (unit)", () => {
  function worker(queue: ReturnType<typeof fakeQueue>, clock: ReturnType<typeof fakeClock>, sendMs: number) {
    const sendLog = fakeSendLog();
    const metrics = fakeMetrics();
    const sending = { now: 0, mostAtOnce: 0 };
    const created = createSmsWorker({
      queue,
      settings: { concurrency: 4, reclaimIntervalMs: 1_000, retryBaseMs: 1, retryMaxMs: 5 },
      keys,
      provider: {
        async send(message) {
          sending.now += 1;
          sending.mostAtOnce = Math.max(sending.mostAtOnce, sending.now);
          await clock.sleep(sendMs);
          sending.now -= 1;
          return { messageId: `msg-${message.reference}` };
        },
      },
      sendLog,
      logger: silentLogger(),
      metrics,
      tracing: noTracing,
      clock,
    });
    return { worker: created, sendLog, metrics, sending };
  }

  it("delivers every queued and abandoned job with `concurrency` sends at once, then stops clean", async () => {
    const clock = fakeClock();
    const jobs = Array.from({ length: 30 }, () => queued(newJob()));
    const abandoned = Array.from({ length: 5 }, () => queued(newJob()));
    const queue = fakeQueue(clock, jobs);
    queue.abandoned.push(...abandoned);
    const { worker: smsWorker, sendLog, metrics, sending } = worker(queue, clock, 2);
    await smsWorker.start();
    await runUntil(clock, () => queue.acknowledged.length === 35);
    await smsWorker.stop();
    expect(sending.mostAtOnce).toBe(4);
    expect(new Set(queue.acknowledged)).toEqual(new Set([...jobs, ...abandoned].map((job) => job.id)));
    expect(sendLog.records.every((record) => record.status === "delivered")).toBe(true);
    expect(metrics.jobs.filter((outcome) => outcome === "reclaimed")).toHaveLength(5);
    expect(metrics.inFlightNow).toBe(0);
    expect(queue.pending.size).toBe(0);
  });

  it("looks for abandoned jobs at start and then every reclaimIntervalMs, and stops looking when stopped", async () => {
    const clock = fakeClock();
    const queue = fakeQueue(clock);
    const { worker: smsWorker } = worker(queue, clock, 0);
    await smsWorker.start();
    await runUntil(clock, () => clock.now() >= T0 + 1_500);
    const stale = queued(newJob());
    queue.abandoned.push(stale);
    await runUntil(clock, () => queue.acknowledged.length === 1);
    expect(clock.now()).toBe(T0 + 2_000);
    expect(since(queue.claimedAt)).toEqual([0, 1_000, 2_000]);
    await smsWorker.stop();
    expect(clock.wakeTimes()).toEqual([]);
    expect(queue.acknowledged).toEqual([stale.id]);
  });
});
