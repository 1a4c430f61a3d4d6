// The OtpTenant CRD: schema from zod, cross-field rules in CEL, columns for `kubectl get otptenants`.
import { crdFromZod } from "../crd/crd-from-zod.ts";
import { GROUP, KIND, otpTenantSpecSchema, otpTenantStatusSchema, PLURAL, VERSION } from "./schema.ts";

export const otpTenantCrd = crdFromZod({
  group: GROUP,
  version: VERSION,
  kind: KIND,
  plural: PLURAL,
  shortNames: ["otpt"],
  categories: ["otp-lab"],
  scope: "Namespaced",
  description:
    "A tenant of the OTP service. The controller writes it to the service's tenants table, keeps its API key in a Secret (only the key's SHA-256 goes to PostgreSQL) and disables the tenant when the resource is deleted.",
  spec: otpTenantSpecSchema,
  status: otpTenantStatusSchema,
  validations: [
    {
      rule: "!has(self.apiKeySecretRef) || !has(self.keyVersion)",
      message: "keyVersion rotates a generated key; with apiKeySecretRef, rotate by changing the Secret",
      fieldPath: ".keyVersion",
      reason: "FieldValueForbidden",
    },
    {
      rule: "!has(oldSelf.keyVersion) || (has(self.keyVersion) && self.keyVersion >= oldSelf.keyVersion)",
      message: "keyVersion can only be raised: an older key is never brought back",
      fieldPath: ".keyVersion",
    },
    {
      rule: "!has(self.phoneSendLimit) || !has(self.dailySendCap) || self.phoneSendLimit <= self.dailySendCap",
      message: "phoneSendLimit cannot exceed dailySendCap",
      fieldPath: ".phoneSendLimit",
    },
  ],
  printerColumns: [
    { name: "Tenant", type: "string", jsonPath: ".status.tenantId", description: "tenants.id in PostgreSQL" },
    { name: "Key", type: "integer", jsonPath: ".status.keyVersion", description: "The key version in force" },
    { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: "Reason", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
});
