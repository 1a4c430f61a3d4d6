// One OtpTenant's reconcile: finalizer, API key, tenants row, status. It is idempotent (a resync of a
// settled resource writes nothing), and every outcome the user can act on ends in a condition with a
// reason and an Event, never a crash: PostgreSQL unavailable → Degraded, retried with backoff by the
// controller (the row is written by the retry; nothing is dropped).
import { isDeepStrictEqual } from "node:util";
import type { CoreV1Api, CustomObjectsApi, V1Secret } from "@kubernetes/client-node";
import { type Condition, type ConditionInput, findCondition, setCondition } from "../runtime/conditions.ts";
import type { ReconcileContext, ReconcileResult } from "../runtime/controller.ts";
import type { EventRecorder } from "../runtime/events.ts";
import { MERGE_PATCH } from "../runtime/kube.ts";
import type { ObjectCache } from "../runtime/object-cache.ts";
import { hashApiKey } from "./api-key.ts";
import { resolveApiKey } from "./api-key-secret.ts";
import {
  API_VERSION,
  FINALIZER,
  GROUP,
  KIND,
  type OtpTenant,
  type OtpTenantStatus,
  otpTenantSpecSchema,
  PLURAL,
  VERSION,
} from "./schema.ts";
import { type TenantTable, TenantTableError } from "./tenant-table.ts";

export interface OtpTenantReconcilerDeps {
  core: CoreV1Api;
  custom: CustomObjectsApi;
  table: TenantTable;
  events: EventRecorder;
  /** The generated Secrets (label-selected informer); without it every reconcile reads the Secret. */
  secrets?: ObjectCache<V1Secret>;
}

/** How long to wait before looking again at a resource whose Secret is missing or not ours. */
const SECRET_RECHECK_MS = 15_000;

