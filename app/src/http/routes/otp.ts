// The public OTP API: send a code, verify a code.
import { context as otelContext, propagation } from "@opentelemetry/api";
import type { Router } from "express";
import { DeliveryBacklogError, RateLimitedError, VerificationLockedError } from "../../domain/otp/otp-errors";
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
  locked: "urn:otp-lab:problem:verification-locked",
  deliveryBacklog: "urn:otp-lab:problem:delivery-backlog",
} as const;

// One text for a wrong code and for no pending code: the answer must not say whether a code is pending.
const CODE_INVALID_DETAIL = "The code is wrong, expired, already used, or was never sent.";

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
        throw sendProblem(error);
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
            detail: CODE_INVALID_DETAIL,
            extensions: { attemptsLeft: result.attemptsLeft },
          });
        case "locked":
          throw lockedProblem(result.retryAfterSeconds);
      }
    },
  });
}

/** The problem for a refused send; anything else is not an expected failure and goes up unchanged. */
function sendProblem(error: unknown): unknown {
  if (error instanceof VerificationLockedError) return lockedProblem(error.retryAfterSeconds);
  if (error instanceof DeliveryBacklogError) {
    return new HttpProblem(503, "Service Unavailable", {
      type: OtpProblemType.deliveryBacklog,
      detail: "SMS delivery is backlogged; a code sent now could expire before it arrives. Retry later.",
      extensions: { retryAfterSeconds: error.retryAfterSeconds },
      headers: { "Retry-After": String(error.retryAfterSeconds) },
    });
  }
  if (error instanceof RateLimitedError) {
    return new HttpProblem(429, "Too Many Requests", {
      type: OtpProblemType.rateLimited,
      detail: error.message,
      extensions: { scope: error.scope, retryAfterSeconds: error.retryAfterSeconds },
      headers: { "Retry-After": String(error.retryAfterSeconds) },
    });
  }
  return error;
}

function lockedProblem(retryAfterSeconds: number): HttpProblem {
  return new HttpProblem(429, "Verification Locked", {
    type: OtpProblemType.locked,
    detail: "Too many failed attempts for this number. A new code does not unlock it, and no code is sent to it until the lock ends.",
    extensions: { retryAfterSeconds },
    headers: { "Retry-After": String(retryAfterSeconds) },
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
