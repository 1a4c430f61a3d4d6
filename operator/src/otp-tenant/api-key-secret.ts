// Where a tenant's API key comes from: a Secret the user references (read only, never written), or the
// Secret <name>-api-key the controller creates, owned by the OtpTenant (garbage-collected with it) and
// regenerated when spec.keyVersion is raised. A Secret of that name not controlled by this OtpTenant is
// left alone and reported: the controller never overwrites what it does not own.
//
// The generated Secrets are read from the controller's Secret cache (an informer on the Secrets labelled
// managed-by otp-operator), not with a GET per reconcile. A Secret the cache does not have is created;
// if one exists after all (not ours, or ours but not yet seen by the watch) the create fails with 409
// and it is read from the API server. A rotation replaces with the cached resourceVersion, so a stale
// cache fails with 409 and the reconcile is retried — never a second rotation.
import type { CoreV1Api, V1Secret } from "@kubernetes/client-node";
import { isConflict, isNotFound } from "../runtime/kube.ts";
import type { ObjectCache } from "../runtime/object-cache.ts";
import { generateApiKey } from "./api-key.ts";
import { API_VERSION, GROUP, KIND, type OtpTenant, type OtpTenantSpec, SECRET_KEY } from "./schema.ts";

export const KEY_VERSION_ANNOTATION = `${GROUP}/key-version`;

export type ApiKeySource =
  | { ok: true; apiKey: string; secretName: string; keyVersion: number; rotated: boolean; created: boolean }
  | { ok: false; reason: "SecretNotFound" | "SecretKeyMissing" | "SecretNotOwned"; message: string };

export const ownedSecretName = (tenant: OtpTenant) => `${tenant.metadata.name}-api-key`;

/** The labels of a generated Secret; the Secret cache selects on them. */
export const OWNED_SECRET_LABELS = { "app.kubernetes.io/managed-by": "otp-operator" } as const;
export const OWNED_SECRET_SELECTOR = `app.kubernetes.io/managed-by=otp-operator,${GROUP}/otptenant`;

export async function resolveApiKey(
  core: CoreV1Api,
  tenant: OtpTenant,
  spec: OtpTenantSpec,
  tenantName: string,
  secrets?: ObjectCache<V1Secret>,
): Promise<ApiKeySource> {
  const namespace = tenant.metadata.namespace as string;
  if (spec.apiKeySecretRef) {
    const { name, key } = spec.apiKeySecretRef;
    const secret = await readSecret(core, namespace, name);
    if (!secret) return { ok: false, reason: "SecretNotFound", message: `Secret ${namespace}/${name} does not exist` };
    const value = decode(secret, key);
    if (!value) return { ok: false, reason: "SecretKeyMissing", message: `Secret ${namespace}/${name} has no data key "${key}"` };
    return { ok: true, apiKey: value, secretName: name, keyVersion: 1, rotated: false, created: false };
  }

  const name = ownedSecretName(tenant);
  const wanted = spec.keyVersion ?? 1;
  let secret = secrets ? secrets.get(name, namespace) : await readSecret(core, namespace, name);
  if (!secret) {
    const apiKey = generateApiKey(tenantName, wanted);
    try {
      await core.createNamespacedSecret({ namespace, body: ownedSecret(tenant, name, apiKey, wanted) });
      return { ok: true, apiKey, secretName: name, keyVersion: wanted, rotated: false, created: true };
    } catch (error) {
      if (!(secrets && isConflict(error))) throw error;
      // AlreadyExists: not labelled as ours (so not cached), or created moments ago and not yet watched.
      secret = await readSecret(core, namespace, name);
      if (!secret) throw error;
    }
  }
  const controller = secret.metadata?.ownerReferences?.find((o) => o.controller);
  if (controller?.uid !== tenant.metadata.uid) {
    return {
      ok: false,
      reason: "SecretNotOwned",
      message: `Secret ${namespace}/${name} exists but is not controlled by this OtpTenant; delete it or reference it with apiKeySecretRef`,
    };
  }
  const current = Number(secret.metadata?.annotations?.[KEY_VERSION_ANNOTATION] ?? "1");
  const value = decode(secret, SECRET_KEY);
  if (value && current >= wanted) return { ok: true, apiKey: value, secretName: name, keyVersion: current, rotated: false, created: false };
  // Rotation: the Secret gets the new key first; PostgreSQL then accepts it, keeping the old hash for the overlap.
  // The resourceVersion makes a concurrent writer fail with 409 instead of being overwritten.
  const apiKey = generateApiKey(tenantName, wanted);
  const body = ownedSecret(tenant, name, apiKey, wanted);
  body.metadata = { ...body.metadata, resourceVersion: secret.metadata?.resourceVersion };
  await core.replaceNamespacedSecret({ name, namespace, body });
  return { ok: true, apiKey, secretName: name, keyVersion: wanted, rotated: true, created: false };
}

function ownedSecret(tenant: OtpTenant, name: string, apiKey: string, keyVersion: number): V1Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: {
      name,
      namespace: tenant.metadata.namespace,
      labels: { ...OWNED_SECRET_LABELS, [`${GROUP}/otptenant`]: tenant.metadata.name as string },
      annotations: { [KEY_VERSION_ANNOTATION]: String(keyVersion) },
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: KIND,
          name: tenant.metadata.name as string,
          uid: tenant.metadata.uid as string,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    stringData: { [SECRET_KEY]: apiKey },
  };
}

async function readSecret(core: CoreV1Api, namespace: string, name: string): Promise<V1Secret | undefined> {
  try {
    return await core.readNamespacedSecret({ name, namespace });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

function decode(secret: V1Secret, key: string): string | undefined {
  const data = secret.data?.[key];
  if (data) return Buffer.from(data, "base64").toString("utf8").trim() || undefined;
  return secret.stringData?.[key]?.trim() || undefined;
}
