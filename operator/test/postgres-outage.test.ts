// PostgreSQL stopped under the controller: the resource goes Degraded (reason DatabaseUnavailable) with
// a Warning Event, the controller retries with backoff, and when PostgreSQL is back the tenant is
// written and Ready — nothing lost. A PostgreSQL of its own, so the other files are not disturbed.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate } from "@otp-lab/local-stack/app-cli";
import { freePort } from "@otp-lab/local-stack/ports";
import { createPostgres, type PostgresServer } from "@otp-lab/local-stack/postgres";
import type { ServiceProcess } from "@otp-lab/local-stack/service-process";
import { waitFor } from "@otp-lab/local-stack/wait";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createNamespace, testKube } from "./support/kube.ts";
import { startOperator } from "./support/processes.ts";
import { tenantsIn } from "./support/tenants.ts";

const namespace = "outage-e2e";
const kube = testKube(inject("kubeconfigPath"));
const tenants = tenantsIn(kube, namespace);
let dir: string;
let postgres: PostgresServer;
let operator: ServiceProcess;

type Condition = { type: string; status: string; reason: string };
const conditions = async (name: string): Promise<Condition[]> => (await tenants.get(name)).status?.conditions ?? [];
const condition = async (name: string, type: string) => (await conditions(name)).find((c) => c.type === type);

beforeAll(async () => {
  await createNamespace(kube, namespace);
  dir = mkdtempSync(join(tmpdir(), "otp-lab-outage-"));
  chmodSync(dir, 0o755);
  postgres = await createPostgres({ dir, port: await freePort() });
  migrate(postgres.url, { NODE_ENV: "test" });
  operator = await startOperator({ namespace, identity: "outage-1", databaseUrl: postgres.url });
});

afterAll(async () => {
  await operator?.stop("SIGKILL");
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("PostgreSQL outage", () => {
  it("Degraded with a reason and an Event while PostgreSQL is down; Ready again once it is back", async () => {
    await postgres.stop();
    await tenants.create("patient", { senderId: "WAIT" });
    await waitFor("Degraded=True", async () => (await condition("patient", "Degraded"))?.status === "True");
    expect(await condition("patient", "Degraded")).toMatchObject({ reason: "DatabaseUnavailable" });
    expect(await condition("patient", "Ready")).toMatchObject({ status: "False", reason: "DatabaseUnavailable" });
    const events = await kube.core.listNamespacedEvent({ namespace, fieldSelector: "involvedObject.name=patient" });
    expect(events.items.filter((e) => e.reason === "DatabaseUnavailable" && e.type === "Warning")).toHaveLength(1);
    // Retried with backoff: several failed attempts, the process still up.
    await waitFor(
      "two retries",
      async () => operator.logLines().filter((l) => l.msg === "reconcile failed; retrying with backoff").length >= 3,
    );
    expect(operator.alive()).toBe(true);

    await postgres.start();
    await waitFor("Ready=True", async () => (await condition("patient", "Ready"))?.status === "True", { timeoutMs: 60_000 });
    expect(await condition("patient", "Degraded")).toMatchObject({ status: "False" });
    const db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    const { rows } = await db.query("SELECT sender_id, disabled_at FROM tenants WHERE managed_by = $1", [`${namespace}/patient`]);
    await db.end();
    expect(rows).toEqual([{ sender_id: "WAIT", disabled_at: null }]);
    const after = await kube.core.listNamespacedEvent({ namespace, fieldSelector: "involvedObject.name=patient" });
    expect(after.items.map((e) => e.reason)).toContain("Recovered");
  });
});
