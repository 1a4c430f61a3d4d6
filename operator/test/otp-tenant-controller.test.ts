// The OtpTenant controller as a real process (`node operator/src/main.ts`) against the real API server,
// PostgreSQL and the real OTP service: resource → row + Secret, the key sends an OTP, rotation with an
// overlap, deletion disables and keeps the row. Every wait is on observable state.
import type { V1Secret } from "@kubernetes/client-node";
import type { ServiceProcess } from "@otp-lab/local-stack/service-process";
import { waitFor } from "@otp-lab/local-stack/wait";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { GROUP } from "../src/otp-tenant/schema.ts";
import { createNamespace, testKube } from "./support/kube.ts";
import { sendOtp, startOperator, startService } from "./support/processes.ts";
import { tenantsIn } from "./support/tenants.ts";

const namespace = "tenants-e2e";
const kube = testKube(inject("kubeconfigPath"));
const { create, get, patch, delete: remove } = tenantsIn(kube, namespace);
let db: pg.Pool;
let operator: ServiceProcess;
let service: ServiceProcess;

const secretKey = async (name: string) => {
  const secret: V1Secret = await kube.core.readNamespacedSecret({ name, namespace });
  return Buffer.from(secret.data?.apiKey ?? "", "base64").toString("utf8");
};
const row = async (name: string) =>
  (await db.query("SELECT * FROM tenants WHERE managed_by = $1", [`${namespace}/${name}`])).rows[0] as Record<string, any> | undefined;
const readyAt = (name: string, generation?: number) =>
  waitFor(`${name} Ready`, async () => {
    const t = await get(name);
    const ready = t.status?.conditions?.find((c: { type: string }) => c.type === "Ready");
    return ready?.status === "True" && t.status?.observedGeneration === (generation ?? t.metadata.generation) ? t : undefined;
  });

beforeAll(async () => {
  await createNamespace(kube, namespace);
  db = new pg.Pool({ connectionString: inject("postgresUrl"), max: 2 });
  [operator, service] = await Promise.all([startOperator({ namespace, identity: "e2e-1" }), startService("service-tenants")]);
});

afterAll(async () => {
  if (process.env.OPERATOR_LOGS) process.stderr.write(operator?.logText() ?? "");
  await Promise.allSettled([operator?.stop("SIGKILL"), service?.stop()]);
  await db?.end();
});

