// The delivery decisions (retry until the code expires, outcomes, what is recorded, acknowledged and
// dead-lettered) against in-memory fakes of the ports: no Redis, PostgreSQL or HTTP.
import { describe, expect, it } from "vitest";
import { createJobHandler, type JobHandlerOptions } from "../../src/domain/sms-delivery/job-handler";
import { SmsProviderError } from "../../src/domain/sms-delivery/sms-provider-error";
import { createSmsWorker } from "../../src/domain/sms-delivery/sms-worker";
import { fakeMetrics, fakeQueue, fakeSendLog, keys, newJob, noTracing, queued, scriptedProvider, silentLogger } from "./delivery-fakes";

const unavailable = () => new SmsProviderError("provider answered 503", "http", true, 503);
const refused = () => new SmsProviderError("provider answered 400 Bad Request", "http", false, 400);

function setup(provider: ReturnType<typeof scriptedProvider>, overrides: Partial<JobHandlerOptions> = {}) {
  const queue = fakeQueue();
  const sendLog = fakeSendLog();
  const metrics = fakeMetrics();
  const stop = new AbortController();
  const handle = createJobHandler({
    queue,
    retry: { retryBaseMs: 1, retryMaxMs: 5 },
    keys,
    provider,
    sendLog,
    logger: silentLogger(),
    metrics,
    tracing: noTracing,
    stopSignal: stop.signal,
    random: () => 0.5,
    ...overrides,
  });
  let slotsFreed = 0;
  const run = (entry: ReturnType<typeof queued>) => handle(entry, () => (slotsFreed += 1));
  return { queue, sendLog, metrics, stop, run, slotsFreed: () => slotsFreed };
}

describe("SMS delivery decisions (unit)", () => {
  it("delivers on the first attempt: recorded as delivered, then acknowledged", async () => {
    const provider = scriptedProvider("msg-42");
    const { queue, sendLog, metrics, run, slotsFreed } = setup(provider);
    const job = newJob();
    const entry = queued(job);
    await run(entry);
    expect(provider.sent).toEqual([{ to: job.phone, from: job.senderId, text: job.text, reference: job.otpId, requestId: job.requestId }]);
    expect(sendLog.records).toMatchObject([
      { otpId: job.otpId, status: "delivered", providerMessageId: "msg-42", attempts: 1, lastError: null },
    ]);
    expect(queue.acknowledged).toEqual([entry.id]);
    expect(queue.deadLetters).toEqual([]);
    expect(metrics.jobs).toEqual(["delivered"]);
    expect(metrics.attempts).toEqual(["ok"]);
    expect(slotsFreed()).toBe(1);
  });

  it("retries retryable failures and records the attempts it took", async () => {
    const provider = scriptedProvider(unavailable(), new Error("socket hang up"), "msg-3");
    const { sendLog, metrics, run } = setup(provider);
    await run(queued(newJob()));
    expect(sendLog.records).toMatchObject([{ status: "delivered", attempts: 3 }]);
    expect(metrics.attempts).toEqual(["retryable_error", "retryable_error", "ok"]);
    expect(metrics.jobs).toEqual(["retried", "retried", "delivered"]);
  });

  it("does not retry a permanent refusal: rejected, dead-lettered before it is recorded, acknowledged", async () => {
    const provider = scriptedProvider(refused());
    const { queue, sendLog, metrics, run } = setup(provider);
    const entry = queued(newJob());
    await run(entry);
    expect(provider.sent).toHaveLength(1);
    expect(queue.deadLetters).toEqual([{ id: entry.id, outcome: "rejected", error: "provider answered 400 Bad Request", attempts: 1 }]);
    expect(sendLog.records).toMatchObject([{ status: "rejected", attempts: 1, lastError: "provider answered 400 Bad Request" }]);
    expect(queue.acknowledged).toEqual([entry.id]);
    expect(metrics.attempts).toEqual(["permanent_error"]);
    expect(metrics.jobs).toEqual(["rejected"]);
  });

  it("retries until the code expires, then finishes the job as expired_undelivered", async () => {
    const provider = scriptedProvider(unavailable());
    const { queue, sendLog, metrics, run } = setup(provider);
    const entry = queued(newJob({ expiresAt: Date.now() + 150 }));
    await run(entry);
    const attempts = provider.sent.length;
    expect(attempts).toBeGreaterThan(3);
    expect(queue.deadLetters).toEqual([{ id: entry.id, outcome: "expired_undelivered", error: "provider answered 503", attempts }]);
    expect(sendLog.records).toMatchObject([{ status: "expired_undelivered", attempts, lastError: "provider answered 503" }]);
    expect(metrics.jobs.filter((outcome) => outcome === "retried")).toHaveLength(attempts - 1);
    expect(metrics.jobs.at(-1)).toBe("expired_undelivered");
    expect(queue.acknowledged).toEqual([entry.id]);
  });

  it("gives up at once when the next allowed attempt (Retry-After) would come after the code expires", async () => {
    const provider = scriptedProvider(new SmsProviderError("provider answered 429", "http", true, 429, 60_000));
    const { sendLog, run } = setup(provider, { retry: { retryBaseMs: 1, retryMaxMs: 30_000 } });
    const started = performance.now();
    await run(queued(newJob({ expiresAt: Date.now() + 5_000 })));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(provider.sent).toHaveLength(1);
    expect(sendLog.records).toMatchObject([{ status: "expired_undelivered", attempts: 1 }]);
  });

  it("does not send a job whose code expired before it was read", async () => {
    const provider = scriptedProvider("msg-1");
    const { queue, sendLog, run } = setup(provider);
    await run(queued(newJob({ expiresAt: Date.now() - 1 })));
    expect(provider.sent).toEqual([]);
    expect(sendLog.records).toMatchObject([{ status: "expired_undelivered", attempts: 0 }]);
    expect(queue.deadLetters).toMatchObject([{ outcome: "expired_undelivered", attempts: 0 }]);
  });

  it("dead-letters a job that cannot be opened, records it, and takes it off the queue", async () => {
    const provider = scriptedProvider("msg-1");
    const { queue, sendLog, metrics, run } = setup(provider);
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
    const provider = scriptedProvider("msg-1");
    const { queue, sendLog, metrics, run } = setup(provider);
    sendLog.fail = true;
    await run(queued(newJob()));
    expect(provider.sent).toHaveLength(1);
    expect(queue.acknowledged).toEqual([]);
    expect(metrics.jobs).toEqual([]);
  });

  it("leaves the job pending when the queue fails to acknowledge it", async () => {
    const { queue, sendLog, metrics, run, slotsFreed } = setup(scriptedProvider("msg-1"));
    queue.failAcknowledge = true;
    await run(queued(newJob()));
    expect(sendLog.records).toHaveLength(1);
    expect(metrics.jobs).toEqual([]);
    expect(slotsFreed()).toBe(1);
  });

  it("abandons a job waiting to retry when the worker stops: not recorded, not acknowledged, not dead-lettered", async () => {
    const provider = scriptedProvider(unavailable());
    const { queue, sendLog, stop, run } = setup(provider, { retry: { retryBaseMs: 10_000, retryMaxMs: 10_000 } });
    const done = run(queued(newJob()));
    setTimeout(() => stop.abort(), 20);
    const started = performance.now();
    await done;
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(provider.sent).toHaveLength(1);
    expect(sendLog.records).toEqual([]);
    expect(queue.acknowledged).toEqual([]);
    expect(queue.deadLetters).toEqual([]);
  });
});

