// Where a tenant's API key comes from: a Secret the user references (read only, never written), or the
// Secret <name>-api-key the controller creates, owned by the OtpTenant (garbage-collected with it) and
// regenerated when spec.keyVersion is raised. A Secret of that name not controlled by this OtpTenant is
// left alone and reported: the controller never overwrites what it does not own.
import type { CoreV1Api, V1Secret } from "@kubernetes/client-node";
import { isNotFound } from "../runtime/kube.ts";
import { generateApiKey } from "./api-key.ts";
import { API_VERSION, GROUP, KIND, type OtpTenant, type OtpTenantSpec, SECRET_KEY } from "./schema.ts";

export const KEY_VERSION_ANNOTATION = `${GROUP}/key-version`;

export type ApiKeySource =
  | { ok: true; apiKey: string; secretName: string; keyVersion: number; rotated: boolean; created: boolean }
  | { ok: false; reason: "SecretNotFound" | "SecretKeyMissing" | "SecretNotOwned"; message: string };

export const ownedSecretName = (tenant: OtpTenant) => `${tenant.metadata.name}-api-key`;

export async function resolveApiKey(core: CoreV1Api, tenant: OtpTenant, spec: OtpTenantSpec, tenantName: string): Promise<ApiKeySource> {
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
  const secret = await readSecret(core, namespace, name);
  if (!secret) {
    const apiKey = generateApiKey(tenantName, wanted);
    await core.createNamespacedSecret({ namespace, body: ownedSecret(tenant, name, apiKey, wanted) });
    return { ok: true, apiKey, secretName: name, keyVersion: wanted, rotated: false, created: true };
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
      labels: { "app.kubernetes.io/managed-by": "otp-operator", [`${GROUP}/otptenant`]: tenant.metadata.name as string },
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
