// The dashboards' proof load: a few requests per second to every route the dashboards show (the ladder's
// layers, the OTP API, an error and a 404), plus one scenario starved of VUs so k6 reports dropped
// iterations. Run with `-o experimental-prometheus-rw` and `--tag testid=…` by test/global-setup.ts.
import { check } from "k6";
import http, { type RefinedResponse, type ResponseType } from "k6/http";

const BASE_URL = __ENV.BASE_URL ?? "";
const TENANTS_FILE = __ENV.TENANTS_FILE ?? "";
const RATE = Number(__ENV.RATE ?? "4");
const DURATION = __ENV.DURATION ?? "12s";
if (!BASE_URL || !TENANTS_FILE) throw new Error("BASE_URL and TENANTS_FILE are required");

const apiKey = (JSON.parse(open(TENANTS_FILE)) as { tenants: { apiKey: string }[] }).tenants[0]?.apiKey;
if (!apiKey) throw new Error(`${TENANTS_FILE} holds no tenant`);
const auth = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };

const steady = (exec: string) => ({
  executor: "constant-arrival-rate" as const,
  exec,
  rate: RATE,
  timeUnit: "1s",
  duration: DURATION,
  preAllocatedVUs: 2,
  maxVUs: 5,
});

export const options = {
  discardResponseBodies: true,
  scenarios: {
    hello: steady("hello"),
    delayedHello: steady("delayedHello"),
    cpu: steady("cpu"),
    redis: steady("redis"),
    select: steady("select"),
    insert: steady("insert"),
    send: steady("send"),
    verify: steady("verify"),
    testError: steady("testError"),
    notFound: steady("notFound"),
    // One VU for 10 iterations/s of a 300 ms request: most iterations cannot start (dropped_iterations).
    starved: {
      executor: "constant-arrival-rate" as const,
      exec: "starved",
      rate: 10,
      timeUnit: "1s",
      duration: DURATION,
      preAllocatedVUs: 1,
      maxVUs: 1,
    },
  },
};

function expect(response: RefinedResponse<ResponseType | undefined>, status: number): void {
  check(response, { [`status is ${status}`]: (r) => r.status === status });
}

const phone = () => `+1555${String(Math.floor(Math.random() * 10_000_000)).padStart(7, "0")}`;
const ok = (status: number) => ({ responseCallback: http.expectedStatuses(status) });

export function hello(): void {
  expect(http.get(`${BASE_URL}/hello`, { tags: { name: "hello" } }), 200);
}
export function delayedHello(): void {
  expect(http.get(`${BASE_URL}/delayed-hello?ms=20`, { tags: { name: "delayed-hello" } }), 200);
}
export function cpu(): void {
  expect(http.get(`${BASE_URL}/layers/cpu`, { tags: { name: "layer-cpu" } }), 200);
}
export function redis(): void {
  expect(http.get(`${BASE_URL}/layers/redis`, { tags: { name: "layer-redis" } }), 200);
}
export function select(): void {
  expect(http.get(`${BASE_URL}/layers/select`, { headers: auth, tags: { name: "layer-select" } }), 200);
}
export function insert(): void {
  expect(http.post(`${BASE_URL}/layers/insert`, null, { tags: { name: "layer-insert" }, ...ok(201) }), 201);
}
export function send(): void {
  const body = JSON.stringify({ phone: phone() });
  expect(http.post(`${BASE_URL}/v1/otp/send`, body, { headers: auth, tags: { name: "otp-send" } }), 200);
}
export function verify(): void {
  // A number with no code sent: 422, answered like a wrong code and counted in otp_verifies_total as invalid.
  const body = JSON.stringify({ phone: phone(), code: "123456" });
  const response = http.post(`${BASE_URL}/v1/otp/verify`, body, { headers: auth, tags: { name: "otp-verify" }, ...ok(422) });
  expect(response, 422);
}
export function testError(): void {
  expect(http.get(`${BASE_URL}/test-error`, { tags: { name: "test-error" }, ...ok(500) }), 500);
}
export function notFound(): void {
  expect(http.get(`${BASE_URL}/no-such-route`, { tags: { name: "not-found" }, ...ok(404) }), 404);
}
export function starved(): void {
  expect(http.get(`${BASE_URL}/delayed-hello?ms=300`, { tags: { name: "starved" } }), 200);
}
