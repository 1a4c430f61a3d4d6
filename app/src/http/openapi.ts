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
            "Stores an HMAC of a fresh code with the tenant's TTL and queues the SMS; answers before the SMS is sent. The code is never returned.",
          parameters: [headerRequestId],
          requestBody: { required: true, content: json("SendRequest") },
          responses: {
            "200": { description: "Accepted for delivery", content: json("SendResponse") },
            "400": problem("Malformed body or invalid phone number"),
            "401": problem("Missing or wrong API key"),
            "415": problem("Body is not application/json"),
            "429": problem("Per-phone or daily tenant limit reached; see Retry-After"),
            "503": problem("A dependency is unavailable; retry later"),
          },
        },
      },
      "/v1/otp/verify": {
        post: {
          operationId: "verifyOtp",
          summary: "Verify a code",
          description: "Single use. Failed attempts count across codes; after the tenant's maximum the number is locked.",
          parameters: [headerRequestId],
          requestBody: { required: true, content: json("VerifyRequest") },
          responses: {
            "200": { description: "Approved", content: json("VerifyResponse") },
            "400": problem("Malformed body, invalid phone number or code format"),
            "401": problem("Missing or wrong API key"),
            "415": problem("Body is not application/json"),
            "422": problem("Wrong code (attemptsLeft), or no code pending (expired, used or never sent)"),
            "429": problem("Locked after too many failed attempts; see Retry-After"),
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
