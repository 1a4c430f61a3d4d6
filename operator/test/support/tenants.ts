// OtpTenant objects in one namespace through the tests' client: create, read, JSON-patch and delete by name.
import { GROUP, PLURAL, VERSION } from "../../src/otp-tenant/schema.ts";
import type { TestKube } from "./kube.ts";

export type Tenant = {
  metadata: { name: string; uid: string; generation: number; finalizers?: string[] };
  spec: Record<string, unknown>;
  status?: Record<string, any>;
};

export function tenantsIn(kube: TestKube, namespace: string) {
  const at = { group: GROUP, version: VERSION, namespace, plural: PLURAL };
  return {
    /** Strict field validation: an unknown field is refused, not dropped. */
    create: (name: string, spec: unknown, extra: Record<string, unknown> = {}) =>
      kube.custom.createNamespacedCustomObject({
        ...at,
        fieldValidation: "Strict",
        body: { apiVersion: `${GROUP}/${VERSION}`, kind: "OtpTenant", metadata: { name }, spec, ...extra },
      }) as Promise<Tenant>,
    get: (name: string) => kube.custom.getNamespacedCustomObject({ ...at, name }) as Promise<Tenant>,
    patch: (name: string, body: object[]) => kube.custom.patchNamespacedCustomObject({ ...at, name, body }),
    delete: (name: string) => kube.custom.deleteNamespacedCustomObject({ ...at, name }),
  };
}
