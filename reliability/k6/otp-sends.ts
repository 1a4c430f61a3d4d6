// Steady send traffic for the failure scenarios (redis-outage, postgres-outage, redis-killed,
// provider-outage, slowloris, sms-faults, worker-killed): a constant arrival rate of OTP sends, each to a
// fresh number, straight to the service. Every request carries
// X-Request-ID = <RID_PREFIX>-<iteration> and is tagged with that id and the number, so the orchestrator
// can read from k6's per-request CSV which sends were accepted and find each one's send-log row (by
// request id) and its message at the mock provider (by number).
//
// MIX=send (default): every iteration sends. MIX=send-verify: even iterations send, odd ones verify a
// wrong code for a fresh number (422), as a login page's traffic would mix them.
//
// Env: BASE_URL, API_KEY (a comma-separated list: iterations take the keys in turn), RATE (requests/s),
// DURATION_S (at least 1), LIMIT (requests; iterations past it send nothing, for a fixed batch at an open-model
// rate), SUMMARY_PATH, PHONE_PREFIX (4 digits), RID_PREFIX, MIX. An answer other than the expected
// one (send 200, verify 422) also adds an otp_refused sample tagged with its request id, status, whether
// it is an RFC 9457 problem, its problem type, content type and Retry-After (the CSV holds no bodies or
// headers).
import exec from "k6/execution";
import http from "k6/http";
import { Counter } from "k6/metrics";
import { metricValue, phoneOf, required, type SummaryData, steadyArrivals, summaryOutputs } from "./shared.ts";

const BASE_URL = required("BASE_URL");
const RID_PREFIX = __ENV.RID_PREFIX ?? "k6";
const MIX = __ENV.MIX ?? "send";
const LIMIT = Number(__ENV.LIMIT ?? Number.POSITIVE_INFINITY);
const authorizations = required("API_KEY")
  .split(",")
  .map((key) => `Bearer ${key}`);
/** One sample per unexpected answer, tagged with what the scenario checks of it. */
const refused = new Counter("otp_refused");

export const options = steadyArrivals("sends", 15);

export default function send(): void {
  const index = exec.scenario.iterationInTest;
  if (index >= LIMIT) return;
  const phone = phoneOf(index, "1553");
  const rid = `${RID_PREFIX}-${index}`;
  const authorization = authorizations[index % authorizations.length] as string;
  const headers = { authorization, "content-type": "application/json", "x-request-id": rid };
  const verify = MIX === "send-verify" && index % 2 === 1;
  const [name, path, body, expected] = verify
    ? ["otp-verify", "verify", { phone, code: "000000" }, 422]
    : ["otp-send", "send", { phone }, 200];
  const answer = http.post(`${BASE_URL}/v1/otp/${path}`, JSON.stringify(body), {
    headers,
    tags: { name, rid, phone },
    responseCallback: http.expectedStatuses(expected),
    timeout: "10s",
  });
  if (answer.status === expected) return;
  let problem: { type?: unknown; title?: unknown; status?: unknown } = {};
  try {
    problem = answer.json() as typeof problem;
  } catch {
    // not JSON
  }
  const contentType = String(answer.headers["Content-Type"] ?? "none");
  // RFC 9457: the media type and a body with a type, a title and the answer's own status.
  const isProblem =
    contentType.startsWith("application/problem+json") &&
    typeof problem.type === "string" &&
    typeof problem.title === "string" &&
    problem.status === answer.status;
  refused.add(1, {
    name,
    rid,
    status: String(answer.status),
    problem: String(isProblem),
    problem_type: String(problem.type ?? "none"),
    content_type: contentType,
    retry_after: String(answer.headers["Retry-After"] ?? "none"),
  });
}

export function handleSummary(data: SummaryData): Record<string, string> {
  const value = metricValue(data);
  const summary = {
    iterations: value("iterations", "count"),
    droppedIterations: value("dropped_iterations", "count"),
    requests: value("http_reqs", "count"),
    p50Ms: value("http_req_duration", "med"),
    p99Ms: value("http_req_duration", "p(99)"),
  };
  return summaryOutputs(summary);
}
