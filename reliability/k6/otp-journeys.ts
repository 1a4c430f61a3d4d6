// Steady OTP traffic for the rolling-restart scenario: a constant arrival rate of user journeys, each
// one send → read the SMS from the mock provider (as the phone would) → verify. Sends and verifies go
// through BASE_URL (HAProxy); the inbox is read from SMS_URL directly and is not the service's traffic.
//
// Standalone on purpose: the ladder's defineBenchmark is built for plateaus and SLO thresholds, and here
// the orchestrator judges the run from the per-request CSV and this summary.
//
// Env: BASE_URL, SMS_URL, TENANTS_FILE, RATE (journeys/s), DURATION_S, SUMMARY_PATH, PHONE_PREFIX (4 digits).
import { sleep } from "k6";
import exec from "k6/execution";
import http from "k6/http";
import { Counter, Trend } from "k6/metrics";
import { metricValue, phoneOf, required, type SummaryData, steadyArrivals, summaryOutputs } from "./shared.ts";

const BASE_URL = required("BASE_URL");
const SMS_URL = required("SMS_URL");
/** How long a journey waits for its SMS before giving up on it (the delivery is still checked afterwards). */
const DELIVERY_WAIT_S = 15;
const tenants = (JSON.parse(open(required("TENANTS_FILE"))) as { tenants: Array<{ apiKey: string }> }).tenants.map(
  (tenant) => `Bearer ${tenant.apiKey}`,
);

const accepted = new Counter("otp_accepted");
const approved = new Counter("otp_approved");
const undelivered = new Counter("otp_sms_not_seen");
const verifyRejected = new Counter("otp_verify_rejected");
const deliveryWait = new Trend("otp_sms_wait", true);

export const options = steadyArrivals("journeys", DELIVERY_WAIT_S + 15);

const expect200 = http.expectedStatuses(200);

export default function journey(): void {
  const index = exec.scenario.iterationInTest;
  const phone = phoneOf(index, "1557");
  const authorization = tenants[index % tenants.length] as string;
  const headers = { authorization, "content-type": "application/json" };

  const sent = http.post(`${BASE_URL}/v1/otp/send`, JSON.stringify({ phone }), {
    headers: { ...headers, "x-request-id": `rr-${index}` },
    tags: { name: "otp-send" },
    responseCallback: expect200,
    timeout: "30s",
  });
  if (sent.status !== 200) return;
  const id = (sent.json() as { id?: string }).id;
  accepted.add(1);

  const waitStarted = Date.now();
  let code: string | undefined;
  while (Date.now() - waitStarted < DELIVERY_WAIT_S * 1000) {
    const inbox = http.get(`${SMS_URL}/messages?to=${encodeURIComponent(phone)}&limit=1`, {
      tags: { name: "sms-inbox" },
      responseCallback: expect200,
    });
    const newest = (inbox.json() as { messages?: Array<{ text: string; reference: string }> }).messages?.[0];
    if (newest && newest.reference === id) {
      const runs = newest.text.match(/\d{4,10}/g);
      code = runs ? runs[runs.length - 1] : undefined;
      break;
    }
    sleep(0.1);
  }
  if (!code) {
    undelivered.add(1);
    return;
  }
  deliveryWait.add(Date.now() - waitStarted);

  const verified = http.post(`${BASE_URL}/v1/otp/verify`, JSON.stringify({ phone, code }), {
    headers,
    tags: { name: "otp-verify" },
    responseCallback: expect200,
    timeout: "30s",
  });
  if (verified.status === 200 && (verified.json() as { status?: string }).status === "approved") approved.add(1);
  else verifyRejected.add(1);
}

export function handleSummary(data: SummaryData): Record<string, string> {
  const value = metricValue(data);
  const summary = {
    iterations: value("iterations", "count"),
    droppedIterations: value("dropped_iterations", "count"),
    accepted: value("otp_accepted", "count"),
    approved: value("otp_approved", "count"),
    smsNotSeen: value("otp_sms_not_seen", "count"),
    verifyRejected: value("otp_verify_rejected", "count"),
    smsWaitP99Ms: value("otp_sms_wait", "p(99)"),
  };
  return summaryOutputs(summary);
}