export function createOtpTenantReconciler(deps: OtpTenantReconcilerDeps) {
  const { core, custom, table, events, secrets } = deps;

  const resource = (namespace: string, name: string) => ({ group: GROUP, version: VERSION, namespace, plural: PLURAL, name });

  async function patchMetadata(tenant: OtpTenant, finalizers: string[]): Promise<void> {
    const { namespace, name, resourceVersion } = tenant.metadata as { namespace: string; name: string; resourceVersion: string };
    // resourceVersion in a merge patch is a precondition: a stale finalizer list fails with 409 and is retried.
    await custom.patchNamespacedCustomObject(
      { ...resource(namespace, name), body: { metadata: { finalizers, resourceVersion } } },
      MERGE_PATCH,
    );
  }

  async function writeStatus(tenant: OtpTenant, status: OtpTenantStatus): Promise<void> {
    // Key order differs between what we build and what the API server returns, so compare contents (the round
    // trip drops undefined fields as the API server would); a settled resync then writes nothing.
    if (isDeepStrictEqual(JSON.parse(JSON.stringify(status)), tenant.status ?? {})) return;
    const { namespace, name } = tenant.metadata as { namespace: string; name: string };
    await custom.patchNamespacedCustomObjectStatus({ ...resource(namespace, name), body: { status } }, MERGE_PATCH);
  }

  function withConditions(tenant: OtpTenant, ...updates: ConditionInput[]): Condition[] {
    let conditions = tenant.status?.conditions ?? [];
    for (const update of updates) conditions = setCondition(conditions, { ...update, observedGeneration: tenant.metadata.generation });
    return conditions;
  }

  /** Ready=False and Degraded=True with the reason; an Event only when the reason is new (no Event storm on retries). */
  async function degraded(tenant: OtpTenant, reason: string, message: string): Promise<void> {
    const before = findCondition(tenant.status?.conditions, "Degraded");
    const conditions = withConditions(
      tenant,
      { type: "Ready", status: "False", reason, message },
      { type: "Degraded", status: "True", reason, message },
    );
    await writeStatus(tenant, { ...tenant.status, conditions });
    if (before?.status !== "True" || before.reason !== reason) await events.record(tenant, "Warning", reason, message);
  }

  async function finalize(tenant: OtpTenant, managedBy: string): Promise<void> {
    if (!tenant.metadata.finalizers?.includes(FINALIZER)) return;
    try {
      const disabled = await table.disable(managedBy, tenant.metadata.uid as string);
      if (disabled)
        await events.record(tenant, "Normal", "TenantDisabled", "the tenant is disabled in PostgreSQL; its row and history stay");
    } catch (error) {
      if (error instanceof TenantTableError) await degraded(tenant, error.reason, `could not disable the tenant: ${error.message}`);
      throw error;
    }
    await patchMetadata(
      tenant,
      tenant.metadata.finalizers.filter((f) => f !== FINALIZER),
    );
  }

  return async function reconcile({ object, namespace, name, log }: ReconcileContext<OtpTenant>): Promise<ReconcileResult | undefined> {
    if (!object) return undefined; // gone: the finalizer already disabled it (or someone removed the finalizer)
    const tenant: OtpTenant = { ...object, apiVersion: API_VERSION, kind: KIND };
    const managedBy = `${namespace}/${name}`;
    if (tenant.metadata.deletionTimestamp) {
      await finalize(tenant, managedBy);
      log.info("tenant disabled; finalizer removed");
      return undefined;
    }

    const parsed = otpTenantSpecSchema.safeParse(tenant.spec);
    if (!parsed.success) {
      // The CRD's schema should have refused it; nothing a retry changes.
      await degraded(tenant, "InvalidSpec", parsed.error.issues.map((i) => `spec.${i.path.join(".")}: ${i.message}`).join("; "));
      return undefined;
    }
    const spec = parsed.data;
    if (!tenant.metadata.finalizers?.includes(FINALIZER)) {
      await patchMetadata(tenant, [...(tenant.metadata.finalizers ?? []), FINALIZER]);
    }

    const tenantName = spec.name ?? name;
    const key = await resolveApiKey(core, tenant, spec, tenantName, secrets);
    if (!key.ok) {
      await degraded(tenant, key.reason, key.message);
      return { requeueAfterMs: SECRET_RECHECK_MS };
    }

    let written: Awaited<ReturnType<TenantTable["upsert"]>>;
    try {
      written = await table.upsert({
        managedBy,
        managedUid: tenant.metadata.uid as string,
        name: tenantName,
        spec,
        apiKeyHash: hashApiKey(key.apiKey),
        overlapSeconds: spec.keyRotation?.overlapSeconds ?? 3600,
      });
    } catch (error) {
      if (!(error instanceof TenantTableError)) throw error;
      await degraded(tenant, error.reason, error.message);
      // Unavailable: the controller retries with backoff. A conflict needs a person; look again later.
      if (error.reason === "DatabaseUnavailable") throw error;
      return { requeueAfterMs: SECRET_RECHECK_MS };
    }

    const wasDegraded = findCondition(tenant.status?.conditions, "Degraded")?.status === "True";
    const conditions = withConditions(
      tenant,
      {
        type: "Ready",
        status: "True",
        reason: "Reconciled",
        message: `tenant ${tenantName} is in PostgreSQL with key version ${key.keyVersion}`,
      },
      { type: "Degraded", status: "False", reason: "Reconciled", message: "the last reconcile succeeded" },
    );
    await writeStatus(tenant, {
      observedGeneration: tenant.metadata.generation,
      tenantId: written.id,
      keyVersion: key.keyVersion,
      secretName: key.secretName,
      ...(written.previousKeyExpiresAt ? { previousKeyExpiresAt: written.previousKeyExpiresAt.toISOString() } : {}),
      conditions,
    });
    if (key.created) await events.record(tenant, "Normal", "SecretCreated", `created Secret ${key.secretName} with a new API key`);
    if (key.rotated) {
      const until = written.previousKeyExpiresAt?.toISOString() ?? "now";
      await events.record(tenant, "Normal", "KeyRotated", `key version ${key.keyVersion} is valid; the previous key works until ${until}`);
    }
    if (wasDegraded) await events.record(tenant, "Normal", "Recovered", "the tenant is in PostgreSQL again");
    if (written.changed) log.info({ tenantId: written.id, keyVersion: key.keyVersion }, "tenant written to PostgreSQL");
    return undefined;
  };
}
