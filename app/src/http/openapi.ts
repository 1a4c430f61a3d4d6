// The OpenAPI 3.1 document of the public API, generated from the same zod schemas the routes use.
import { z } from "zod";
import { problemSchema, sendRequestSchema, sendResponseSchema, verifyRequestSchema, verifyResponseSchema } from "./api-schemas";

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (schemaId: string) => ({ "application/json": { schema: ref(schemaId) } });
const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: ref("Problem") } } });
// Any value is accepted (a correlation id never fails a request); only one matching the pattern is kept.
const headerRequestId = {
  name: "X-Request-ID",
  in: "header",
  required: false,
  description:
    "Correlation id, echoed on the response. Used as given when it matches ^[A-Za-z0-9._-]{1,128}$; any other value is replaced by a generated UUID.",
  schema: { type: "string" },
};

export function buildOpenApiDocument(version: string): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const schema of [sendRequestSchema, sendResponseSchema, verifyRequestSchema, verifyResponseSchema, problemSchema]) {
    registry.add(schema, { id: (schema.meta() as { id: string }).id });
  }
  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}`, target: "draft-2020-12" });
  for (const schema of Object.values(schemas)) delete (schema as Record<string, unknown>).$schema;

  return {
    openapi: "3.1.0",
    info: {
      title: "OTP provider",
      version,
      description: "Multi-tenant one-time passwords over SMS. Every error is RFC 9457 problem+json.",
    },
    servers: [{ url: "/" }],
    security: [{ apiKey: [] }],
    paths: {
      "/v1/otp/send": {
        post: {
          operationId: "sendOtp",
          summary: "Send a code to a phone number",
          description:
            "Stores an HMAC of a fresh code with the tenant's TTL and queues the SMS; answers before the SMS is sent. The code is never returned. " +
            "Refused without sending anything while the number is locked by failed verifications, and while the SMS backlog is too long or too old for a code sent now to arrive in time.",
          parameters: [headerRequestId],
          requestBody: { required: true, content: json("SendRequest") },
          responses: {
            "200": { description: "Accepted for delivery", content: json("SendResponse") },
            "400": problem("Malformed body or invalid phone number"),
            "401": problem("Missing or wrong API key"),
            "415": problem("Body is not application/json"),
            "429": problem(
              "urn:otp-lab:problem:rate-limited: per-phone or daily tenant limit reached (scope); " +
                "urn:otp-lab:problem:verification-locked: the number is locked after failed verifications, so no code is sent. See Retry-After",
            ),
            "503": problem(
              "urn:otp-lab:problem:delivery-backlog: SMS delivery is backlogged, the send is shed rather than accepted late; " +
                "or a dependency is unavailable. Retry after Retry-After",
            ),
          },
        },
      },
      "/v1/otp/verify": {
        post: {
          operationId: "verifyOtp",
          summary: "Verify a code",
          description:
            "Single use. A wrong code and a number with no pending code (expired, used or never sent) get the same answer and both count as a failure. " +
            "Failures count per number across codes: after the tenant's max_verify_attempts the number is locked for an escalating time (doubling up to a cap), " +
            "after max_consecutive_failures without a success (at most 100) for the tenant's failure window; a success resets the count. " +
            "A caller learns whether the code it sent was right, how many attempts are left before the next lockout (attemptsLeft), " +
            "and when a lockout ends (Retry-After); it cannot learn whether a code is pending for a number.",
          parameters: [headerRequestId],
          requestBody: { required: true, content: json("VerifyRequest") },
          responses: {
            "200": { description: "Approved", content: json("VerifyResponse") },
            "400": problem("Malformed body, invalid phone number or code format"),
            "401": problem("Missing or wrong API key"),
            "415": problem("Body is not application/json"),
            "422": problem(
              "urn:otp-lab:problem:code-invalid: the code is wrong, or none is pending; the two are indistinguishable. attemptsLeft: failures left before the next lockout",
            ),
            "429": problem(
              "urn:otp-lab:problem:verification-locked: locked after too many failed attempts; the code is not compared and the attempt is not counted. See Retry-After",
            ),
            "503": problem("A dependency is unavailable; retry later"),
          },
        },
      },
    },
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "The tenant's API key." } },
      schemas,
    },
  };
}
