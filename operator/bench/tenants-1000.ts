// A benchmark, not a test: 1,000 OtpTenant resources exist before the controller starts; from its cold
// start (process spawn) until all 1,000 are in PostgreSQL and Ready, how long, and how much memory the
// controller holds (VmRSS and peak VmHWM from /proc). Issue 12's targets: ≤ 30 s and ≤ 120 MiB.
// Run with `make bench-operator` (builds the service for its migrations, starts etcd + kube-apiserver
// and PostgreSQL in a temporary directory, removes it afterwards).
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { kubeBinaries, startKubeApiServer } from "@otp-lab/local-stack/kube-apiserver";
import { freePort } from "@otp-lab/local-stack/ports";
import { createPostgres } from "@otp-lab/local-stack/postgres";
import pg from "pg";
import { GENERATED_DIR } from "../src/generate-crds.ts";
import { GROUP, PLURAL, VERSION } from "../src/otp-tenant/schema.ts";
import { createNamespace, installCrds, testKube } from "../test/support/kube.ts";
import { APP_MAIN, OPERATOR_MAIN } from "../test/support/paths.ts";

const COUNT = Number(process.env.BENCH_TENANTS ?? 1000);
const NAMESPACE = "bench";

function procStatus(pid: number, field: "VmRSS" | "VmHWM"): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  return Number(line?.[1] ?? 0) / 1024;
}

const dir = mkdtempSync(join(tmpdir(), "otp-lab-bench-operator-"));
chmodSync(dir, 0o755);
mkdirSync(join(dir, "kube"));
const api = await startKubeApiServer({ dir: join(dir, "kube"), binaries: kubeBinaries() });
const postgres = await createPostgres({ dir, port: await freePort() });
let operator: ReturnType<typeof spawn> | undefined;
try {
  execFileSync(process.execPath, [APP_MAIN, "migrate"], {
    env: { ...process.env, NODE_ENV: "test", DATABASE_URL: postgres.url, LOG_LEVEL: "warn" },
  });
  const kube = testKube(api.kubeconfigPath);
  await installCrds(kube, GENERATED_DIR);
  await createNamespace(kube, NAMESPACE);
  const names = Array.from({ length: COUNT }, (_, i) => `tenant-${String(i + 1).padStart(4, "0")}`);
  for (let i = 0; i < names.length; i += 20) {
    await Promise.all(
      names.slice(i, i + 20).map((name) =>
        kube.custom.createNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: NAMESPACE,
          plural: PLURAL,
          body: { apiVersion: `${GROUP}/${VERSION}`, kind: "OtpTenant", metadata: { name }, spec: { senderId: "BENCH" } },
        }),
      ),
    );
  }
  process.stdout.write(`${COUNT} OtpTenants created; starting the controller cold\n`);

  const db = new pg.Pool({ connectionString: postgres.url, max: 1 });
  const started = performance.now();
  operator = spawn(process.execPath, [OPERATOR_MAIN], {
    env: {
      PATH: process.env.PATH ?? "",
      KUBECONFIG: api.kubeconfigPath,
      DATABASE_URL: postgres.url,
      WATCH_NAMESPACE: NAMESPACE,
      METRICS_HOST: "127.0.0.1",
      METRICS_PORT: String(await freePort()),
      LOG_LEVEL: "warn",
      // e.g. OPERATOR_NODE_OPTIONS=--max-old-space-size=96 to see how much of the RSS is uncollected garbage.
      NODE_OPTIONS: process.env.OPERATOR_NODE_OPTIONS ?? "",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const pid = operator.pid as number;
  let inDatabase = 0;
  let peakRss = 0;
  while (inDatabase < COUNT) {
    if (performance.now() - started > 300_000) throw new Error(`only ${inDatabase}/${COUNT} tenants after 300 s`);
    await sleep(100);
    peakRss = Math.max(peakRss, procStatus(pid, "VmRSS"));
    inDatabase = Number((await db.query("SELECT count(*) FROM tenants WHERE managed_by LIKE $1", [`${NAMESPACE}/%`])).rows[0].count);
  }
  const toDatabase = (performance.now() - started) / 1000;
  // Ready means the status was written too: the last step of each reconcile.
  let ready = 0;
  while (ready < COUNT) {
    await sleep(200);
    const list = (await kube.custom.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NAMESPACE,
      plural: PLURAL,
    })) as {
      items: Array<{ status?: { conditions?: Array<{ type: string; status: string }> } }>;
    };
    ready = list.items.filter((t) => t.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length;
    peakRss = Math.max(peakRss, procStatus(pid, "VmRSS"));
  }
  const toReady = (performance.now() - started) / 1000;
  const rss = procStatus(pid, "VmRSS");
  const hwm = procStatus(pid, "VmHWM");
  await db.end();
  const result = {
    tenants: COUNT,
    secondsUntilAllInPostgres: Number(toDatabase.toFixed(1)),
    secondsUntilAllReady: Number(toReady.toFixed(1)),
    rssMiBAfter: Number(rss.toFixed(1)),
    rssMiBPeakSampled: Number(peakRss.toFixed(1)),
    vmHwmMiB: Number(hwm.toFixed(1)),
    targets: { seconds: 30, rssMiB: 120 },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `cold start → ${COUNT} tenants in PostgreSQL: ${result.secondsUntilAllInPostgres} s (all Ready: ${result.secondsUntilAllReady} s); controller RSS ${result.rssMiBAfter} MiB, peak ${result.vmHwmMiB} MiB\n`,
  );
} finally {
  operator?.kill("SIGTERM");
  await postgres.stop();
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
}
