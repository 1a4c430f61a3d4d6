// Rolling restart behind HAProxy under steady traffic: zero failed requests, every accepted OTP delivered.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { waitFor } from "@otp-lab/local-stack/wait";
import { sendLogRows } from "../lib/delivery-state.ts";
import { countBy, percentile, round } from "../lib/figures.ts";
import { startHaproxy } from "../lib/haproxy.ts";
import { readK6Csv, readK6Summary, startK6 } from "../lib/k6.ts";
import { epochMs } from "../lib/otp-client.ts";
import { Checks, type Scenario } from "../lib/scenario.ts";
import { metric, scrape } from "../lib/service-metrics.ts";
import { startStack } from "../lib/stack.ts";

const CHECK_INTERVAL_MS = 500;
/** At least twice the check interval: HAProxy must see /ready 503 and stop routing before the listener closes. */
const DRAIN_DELAY_MS = 4 * CHECK_INTERVAL_MS;
/** A generous upper bound of one instance's restart (drain, exit, start, ready, two good checks). */
const RESTART_BUDGET_S = 8;
const SERVICE_NAMES = new Set(["otp-send", "otp-verify"]);

interface Restart {
  instance: string;
  round: number;
  sigtermAt: number;
  /** SIGTERM → HAProxy reports the server DOWN. */
  haproxyDownAfterMs: number | null;
  /** SIGTERM → the process exited. */
  exitAfterMs: number;
  exitCode: number | null;
  /** Exit → the new process answers /ready 200. */
  readyAfterMs: number;
  /** /ready 200 → HAProxy reports the server UP again (rise 2). */
  haproxyUpAfterMs: number;
  upAt: number;
}

