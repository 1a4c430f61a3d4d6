// OtpTenant: one tenant of the OTP service as a custom resource. Bounds and defaults are the tenants
// table's CHECKs and column defaults (app/migrations/001 and 002), so the API server refuses what
// PostgreSQL would refuse, with the field's path, before the controller ever sees it.
import { z } from "zod";
import { conditionSchema } from "../runtime/conditions.ts";

export const GROUP = "otp-lab.dev";
export const VERSION = "v1alpha1";
export const KIND = "OtpTenant";
export const PLURAL = "otptenants";
export const API_VERSION = `${GROUP}/${VERSION}`;
export const FINALIZER = `${GROUP}/disable-tenant`;
export const SECRET_KEY = "apiKey";

const int = (description: string) => z.number().int().describe(description);

export const otpTenantSpecSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[a-z0-9][a-z0-9._-]*$/)
      .optional()
      .describe("The tenant's name in the service (tenants.name, unique). Default: metadata.name."),
    codeLength: int("Digits in a code.").min(4).max(10).default(6),
    codeTtlSeconds: int("How long a code can be verified, in seconds.").min(1).max(600).default(300),
    maxVerifyAttempts: int("Failed verifications that lock a number for an escalating lockout.").min(1).max(20).default(5),
    maxConsecutiveFailures: int("Consecutive failures (reset only by a success) that lock a number for the rest of the failure window.")
      .min(1)
      .max(100)
      .default(50),
    failureWindowSeconds: int("How long a number's failure state lives after its last counted failure (1 day to 365 days).")
      .min(86_400)
      .max(31_536_000)
      .default(2_592_000),
    phoneSendLimit: int("Codes one number may be sent per phoneSendWindowSeconds.").min(1).max(2_147_483_647).default(5),
    phoneSendWindowSeconds: int("The window of phoneSendLimit, in seconds.").min(1).max(2_147_483_647).default(3600),
    dailySendCap: int("Codes the tenant may send per day, all numbers together.").min(1).max(2_147_483_647).default(100_000),
    senderId: z.string().min(1).max(11).default("OTPLAB").describe("The SMS sender id (1-11 characters)."),
    messageTemplate: z
      .string()
      .min(1)
      .max(1000)
      .regex(/\{code\}/)
      .default("Your verification code is {code}")
      .describe("The SMS text; {code} is replaced by the code and must appear."),
    apiKeySecretRef: z
      .object({
        name: z.string().min(1).max(253).describe("The Secret's name, in the OtpTenant's namespace."),
        key: z.string().min(1).max(253).default(SECRET_KEY).describe("The data key holding the API key."),
      })
      .optional()
      .describe(
        "A Secret you provide with the tenant's API key. Without it the controller creates <name>-api-key, owned by this OtpTenant. Rotate a referenced key by changing the Secret.",
      ),
    keyVersion: int("Raise it to rotate a generated API key: a new key works at once, the old one for keyRotation.overlapSeconds.")
      .min(1)
      .max(2_147_483_647)
      .optional(),
    keyRotation: z
      .object({
        overlapSeconds: int("How long the previous key keeps working after a rotation, in seconds (0: not at all).")
          .min(0)
          .max(2_592_000)
          .default(3600),
      })
      .optional()
      .describe("How a key rotation hands over from the old key to the new one."),
  })
  .describe("The tenant's OTP policy and where its API key lives.");

export const otpTenantStatusSchema = z
  .object({
    observedGeneration: int("The metadata.generation the status describes.").optional(),
    tenantId: z.string().optional().describe("The tenant's id (tenants.id) in PostgreSQL."),
    keyVersion: int("The key version in force in PostgreSQL.").optional(),
    secretName: z.string().optional().describe("The Secret holding the API key in force."),
    previousKeyExpiresAt: z.string().optional().describe("When the key before the last rotation stops working (RFC 3339)."),
    conditions: z
      .array(conditionSchema)
      .optional()
      .describe("Ready: the tenant in PostgreSQL matches the spec. Degraded: the last attempt failed, and why."),
  })
  .describe("What the controller observed and did.");

export type OtpTenantSpecInput = z.input<typeof otpTenantSpecSchema>;
export type OtpTenantSpec = z.output<typeof otpTenantSpecSchema>;
export type OtpTenantStatus = z.output<typeof otpTenantStatusSchema>;

export interface OtpTenant {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    // A string at run time (custom objects are not deserialised), typed as client-node types it.
    deletionTimestamp?: Date;
    finalizers?: string[];
    annotations?: Record<string, string>;
  };
  spec: OtpTenantSpecInput;
  status?: OtpTenantStatus;
}
