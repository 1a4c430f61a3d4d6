import { Counter, type Registry } from "prom-client";
import type { OtpOutcomeCounter } from "../domain/otp/otp-service";

export function createOtpMetrics(registry: Registry): OtpOutcomeCounter {
  const sends = new Counter({
    name: "otp_sends_total",
    help: "OTP send requests by outcome (accepted, locked, shed_backlog_length, shed_backlog_age, rate_limited_phone, rate_limited_tenant_daily).",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const verifies = new Counter({
    name: "otp_verifies_total",
    help: "OTP verifications by outcome (approved, invalid: a wrong code or none pending, locked).",
    labelNames: ["outcome"],
    registers: [registry],
  });
  return {
    send: (outcome) => sends.inc({ outcome }),
    verify: (outcome) => verifies.inc({ outcome }),
  };
}
