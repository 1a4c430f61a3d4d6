// The SMS worker killed with SIGKILL mid-batch: its unacknowledged jobs are reclaimed by the next
// worker, none is lost, and the duplicates this at-least-once delivery causes are counted.
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { ServiceProcess } from "@otp-lab/local-stack/service-process";
import { waitFor } from "@otp-lab/local-stack/wait";
import type { Redis } from "ioredis";
import { acceptedSends, settle } from "../lib/delivery.ts";
import { CONSUMER_GROUP, STREAM_KEY, sendLogRows } from "../lib/delivery-state.ts";
import { round } from "../lib/figures.ts";
import { openScenario } from "../lib/opening.ts";
import { Checks, type Scenario } from "../lib/scenario.ts";
import { sendBatch } from "../lib/send-load.ts";
import { metric, scrape } from "../lib/service-metrics.ts";

const CONCURRENCY = 8;
const PROVIDER_LATENCY_MS = 1_500;

interface Kill {
  worker: string;
  /** Jobs the killed consumer had read and not acknowledged. */
  pendingOwned: number;
  /** Messages the provider had accepted just after the kill (the batch in flight still lands later). */
  providerAcceptedAtKill: number;
  sendLogRowsAtKill: number;
}

export const workerKilled: Scenario = {
  name: "worker-killed",
  summary:
    "a separate SMS worker SIGKILLed mid-batch (slow provider): every job reclaimed by the next worker, none lost, duplicates counted",
  async run(context) {
    const { size, log } = context;
    const total = size(40, 120);
    const kills = size(1, 2);
    const { stack, tenant, service } = await openScenario(context, {
      tenant: "wk",
      stack: { mockSms: { latencyMs: PROVIDER_LATENCY_MS } },
      service: { name: "serve", env: { SMS_WORKER_ENABLED: "false" } },
    });
    const workerEnv = (reclaimIdleMs: number) => ({
      SMS_WORKER_CONCURRENCY: String(CONCURRENCY),
      SMS_RECLAIM_IDLE_MS: String(reclaimIdleMs),
      SMS_RECLAIM_INTERVAL_MS: "500",
      SEND_LOG_FLUSH_INTERVAL_MS: "200",
    });
    let worker: ServiceProcess = await stack.startService({ name: "worker-1", mode: "worker", env: workerEnv(30_000) });

    const batch = await sendBatch(context, service, tenant, { total, rate: 100, phonePrefix: "1553", ridPrefix: "wk" });
    const accepted = acceptedSends(batch.requests);
    log(`${accepted.length} OTPs queued; worker-1 delivers ${CONCURRENCY} at a time, ${PROVIDER_LATENCY_MS} ms each`);

    const killsDone: Kill[] = [];
    let reclaimedByKilled = 0;
    let duplicateOutcomesByKilled = 0;
    for (let k = 1; k <= kills; k++) {
      // Mid-batch: a first batch went through this worker, the next one is at the provider.
      const base = (await stack.smsStats()).received;
      await waitFor(`${worker.name} to finish a batch`, async () => (await stack.smsStats()).received >= base + CONCURRENCY, {
        timeoutMs: 30_000,
      });
      await sleep(PROVIDER_LATENCY_MS / 2);
      const metrics = await scrape(worker.url);
      reclaimedByKilled += metric(metrics, "sms_jobs_total", { outcome: "reclaimed" });
      duplicateOutcomesByKilled += metric(metrics, "send_log_duplicate_outcomes_total");
      const consumer = `${hostname()}-${worker.pid()}`;
      await worker.stop("SIGKILL", 1_000);
      const pendingOwned = await pendingOf(stack.redisClient, consumer);
      const kill: Kill = {
        worker: worker.name,
        pendingOwned,
        providerAcceptedAtKill: (await stack.smsStats()).accepted,
        sendLogRowsAtKill: (await sendLogRows(stack.db)).length,
      };
      killsDone.push(kill);
      log(`SIGKILL ${worker.name}: ${pendingOwned} jobs pending on its consumer ${consumer}`);
      worker = await stack.startService({ name: `worker-${k + 1}`, mode: "worker", env: workerEnv(1_000) });
    }
    const { rows, settledAfterMs } = await settle(stack, accepted, 60_000);
    const drainedAfterS = settledAfterMs === null ? null : round(settledAfterMs / 1000, 1);
    const finalMetrics = await scrape(worker.url);
    const reclaimed = reclaimedByKilled + metric(finalMetrics, "sms_jobs_total", { outcome: "reclaimed" });
    const duplicateOutcomes = duplicateOutcomesByKilled + metric(finalMetrics, "send_log_duplicate_outcomes_total");
    const sms = await stack.smsStats();
    const backlog = await stack.streamBacklog();
    const lost = accepted.filter((send) => rows.get(send.requestId)?.status !== "delivered");
    const pendingAtKills = killsDone.reduce((sum, kill) => sum + kill.pendingOwned, 0);

    const checks = new Checks();
    checks.equal("k6 ran to the end", batch.exit, 0);
    checks.equal("sends accepted", accepted.length, total);
    checks.add(
      "each kill left jobs in flight (mid-batch)",
      "> 0 pending per kill",
      killsDone.map((kill) => kill.pendingOwned).join(", "),
      killsDone.every((kill) => kill.pendingOwned > 0),
    );
    checks.atLeast("jobs reclaimed by a later worker (≥ pending at the kills)", reclaimed, pendingAtKills);
    checks.equal("stream empty, nothing pending at the end", `${backlog.length}/${backlog.pending}`, "0/0");
    checks.equal("accepted OTPs without a delivered send-log row (lost)", lost.length, 0);
    checks.equal("send-log rows", rows.size, accepted.length);
    checks.equal("distinct OTPs the provider received", sms.accepted - sms.duplicates, accepted.length);
    checks.atMost("provider duplicates (≤ jobs held by killed workers)", sms.duplicates, pendingAtKills);

    return {
      figures: {
        otps: accepted.length,
        kills: killsDone.length,
        killsDetail: killsDone.map((kill) => ({ ...kill })),
        pendingAtKills,
        reclaimed,
        delivered: [...rows.values()].filter((row) => row.status === "delivered").length,
        lost: lost.length,
        providerRequests: sms.received,
        providerDuplicates: sms.duplicates,
        sendLogDuplicateOutcomes: duplicateOutcomes,
        drainedAfterLastKillS: drainedAfterS,
      },
      checks: checks.list,
      notes: [
        `The serve instance runs with SMS_WORKER_ENABLED=false; workers run as \`main.js worker\` with concurrency ${CONCURRENCY} against a provider answering in ${PROVIDER_LATENCY_MS} ms, so a SIGKILL always lands while a batch is at the provider.`,
        "Replacement workers run with SMS_RECLAIM_IDLE_MS=1000: XAUTOCLAIM takes over entries the dead consumer read and never acknowledged once they have been idle that long.",
        "Delivery is at-least-once: a job is acknowledged only after its send-log row commits. A job the killed worker had already handed to the provider (the mock finishes a request whose client died) or already recorded but not acknowledged is sent again by its successor: the provider sees the same reference twice (providerDuplicates) and the send log merges the second outcome into the row (sendLogDuplicateOutcomes). Each SMS carries Idempotency-Key = OTP id, so a provider honouring it drops the repeat; the mock counts it instead.",
      ],
    };
  },
};

async function pendingOf(redis: Redis, consumer: string): Promise<number> {
  const summary = (await redis.xpending(STREAM_KEY, CONSUMER_GROUP)) as [
    number,
    string | null,
    string | null,
    Array<[string, string]> | null,
  ];
  const owned = summary[3]?.find(([name]) => name === consumer);
  return owned ? Number(owned[1]) : 0;
}
