// A benchmark, not a test: 1,000 OtpTenant resources exist before the controller starts; from its cold
// start (process spawn) until all 1,000 are in PostgreSQL and Ready, how long, and how much memory the
// controller holds (VmRSS and peak VmHWM from /proc). Issue 12's targets: ≤ 30 s and ≤ 120 MiB.
// Run with `make bench-operator` (builds the service for its migrations, starts etcd + kube-apiserver
// and PostgreSQL in a temporary directory, removes it afterwards).
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate } from "@otp-lab/local-stack/app-cli";
import { kubeBinaries, startKubeApiServer } from "@otp-lab/local-stack/kube-apiserver";
import { freePort } from "@otp-lab/local-stack/ports";
import { createPostgres } from "@otp-lab/local-stack/postgres";
import type { ServiceProcess } from "@otp-lab/local-stack/service-process";
import { waitFor } from "@otp-lab/local-stack/wait";
import pg from "pg";
import { GENERATED_DIR } from "../src/generate-crds.ts";
import { GROUP, PLURAL, VERSION } from "../src/otp-tenant/schema.ts";
import { startController } from "../test/support/controller-process.ts";
import { createNamespace, installCrds, testKube } from "../test/support/kube.ts";

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
let operator: ServiceProcess | undefined;
try {
  migrate(postgres.url, { NODE_ENV: "test" });
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
  const logFile = join(dir, "operator.log");
  const controller = await startController({
    name: "otp-operator",
    kubeconfigPath: api.kubeconfigPath,
    databaseUrl: postgres.url,
    namespace: NAMESPACE,
    logFile,
    keepOutput: false,
    env: {
      LOG_LEVEL: "warn",
      // e.g. OPERATOR_NODE_OPTIONS=--max-old-space-size=96 to see how much of the RSS is uncollected garbage.
      NODE_OPTIONS: process.env.OPERATOR_NODE_OPTIONS ?? "",
    },
  });
  operator = controller;
  const pid = controller.pid() as number;
  let peakRss = 0;
  const waiting = {
    timeoutMs: 300_000,
    giveUpIf: () => (controller.alive() ? undefined : `the controller exited (log ${logFile})`),
  };
  await waitFor(
    `${COUNT} tenants in PostgreSQL`,
    async () => {
      peakRss = Math.max(peakRss, procStatus(pid, "VmRSS"));
      const { rows } = await db.query("SELECT count(*) FROM tenants WHERE managed_by LIKE $1", [`${NAMESPACE}/%`]);
      return Number(rows[0].count) >= COUNT;
    },
    waiting,
  );
  const toDatabase = (performance.now() - started) / 1000;
  // Ready means the status was written too: the last step of each reconcile.
  await waitFor(
    `${COUNT} tenants Ready`,
    async () => {
      peakRss = Math.max(peakRss, procStatus(pid, "VmRSS"));
      const list = (await kube.custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: NAMESPACE,
        plural: PLURAL,
      })) as {
        items: Array<{ status?: { conditions?: Array<{ type: string; status: string }> } }>;
      };
      return list.items.filter((t) => t.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length >= COUNT;
    },
    { ...waiting, intervalMs: 200 },
  );
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
  await operator?.stop("SIGTERM", 10_000);
  await postgres.stop();
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
}