export const rollingRestart: Scenario = {
  name: "rolling-restart",
  summary:
    "two instances behind HAProxy, restarted one after the other under steady send+verify load: 0 failed requests, every OTP delivered",
  async run({ workDir, cleanup, size, log }) {
    const rounds = size(1, 2);
    const rate = size(15, 30);
    const warmupS = size(4, 15);
    const pauseS = size(2, 8);
    const tailS = size(4, 15);
    const durationS = warmupS + rounds * 2 * (RESTART_BUDGET_S + pauseS) + tailS;

    const stack = await startStack({ dir: workDir, cleanup, mockSms: { latencyMs: 20 } });
    const tenants = stack.seed("rr", 3);
    const tenantsFile = join(workDir, "tenants-rr.json");
    const env = {
      SHUTDOWN_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
      SHUTDOWN_TIMEOUT_MS: "10000",
      ACCESS_LOG_ENABLED: "false",
      SMS_WORKER_CONCURRENCY: "32",
    };
    const instances = [await stack.startService({ name: "a", env }), await stack.startService({ name: "b", env })];
    const haproxy = await startHaproxy({
      dir: workDir,
      cleanup,
      servers: instances.map((instance) => ({ name: instance.name, port: instance.port })),
      checkIntervalMs: CHECK_INTERVAL_MS,
    });
    for (const instance of instances) await haproxy.waitForStatus(instance.name, "UP");
    log(`${tenants.length} tenants, instances a:${instances[0]?.port} b:${instances[1]?.port}, HAProxy ${haproxy.url}`);

    log(`k6: ${rate} journeys/s for ${durationS} s; ${rounds} round(s) of restarts after ${warmupS} s`);
    const k6 = startK6({
      dir: workDir,
      cleanup,
      script: "otp-journeys.ts",
      env: {
        BASE_URL: haproxy.url,
        SMS_URL: stack.mockSmsUrl,
        TENANTS_FILE: tenantsFile,
        RATE: String(rate),
        DURATION_S: String(durationS),
      },
    });
    const loadStarted = epochMs();
    let k6Exited = false;
    k6.process.exited.then(() => {
      k6Exited = true;
    });
    await sleep(warmupS * 1000);

    const restarts: Restart[] = [];
    for (let round = 1; round <= rounds && !k6Exited; round++) {
      for (const instance of instances) {
        if (k6Exited) break;
        const sigtermAt = epochMs();
        const down = haproxy
          .waitForStatus(instance.name, "DOWN", 15_000)
          .then((ms) => ms)
          .catch(() => null);
        const exitCode = await instance.stop("SIGTERM", 30_000);
        const exitedAt = epochMs();
        await instance.start();
        const readyAt = epochMs();
        await haproxy.waitForStatus(instance.name, "UP", 15_000);
        const upAt = epochMs();
        const restart: Restart = {
          instance: instance.name,
          round,
          sigtermAt,
          haproxyDownAfterMs: await down,
          exitAfterMs: Math.round(exitedAt - sigtermAt),
          exitCode,
          readyAfterMs: Math.round(readyAt - exitedAt),
          haproxyUpAfterMs: Math.round(upAt - readyAt),
          upAt,
        };
        restarts.push(restart);
        log(
          `restarted ${instance.name}: HAProxy DOWN after ${restart.haproxyDownAfterMs} ms, exit ${exitCode} after ${restart.exitAfterMs} ms, ready ${restart.readyAfterMs} ms later, UP in HAProxy ${restart.haproxyUpAfterMs} ms after that`,
        );
        await sleep(pauseS * 1000);
      }
    }
    const restartsDoneWhileLoaded = !k6Exited;
    log("waiting for k6 to finish");
    const k6Exit = await k6.process.exited;

    // Everything accepted must reach the provider and the send log once the queue drains.
    const summary = readK6Summary<Record<string, number>>(k6);
    const accepted = summary.accepted ?? 0;
    let rows = await sendLogRows(stack.db);
    // A queue still not drained after 30 s shows in the checks below, with its counts.
    await waitFor(
      "the queue drained into the send log",
      async () => {
        const backlog = await stack.streamBacklog();
        rows = await sendLogRows(stack.db);
        return backlog.length === 0 && backlog.pending === 0 && rows.length >= accepted;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    ).catch(() => undefined);
    const sms = await stack.smsStats();
    const delivered = rows.filter((row) => row.status === "delivered").length;
    const serverStats = await haproxy.servers();
    const frontend = await haproxy.frontend();
    let sendLogDuplicates = 0;
    for (const instance of instances) sendLogDuplicates += metric(await scrape(instance.url), "send_log_duplicate_outcomes_total");

    const samples = readK6Csv(k6.csvFile, ["http_req_duration", "http_req_failed"]).filter((sample) => SERVICE_NAMES.has(sample.name));
    const durations = samples.filter((sample) => sample.metric === "http_req_duration");
    const failures = samples.filter((sample) => sample.metric === "http_req_failed" && sample.value === 1);
    const windowStart = restarts[0]?.sigtermAt ?? 0;
    const windowEnd = restarts.at(-1)?.upAt ?? 0;
    const during = durations.filter((sample) => sample.at >= windowStart && sample.at <= windowEnd).map((sample) => sample.value);
    const outside = durations.filter((sample) => sample.at < windowStart || sample.at > windowEnd).map((sample) => sample.value);
    const failedByStatus = countBy(failures, (failure) => failure.status || "no answer");
    writeFileSync(join(workDir, "restarts.json"), JSON.stringify(restarts, null, 2));

    const checks = new Checks();
    checks.equal("k6 ran to the end", k6Exit, 0);
    checks.add(
      "restarts completed while the load ran",
      `${rounds * 2}`,
      restarts.length,
      restarts.length === rounds * 2 && restartsDoneWhileLoaded,
    );
    checks.equal("failed requests (send + verify via HAProxy)", failures.length, 0);
    checks.add(
      "every SIGTERM exited 0 (graceful)",
      "all 0",
      restarts.map((restart) => restart.exitCode).join(","),
      restarts.every((restart) => restart.exitCode === 0),
    );
    checks.add(
      "HAProxy took each instance out before its listener closed",
      `DOWN < drain delay ${DRAIN_DELAY_MS} ms`,
      restarts.map((restart) => `${restart.haproxyDownAfterMs} ms`).join(", "),
      restarts.every((restart) => restart.haproxyDownAfterMs !== null && restart.haproxyDownAfterMs < DRAIN_DELAY_MS),
    );
    checks.equal("accepted OTPs with a 'delivered' send-log row", delivered, accepted);
    checks.equal("distinct OTPs the provider received", sms.accepted - sms.duplicates, accepted);
    checks.equal("journeys whose SMS arrived and whose code was not approved", summary.verifyRejected ?? 0, 0);

    return {
      figures: {
        rate,
        durationS: round((epochMs() - loadStarted) / 1000, 1),
        requests: durations.length,
        failed: failures.length,
        failedByStatus,
        p99Ms: round(
          percentile(
            durations.map((sample) => sample.value),
            99,
          ),
        ),
        p99DuringRestartsMs: round(percentile(during, 99)),
        maxDuringRestartsMs: round(percentile(during, 100)),
        p99OutsideRestartsMs: round(percentile(outside, 99)),
        requestsDuringRestarts: during.length,
        restartWindowS: round((windowEnd - windowStart) / 1000, 1),
        restarts: restarts.map(({ sigtermAt: _s, upAt: _u, ...rest }) => rest),
        journeys: summary.iterations ?? 0,
        droppedIterations: summary.droppedIterations ?? 0,
        otpsAccepted: accepted,
        otpsDelivered: delivered,
        otpsApproved: summary.approved ?? 0,
        smsNotSeenWithin15s: summary.smsNotSeen ?? 0,
        providerDuplicates: sms.duplicates,
        sendLogDuplicatesSinceLastRestart: sendLogDuplicates,
        haproxyRetries: serverStats.reduce((total, server) => total + server.retries, 0),
        haproxyRedispatches: serverStats.reduce((total, server) => total + server.redispatches, 0),
        haproxyFrontend5xx: frontend.http5xx,
      },
      checks: checks.list,
      notes: [
        `HAProxy checks GET /ready every ${CHECK_INTERVAL_MS} ms (fall 1, rise 2); the services drain for ${DRAIN_DELAY_MS} ms after SIGTERM, so /ready 503 takes an instance out before it stops accepting.`,
        "An instance is restarted only after HAProxy reports the previous one UP again (maxUnavailable 1, gated on readiness).",
        "Both instances run the SMS worker; a stopping worker finishes its in-flight jobs and flushes the send log before exit, and the other instance keeps consuming the stream.",
        "Not proven here: Kubernetes endpoint propagation (kube-proxy/ingress lag after readiness flips, which the drain delay must cover), preStop hooks, surge capacity, image pulls and node drains; HAProxy sees readiness directly, a Service sees it through the endpoints controller.",
      ],
    };
  },
};
