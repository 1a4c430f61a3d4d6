// Two controller processes against one Lease: exactly one leads and reconciles; SIGKILL the leader and
// the other takes over within the Lease term; SIGTERM stops gracefully (exit 0) and releases the Lease.
import type { ServiceProcess } from "@otp-lab/local-stack/service-process";
import { waitFor } from "@otp-lab/local-stack/wait";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createNamespace, testKube } from "./support/kube.ts";
import { startOperator } from "./support/processes.ts";
import { tenantsIn } from "./support/tenants.ts";

const namespace = "leader-e2e";
const kube = testKube(inject("kubeconfigPath"));
const tenants = tenantsIn(kube, namespace);
const operators = new Map<string, ServiceProcess>();

const holder = async () => (await kube.coordination.readNamespacedLease({ name: "otp-operator", namespace })).spec?.holderIdentity;
const leaderGauge = async (handle: ServiceProcess) => {
  const text = await (await fetch(`${handle.url}/metrics`)).text();
  return Number(text.match(/^otp_operator_leader\{[^}]*\} (\d)/m)?.[1]);
};
const reconciled = (name: string) =>
  waitFor(`${name} reconciled`, async () => {
    const t = await tenants.get(name);
    return t.status?.conditions?.some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True");
  });
const create = (name: string) => tenants.create(name, {});

beforeAll(async () => {
  await createNamespace(kube, namespace);
  for (const identity of ["le-a", "le-b"]) operators.set(identity, await startOperator({ namespace, identity }));
});

afterAll(async () => {
  await Promise.allSettled([...operators.values()].map((o) => o.stop("SIGKILL")));
});

describe("leader election", () => {
  it("two processes: exactly one holds the Lease and reconciles; the other stands by, ready", async () => {
    const leader = await waitFor("a Lease holder", holder);
    const standby = leader === "le-a" ? "le-b" : "le-a";
    await create("first");
    await reconciled("first");
    expect(await leaderGauge(operators.get(leader) as ServiceProcess)).toBe(1);
    expect(await leaderGauge(operators.get(standby) as ServiceProcess)).toBe(0);
    expect((await fetch(`${operators.get(standby)?.url}/readyz`)).status).toBe(200);
    expect(
      operators
        .get(standby)
        ?.logLines()
        .some((l) => l.msg === "became leader"),
    ).toBe(false);
  });

  it("the leader killed (SIGKILL), the standby takes over within the Lease term and reconciles", async () => {
    const leader = (await holder()) as string;
    const standby = leader === "le-a" ? "le-b" : "le-a";
    const killedAt = performance.now();
    await operators.get(leader)?.stop("SIGKILL");
    operators.delete(leader);
    await waitFor("the standby holds the Lease", async () => (await holder()) === standby, { timeoutMs: 20_000 });
    // Lease 3 s, seen from the standby's clock, plus a retry period and start-up.
    expect(performance.now() - killedAt).toBeLessThan(8_000);
    await create("second");
    await reconciled("second");
  });

  it("SIGTERM: in-flight work finishes, exit 0, the Lease is released at once for a new candidate", async () => {
    const leader = (await holder()) as string;
    const handle = operators.get(leader) as ServiceProcess;
    const exit = await handle.stop("SIGTERM");
    operators.delete(leader);
    expect(exit).toBe(0);
    expect(await holder()).toBeUndefined();
    const messages = handle.logLines().map((l) => l.msg);
    expect(messages).toEqual(expect.arrayContaining(["controller stopped; no reconcile in flight", "released the Lease", "stopped"]));
    // A fresh candidate acquires the released Lease without waiting out a term.
    const started = performance.now();
    operators.set("le-c", await startOperator({ namespace, identity: "le-c" }));
    await waitFor("le-c holds the Lease", async () => (await holder()) === "le-c");
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});
