// Bearer API-key authentication. Resolves the caller's tenant; every OTP operation is scoped to it.
import type { Request } from "express";
import type { Tenant, TenantDirectory } from "../domain/tenant";
import { HttpProblem } from "./problem";

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]{16,256}=*)$/;

export async function authenticate(req: Request, tenants: TenantDirectory): Promise<Tenant> {
  const match = BEARER.exec(req.get("authorization") ?? "");
  const apiKey = match?.[1];
  const tenant = apiKey ? await tenants.findByApiKey(apiKey) : undefined;
  if (!tenant) {
    // One answer for "missing" and "wrong": the response must not help anyone guess keys.
    throw new HttpProblem(401, "Unauthorized", {
      detail: "Send a valid API key as 'Authorization: Bearer <key>'.",
      headers: { "WWW-Authenticate": 'Bearer realm="otp"' },
    });
  }
  return tenant;
}