describe("SMS worker loop (unit)", () => {
  it("delivers every queued and abandoned job with at most `concurrency` sends at once, then stops clean", async () => {
    const jobs = Array.from({ length: 30 }, () => queued(newJob()));
    const abandoned = Array.from({ length: 5 }, () => queued(newJob()));
    const queue = fakeQueue(jobs);
    queue.abandoned.push(...abandoned);
    const sendLog = fakeSendLog();
    const metrics = fakeMetrics();
    let sending = 0;
    let mostAtOnce = 0;
    const worker = createSmsWorker({
      queue,
      settings: { concurrency: 4, reclaimIntervalMs: 10, retryBaseMs: 1, retryMaxMs: 5 },
      keys,
      provider: {
        async send(message) {
          sending += 1;
          mostAtOnce = Math.max(mostAtOnce, sending);
          await new Promise((resolve) => setTimeout(resolve, 2));
          sending -= 1;
          return { messageId: `msg-${message.reference}` };
        },
      },
      sendLog,
      logger: silentLogger(),
      metrics,
      tracing: noTracing,
    });
    await worker.start();
    await expect.poll(() => queue.acknowledged.length, { timeout: 5_000, interval: 5 }).toBe(35);
    await worker.stop();
    expect(mostAtOnce).toBeLessThanOrEqual(4);
    expect(new Set(queue.acknowledged)).toEqual(new Set([...jobs, ...abandoned].map((job) => job.id)));
    expect(sendLog.records.every((record) => record.status === "delivered")).toBe(true);
    expect(metrics.jobs.filter((outcome) => outcome === "reclaimed")).toHaveLength(5);
    expect(metrics.inFlightNow).toBe(0);
    expect(queue.pending.size).toBe(0);
  });
});
