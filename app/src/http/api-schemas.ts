// The public API's request and response shapes. The routes validate with these and the OpenAPI
// document is generated from them, so the two cannot drift apart.
import { z } from "zod";
import { E164 } from "../domain/otp/codes";

const phone = z.string().regex(E164, "must be an E.164 number such as +4915112345678").meta({ example: "+4915112345678" });

export const sendRequestSchema = z.strictObject({ phone }).meta({ id: "SendRequest" });

export const sendResponseSchema = z
  .object({
    id: z.uuid().describe("Identifies this OTP in the send log."),
    expiresAt: z.iso.datetime().describe("When the code stops being accepted."),
  })
  .meta({ id: "SendResponse" });

export const verifyRequestSchema = z
  .strictObject({
    phone,
    code: z
      .string()
      .regex(/^\d{4,10}$/, "must be 4 to 10 digits")
      .meta({ example: "042917" }),
  })
  .meta({ id: "VerifyRequest" });

export const verifyResponseSchema = z.object({ status: z.literal("approved"), id: z.uuid() }).meta({ id: "VerifyResponse" });

export const problemSchema = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    traceId: z.string().optional(),
  })
  .meta({
    id: "Problem",
    description: "RFC 9457 problem details; some types add members (errors, attemptsLeft, scope, retryAfterSeconds).",
  });