describe("OtpTenant controller", () => {
  it("writes the tenant to PostgreSQL with only the key's SHA-256, creates the key Secret, and that key sends an OTP", async () => {
    await create("acme", { codeLength: 8, senderId: "ACME", dailySendCap: 500 });
    const tenant = await readyAt("acme");
    expect(tenant.metadata.finalizers).toContain(`${GROUP}/disable-tenant`);
    expect(tenant.status).toMatchObject({ keyVersion: 1, secretName: "acme-api-key" });
    const stored = await row("acme");
    expect(stored).toMatchObject({ id: tenant.status?.tenantId, name: "acme", code_length: 8, sender_id: "ACME", daily_send_cap: 500 });
    expect(stored?.managed_uid).toBe(tenant.metadata.uid);
    const key = await secretKey("acme-api-key");
    expect(key).toMatch(/^otp_acme_v1_[0-9a-f]{64}$/);
    const { createHash } = await import("node:crypto");
    expect(stored?.api_key_hash).toBe(createHash("sha256").update(key).digest("hex"));
    expect(JSON.stringify(stored)).not.toContain(key);
    expect(await sendOtp(service, key)).toBe(200);
    expect(await sendOtp(service, `${key}x`)).toBe(401);
    const secret = await kube.core.readNamespacedSecret({ name: "acme-api-key", namespace });
    expect(secret.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: "OtpTenant",
      name: "acme",
      uid: tenant.metadata.uid,
      controller: true,
    });
  });

  it("rotates on a keyVersion bump: the new key works at once, the old one during the overlap only", async () => {
    await create("rotor", { keyRotation: { overlapSeconds: 4 } });
    await readyAt("rotor");
    const oldKey = await secretKey("rotor-api-key");
    expect(await sendOtp(service, oldKey)).toBe(200);
    await patch("rotor", [{ op: "add", path: "/spec/keyVersion", value: 2 }]);
    const rotated = await readyAt("rotor", 2);
    expect(rotated.status?.keyVersion).toBe(2);
    const newKey = await secretKey("rotor-api-key");
    expect(newKey).not.toBe(oldKey);
    expect(await sendOtp(service, newKey)).toBe(200);
    const stored = await row("rotor");
    const expiresAt = new Date(stored?.previous_key_expires_at).getTime();
    expect(Date.now()).toBeLessThan(expiresAt);
    expect(await sendOtp(service, oldKey)).toBe(200); // within the overlap
    const refusedAt = await waitFor(
      "the old key refused",
      async () => ((await sendOtp(service, oldKey)) === 401 ? Date.now() : undefined),
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(refusedAt).toBeGreaterThanOrEqual(expiresAt - 1000); // PostgreSQL's clock is this machine's
    expect(await sendOtp(service, newKey)).toBe(200);
  });

  it("uses a referenced Secret's key without writing it", async () => {
    const apiKey = `otp_byo_1_${"ab".repeat(32)}`;
    await kube.core.createNamespacedSecret({ namespace, body: { metadata: { name: "byo-key" }, stringData: { token: apiKey } } });
    await create("byo", { apiKeySecretRef: { name: "byo-key", key: "token" } });
    const tenant = await readyAt("byo");
    expect(tenant.status?.secretName).toBe("byo-key");
    expect(await sendOtp(service, apiKey)).toBe(200);
    const secret = await kube.core.readNamespacedSecret({ name: "byo-key", namespace });
    expect(secret.metadata?.ownerReferences).toBeUndefined();
  });

  it("refuses to take over a seeded tenant's name: Ready=False NameConflict with an Event", async () => {
    await db.query("INSERT INTO tenants (name, api_key_hash) VALUES ('seeded-one', md5(random()::text)) ON CONFLICT DO NOTHING");
    await create("clash", { name: "seeded-one" });
    const tenant = await waitFor("NameConflict", async () => {
      const t = await get("clash");
      return t.status?.conditions?.find((c: { type: string; reason: string }) => c.type === "Ready" && c.reason === "NameConflict")
        ? t
        : undefined;
    });
    expect(tenant.status?.conditions?.find((c: { type: string }) => c.type === "Degraded")?.status).toBe("True");
    const events = await kube.core.listNamespacedEvent({ namespace, fieldSelector: "involvedObject.name=clash" });
    expect(events.items.map((e) => e.reason)).toContain("NameConflict");
    expect((await db.query("SELECT managed_by FROM tenants WHERE name = 'seeded-one'")).rows[0]?.managed_by).toBeNull();
  });

  it("deleting the resource disables the tenant (401) and keeps its row", async () => {
    const key = await secretKey("acme-api-key");
    const before = await row("acme");
    await remove("acme");
    await waitFor("acme gone (finalizer removed)", async () =>
      get("acme").then(
        () => false,
        () => true,
      ),
    );
    const after = await row("acme");
    expect(after?.id).toBe(before?.id);
    expect(after?.disabled_at).toBeInstanceOf(Date);
    expect(await sendOtp(service, key)).toBe(401);
    const events = await kube.core.listNamespacedEvent({ namespace, fieldSelector: "involvedObject.name=acme" });
    expect(events.items.map((e) => e.reason)).toEqual(expect.arrayContaining(["SecretCreated", "TenantDisabled"]));
  });

  it("serves /metrics with reconcile counts, durations, queue depth and the leader gauge, and /readyz", async () => {
    const metrics = await (await fetch(`${operator.url}/metrics`)).text();
    expect(metrics).toMatch(/otp_operator_reconcile_total\{controller="otptenant",result="success"\} [1-9]/);
    expect(metrics).toMatch(/otp_operator_reconcile_duration_seconds_count\{controller="otptenant"\} [1-9]/);
    expect(metrics).toMatch(/otp_operator_queue_depth\{controller="otptenant"\} \d/);
    expect(metrics).toMatch(/otp_operator_leader\{lease="tenants-e2e\/otp-operator"\} 1/);
    expect((await fetch(`${operator.url}/readyz`)).status).toBe(200);
    const logged = operator.logLines().find((l) => l.msg === "tenant written to PostgreSQL");
    expect(logged).toMatchObject({ controller: "otptenant", namespace, name: expect.any(String) });
  });
});
