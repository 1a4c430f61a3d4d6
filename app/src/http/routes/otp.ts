// The public OTP API: send a code, verify a code.
import { context as otelContext, propagation } from "@opentelemetry/api";
import type { Router } from "express";
import { RateLimitedError } from "../../domain/otp/otp-errors";
import type { OtpService } from "../../domain/otp/otp-service";
import type { TenantDirectory } from "../../domain/tenant";
import { sendRequestSchema, verifyRequestSchema } from "../api-schemas";
import { authenticate } from "../authenticate";
import { HttpProblem } from "../problem";
import { mountRoute } from "../route";
import { parseRequest } from "../validation";

export const OtpProblemType = {
  rateLimited: "urn:otp-lab:problem:rate-limited",
  codeInvalid: "urn:otp-lab:problem:code-invalid",
  codeExpired: "urn:otp-lab:problem:code-expired-or-unknown",
  locked: "urn:otp-lab:problem:verification-locked",
} as const;

export interface OtpRouteDependencies {
  tenants: TenantDirectory;
  otp: OtpService;
}

export function registerOtpRoutes(router: Router, deps: OtpRouteDependencies): void {
  mountRoute(router, "/v1/otp/send", {
    post: async (req, res) => {
      requireJson(req.is("application/json"));
      const tenant = await authenticate(req, deps.tenants);
      const { phone } = parseRequest(sendRequestSchema, req.body, "body");
      try {
        const sent = await deps.otp.send(tenant, phone, { requestId: res.locals.requestId as string, traceparent: currentTraceparent() });
        res.status(200).json({ id: sent.id, expiresAt: sent.expiresAt.toISOString() });
      } catch (error) {
        if (!(error instanceof RateLimitedError)) throw error;
        throw new HttpProblem(429, "Too Many Requests", {
          type: OtpProblemType.rateLimited,
          detail: error.message,
          extensions: { scope: error.scope, retryAfterSeconds: error.retryAfterSeconds },
          headers: { "Retry-After": String(error.retryAfterSeconds) },
        });
      }
    },
  });

  mountRoute(router, "/v1/otp/verify", {
    post: async (req, res) => {
      requireJson(req.is("application/json"));
      const tenant = await authenticate(req, deps.tenants);
      const { phone, code } = parseRequest(verifyRequestSchema, req.body, "body");
      const result = await deps.otp.verify(tenant, phone, code);
      switch (result.outcome) {
        case "approved":
          res.status(200).json({ status: "approved", id: result.otpId });
          return;
        case "invalid":
          throw new HttpProblem(422, "Invalid Code", {
            type: OtpProblemType.codeInvalid,
            detail: `The code does not match. ${result.attemptsLeft} attempt(s) left.`,
            extensions: { attemptsLeft: result.attemptsLeft },
          });
        case "expired_or_unknown":
          throw new HttpProblem(422, "Code Expired or Unknown", {
            type: OtpProblemType.codeExpired,
            detail: "No code is pending for this number: it expired, was already used, or was never sent.",
          });
        case "locked":
          throw new HttpProblem(429, "Verification Locked", {
            type: OtpProblemType.locked,
            detail: "Too many failed attempts for this number. A new code does not unlock it.",
            extensions: { retryAfterSeconds: result.retryAfterSeconds },
            headers: { "Retry-After": String(result.retryAfterSeconds) },
          });
      }
    },
  });
}

function requireJson(isJson: string | false | null): void {
  if (!isJson) {
    throw new HttpProblem(415, "Unsupported Media Type", {
      detail: "Send the body as application/json.",
      headers: { "Accept-Post": "application/json" },
    });
  }
}

/** The active trace context as a W3C traceparent, carried by the SMS job to the worker. */
function currentTraceparent(): string {
  const carrier: Record<string, string> = {};
  propagation.inject(otelContext.active(), carrier);
  return carrier.traceparent ?? "";
}
