// Steady send traffic for the failure scenarios (redis-killed, provider-outage, slowloris): a constant
// arrival rate of OTP sends, each to a fresh number, straight to the service. Every request carries
// X-Request-ID = <RID_PREFIX>-<iteration> and is tagged with that id and the number, so the orchestrator
// can read from k6's per-request CSV which sends were accepted and find each one's send-log row (by
// request id) and its message at the mock provider (by number).
//
// MIX=send (default): every iteration sends. MIX=send-verify: even iterations send, odd ones verify a
// wrong code for a fresh number (422), as a login page's traffic would mix them.
//
// Env: BASE_URL, API_KEY, RATE (requests/s), DURATION_S, SUMMARY_PATH, PHONE_PREFIX (4 digits),
// RID_PREFIX, MIX. A refused send also adds an otp_send_refused sample tagged with its problem type,
// content type and Retry-After (the CSV holds no bodies or headers).
import exec from "k6/execution";
import http from "k6/http";
import { Counter } from "k6/metrics";
import type { Options } from "k6/options";
import { metricValue, required, type SummaryData, summaryOutputs } from "./shared.ts";

const BASE_URL = required("BASE_URL");
const RATE = Number(__ENV.RATE ?? "20");
const DURATION_S = Number(__ENV.DURATION_S ?? "20");
const PHONE_PREFIX = __ENV.PHONE_PREFIX ?? "1553";
const RID_PREFIX = __ENV.RID_PREFIX ?? "k6";
const MIX = __ENV.MIX ?? "send";
const authorization = `Bearer ${required("API_KEY")}`;
const phoneBase = Math.floor(Math.random() * 50_000_000);
/** One sample per refused send (any status but 200), tagged with its id, problem type and Retry-After. */
const refused = new Counter("otp_send_refused");

export const options: Options = {
  scenarios: {
    sends: {
      executor: "constant-arrival-rate",
      rate: RATE,
      timeUnit: "1s",
      duration: `${DURATION_S}s`,
      preAllocatedVUs: Math.max(10, Math.ceil(RATE * 1.5)),
      maxVUs: Math.max(50, RATE * 20),
      gracefulStop: "15s",
    },
  },
  summaryTrendStats: ["avg", "med", "p(95)", "p(99)", "max", "count"],
  // No thresholds: the orchestrator judges the run.
};

export default function send(): void {
  const index = exec.scenario.iterationInTest;
  const phone = `+${PHONE_PREFIX}${String((phoneBase + index) % 100_000_000).padStart(8, "0")}`;
  const rid = `${RID_PREFIX}-${index}`;
  const headers = { authorization, "content-type": "application/json", "x-request-id": rid };
  if (MIX === "send-verify" && index % 2 === 1) {
    http.post(`${BASE_URL}/v1/otp/verify`, JSON.stringify({ phone, code: "000000" }), {
      headers,
      tags: { name: "otp-verify", rid, phone },
      responseCallback: http.expectedStatuses(422),
      timeout: "10s",
    });
    return;
  }
  const answer = http.post(`${BASE_URL}/v1/otp/send`, JSON.stringify({ phone }), {
    headers,
    tags: { name: "otp-send", rid, phone },
    responseCallback: http.expectedStatuses(200),
    timeout: "10s",
  });
  if (answer.status !== 200) {
    let type = "none";
    try {
      type = String((answer.json() as { type?: string }).type ?? "none");
    } catch {
      // not JSON
    }
    refused.add(1, {
      rid,
      status: String(answer.status),
      problem_type: type,
      content_type: String(answer.headers["Content-Type"] ?? "none"),
      retry_after: String(answer.headers["Retry-After"] ?? "none"),
    });
  }
}

export function handleSummary(data: SummaryData): Record<string, string> {
  const value = metricValue(data);
  const summary = {
    iterations: value("iterations", "count"),
    droppedIterations: value("dropped_iterations", "count"),
    requests: value("http_reqs", "count"),
    p99Ms: value("http_req_duration", "p(99)"),
  };
  return summaryOutputs(summary);
}
