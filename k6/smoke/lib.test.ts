// Unit tests for the k6 library's pure half (plan, summary, test data): no k6, no stack needed.
import { describe, expect, test } from "vitest";
import { extractCode, parseTenants, randomPhone, VERIFY_PHONE_SPACE, verifyPhone } from "../lib/otp-data.ts";
import {
  BenchConfigError,
  buildPlan,
  buildScenarios,
  buildThresholds,
  GRACEFUL_STOP_S,
  parseConfig,
  uniqueIterationIndex,
  vuSizing,
} from "../lib/plan.ts";
import { buildScriptSummary, formatSummaryText, type K6Metric, type K6SummaryData } from "../lib/summary.ts";

const BASE = { BASE_URL: "http://127.0.0.1:8080/", RATES: "100,200,400" };

describe("parseConfig", () => {
  test("applies the defaults", () => {
    expect(parseConfig(BASE)).toEqual({
      baseUrl: "http://127.0.0.1:8080",
      rates: [100, 200, 400],
      plateauSeconds: 10,
      warmupSeconds: 5,
      warmupRate: 50,
      checkSampleRate: 0.01,
      sloP99Ms: 50,
      sloErrorRate: 0.01,
      abortFactor: 10,
      maxVus: 200,
      summaryPath: undefined,
      tenantsFile: undefined,
      smsUrl: undefined,
      delayMs: 100,
      verifyMaxCodes: 20_000,
    });
  });

  test("reads every setting; empty values count as unset", () => {
    const config = parseConfig({
      ...BASE,
      RATES: " 5, 10 ,15",
      PLATEAU_SECONDS: "30",
      WARMUP_SECONDS: "0",
      WARMUP_RATE: "",
      CHECK_SAMPLE_RATE: "1",
      SLO_P99_MS: "12.5",
      SLO_ERROR_RATE: "0.001",
      ABORT_FACTOR: "0",
      MAX_VUS: "50",
      SUMMARY_PATH: "/tmp/s.json",
      TENANTS_FILE: "/tmp/t.json",
      SMS_URL: "http://127.0.0.1:8090",
      DELAY_MS: "250",
    });
    expect(config).toMatchObject({
      rates: [5, 10, 15],
      plateauSeconds: 30,
      warmupSeconds: 0,
      warmupRate: 3,
      checkSampleRate: 1,
      sloP99Ms: 12.5,
      sloErrorRate: 0.001,
      abortFactor: 0,
      maxVus: 50,
      summaryPath: "/tmp/s.json",
      tenantsFile: "/tmp/t.json",
      smsUrl: "http://127.0.0.1:8090",
      delayMs: 250,
    });
  });

  test("names every bad variable in one error", () => {
    const attempt = () =>
      parseConfig({ RATES: "100,50", CHECK_SAMPLE_RATE: "1.5", ABORT_FACTOR: "0.5", PLATEAU_SECONDS: "2.5", SMS_URL: "ftp://x" });
    expect(attempt).toThrow(BenchConfigError);
    expect(attempt).toThrow(
      /^invalid benchmark configuration: BASE_URL: is required.*; RATES: must be strictly ascending.*; PLATEAU_SECONDS: must be a whole number.*; CHECK_SAMPLE_RATE: must be between 0 and 1.*; ABORT_FACTOR: must be 0 \(no abort\) or at least 1.*; SMS_URL: must be an http/,
    );
  });

  test.each([["0"], ["x"], ["100,,200"], ["-5"]])("refuses RATES=%s", (rates) => {
    expect(() => parseConfig({ ...BASE, RATES: rates })).toThrow(/RATES: must be a comma-separated list/);
  });

  test("refuses SLO_ERROR_RATE=0, which no run can meet", () => {
    expect(() => parseConfig({ ...BASE, SLO_ERROR_RATE: "0" })).toThrow(/SLO_ERROR_RATE: must be above 0/);
  });

  test.each([["K6_VUS"], ["K6_DURATION"], ["K6_ITERATIONS"], ["K6_STAGES"]])("refuses %s, which would replace the scenarios", (name) => {
    expect(() => parseConfig({ ...BASE, [name]: "5" })).toThrow(new RegExp(`^${name} is set: k6 would replace`));
  });

  test("names all the shortcut variables that are set", () => {
    expect(() => parseConfig({ ...BASE, K6_VUS: "5", K6_STAGES: "10s:5" })).toThrow(/^K6_VUS, K6_STAGES are set/);
  });
});

describe("vuSizing", () => {
  test("pre-allocates for twice the SLO latency (or twice the expected one), within the floor and the cap", () => {
    expect(vuSizing(1000, 10, 50, 200)).toEqual({ neededVUs: 10, preAllocatedVUs: 100, maxVUs: 200 });
    expect(vuSizing(1000, 80, 50, 500)).toEqual({ neededVUs: 80, preAllocatedVUs: 160, maxVUs: 500 });
    expect(vuSizing(5, 1, 50, 200)).toEqual({ neededVUs: 0.005, preAllocatedVUs: 5, maxVUs: 200 });
    expect(vuSizing(5000, 100, 50, 200)).toEqual({ neededVUs: 500, preAllocatedVUs: 200, maxVUs: 200 });
    expect(vuSizing(100, 10, 50, 3)).toEqual({ neededVUs: 1, preAllocatedVUs: 3, maxVUs: 3 });
  });
});

describe("buildPlan", () => {
  const config = parseConfig({ ...BASE, PLATEAU_SECONDS: "10", WARMUP_SECONDS: "5" });

  test("runs the warm-up, then the plateaus back to back", () => {
    const plan = buildPlan(config, { expectedLatencyMs: 2 });
    expect(plan.warmup).toMatchObject({ name: "warmup", phase: "warmup", rate: 50, startS: 0, durationS: 5 });
    expect(plan.plateaus.map(({ name, rate, startS, durationS }) => ({ name, rate, startS, durationS }))).toEqual([
      { name: "p01", rate: 100, startS: 5, durationS: 10 },
      { name: "p02", rate: 200, startS: 15, durationS: 10 },
      { name: "p03", rate: 400, startS: 25, durationS: 10 },
    ]);
    expect(plan.mainDurationS).toBe(35);
    expect(plan.sloP99Ms).toBe(50);
    expect(plan.abortP99Ms).toBe(500);
    expect(plan.warnings).toEqual([]);
  });

  test("gives every scenario a disjoint range of unique iteration indexes", () => {
    const plan = buildPlan(config, { expectedLatencyMs: 2 });
    expect([plan.warmup, ...plan.plateaus].map((scenario) => [scenario?.iterationOffset, scenario?.iterationBudget])).toEqual([
      [0, 253],
      [253, 1003],
      [1256, 2003],
      [3259, 4003],
    ]);
    expect(plan.totalIterationBudget).toBe(7262);
    expect(uniqueIterationIndex(plan, "warmup", 0)).toBe(0);
    expect(uniqueIterationIndex(plan, "p02", 7)).toBe(1263);
    expect(() => uniqueIterationIndex(plan, "p02", 2003)).toThrow(/beyond its budget/);
    expect(() => uniqueIterationIndex(plan, "p09", 0)).toThrow(/unknown scenario/);
  });

  test("leaves the warm-up out when WARMUP_SECONDS=0", () => {
    const plan = buildPlan(parseConfig({ ...BASE, WARMUP_SECONDS: "0" }), { expectedLatencyMs: 2 });
    expect(plan.warmup).toBeNull();
    expect(plan.plateaus[0]?.startS).toBe(0);
    expect(Object.keys(buildScenarios(plan))).toEqual(["p01", "p02", "p03"]);
  });

  test("warns when a plateau needs more VUs than MAX_VUS allows", () => {
    const plan = buildPlan(parseConfig({ ...BASE, MAX_VUS: "50" }), { expectedLatencyMs: 100 });
    // p03: 400 req/s × 100 ms = 40 VUs in flight, ×2 headroom = 80 > 50; p02's 20 × 2 = 40 still fits.
    expect(plan.warnings).toHaveLength(1);
    expect(plan.warnings[0]).toMatch(/^p03: 400 req\/s × ~100 ms needs ~40 VUs in flight \(×2 headroom\), close to or above MAX_VUS=50/);
  });

  test("adds a latency allowance to the SLO and the abort limit", () => {
    const plan = buildPlan(config, { expectedLatencyMs: 102, latencyAllowanceMs: 100 });
    expect(plan.sloP99Ms).toBe(150);
    expect(plan.abortP99Ms).toBe(600);
  });
});

describe("buildScenarios", () => {
  test("makes constant-arrival-rate scenarios tagged by phase and plateau", () => {
    const plan = buildPlan(parseConfig({ ...BASE, RATES: "100,200" }), { expectedLatencyMs: 10 });
    const scenarios = buildScenarios(plan);
    expect(scenarios.warmup).toEqual({
      executor: "constant-arrival-rate",
      rate: 50,
      timeUnit: "1s",
      duration: "5s",
      startTime: "0s",
      preAllocatedVUs: 5,
      maxVUs: 200,
      gracefulStop: `${GRACEFUL_STOP_S}s`,
      tags: { phase: "warmup" },
    });
    expect(scenarios.p02).toMatchObject({
      rate: 200,
      startTime: "15s",
      duration: "10s",
      preAllocatedVUs: 20,
      tags: { phase: "main", plateau: "p02", offered_rps: "200" },
    });
  });
});

describe("buildThresholds", () => {
  test("puts the SLO, errors, drops, checks and the abort on each plateau's phase:main sub-metrics", () => {
    const plan = buildPlan(parseConfig({ ...BASE, RATES: "100" }), { expectedLatencyMs: 2, plateauTrends: ["vus_busy"] });
    expect(buildThresholds(plan)).toEqual({
      "http_req_duration{phase:warmup}": ["max>=0"],
      "http_reqs{phase:warmup}": ["count>=0"],
      "http_req_duration{phase:main,scenario:p01}": ["p(99)<50", { threshold: "p(99)<500", abortOnFail: true, delayAbortEval: "5s" }],
      "http_req_failed{phase:main,scenario:p01}": ["rate<0.01"],
      "http_reqs{phase:main,scenario:p01}": ["count>0"],
      "dropped_iterations{scenario:p01}": ["count<1"],
      "checks{phase:main,scenario:p01}": ["rate>0.99"],
      "vus_busy{scenario:p01}": ["max>=0"],
    });
  });

  test("drops the abort when ABORT_FACTOR=0 and the checks when CHECK_SAMPLE_RATE=0", () => {
    const plan = buildPlan(parseConfig({ ...BASE, RATES: "100", ABORT_FACTOR: "0", CHECK_SAMPLE_RATE: "0", WARMUP_SECONDS: "0" }), {
      expectedLatencyMs: 2,
    });
    expect(buildThresholds(plan)).toEqual({
      "http_req_duration{phase:main,scenario:p01}": ["p(99)<50"],
      "http_req_failed{phase:main,scenario:p01}": ["rate<0.01"],
      "http_reqs{phase:main,scenario:p01}": ["count>0"],
      "dropped_iterations{scenario:p01}": ["count<1"],
    });
  });
});

describe("buildScriptSummary", () => {
  const plan = buildPlan(parseConfig({ ...BASE, PLATEAU_SECONDS: "10", WARMUP_SECONDS: "5" }), { expectedLatencyMs: 2 });
  const started = 1_800_000_000_000;
  const trend = (p99: number, ok = true, abortOk = true): K6Metric => ({
    type: "trend",
    values: { avg: p99 / 2, min: 0.1, med: p99 / 3, "p(90)": p99 * 0.8, "p(95)": p99 * 0.9, "p(99)": p99, max: p99 * 2, count: 10 },
    thresholds: { "p(99)<50": { ok }, "p(99)<500": { ok: abortOk } },
  });
  const counter = (count: number, ok = true): K6Metric => ({
    type: "counter",
    values: { count, rate: count / 10 },
    thresholds: { x: { ok } },
  });
  const rate = (passes: number, fails: number): K6Metric => ({
    type: "rate",
    values: { passes, fails, rate: passes + fails > 0 ? passes / (passes + fails) : 0 },
  });

  test("reports each plateau from its phase:main sub-metrics", () => {
    const data: K6SummaryData = {
      setup_data: { mainStartedAtMs: started, data: null },
      metrics: {
        "http_req_duration{phase:warmup}": trend(3),
        "http_reqs{phase:warmup}": counter(251),
        "http_req_duration{phase:main,scenario:p01}": trend(4),
        "http_reqs{phase:main,scenario:p01}": counter(1001),
        "http_req_failed{phase:main,scenario:p01}": rate(2, 999),
        "dropped_iterations{scenario:p01}": counter(0),
        "checks{phase:main,scenario:p01}": rate(10, 0),
        "http_req_duration{phase:main,scenario:p02}": trend(60, false),
        "http_reqs{phase:main,scenario:p02}": counter(2001),
        "http_req_failed{phase:main,scenario:p02}": rate(0, 2001),
        "dropped_iterations{scenario:p02}": counter(3, false),
        "checks{phase:main,scenario:p02}": rate(0, 0),
        "http_req_duration{phase:main,scenario:p03}": trend(70, false),
        "http_reqs{phase:main,scenario:p03}": counter(4001),
        vus_max: { type: "gauge", values: { value: 40, min: 15, max: 40 } },
      },
    };
    const summary = buildScriptSummary(data, plan, "07-otp-code-capacity", started + 36_000);
    expect(summary).toMatchObject({
      script: "07-otp-code-capacity",
      mainStartedAtMs: started,
      warmup: { rate: 50, durationS: 5, requests: 251, p99Ms: 3 },
      aborted: false,
      vusMaxObserved: 40,
      thresholdsCrossed: [
        "dropped_iterations{scenario:p02}",
        "http_req_duration{phase:main,scenario:p02}",
        "http_req_duration{phase:main,scenario:p03}",
      ],
    });
    expect(summary.plateaus[0]).toEqual({
      name: "p01",
      offeredRps: 100,
      startOffsetS: 5,
      durationS: 10,
      requests: 1001,
      failedRequests: 2,
      droppedIterations: 0,
      latencyMs: { avg: 2, p50: 4 / 3, p95: 3.6, p99: 4, max: 8 },
      vusCap: 200,
      checksPassRate: 1,
    });
    expect(summary.plateaus[1]).toMatchObject({ name: "p02", droppedIterations: 3, checksPassRate: null });
    expect(summary.plateaus[2]).toMatchObject({ name: "p03", durationS: 10, checksPassRate: null });

    const text = formatSummaryText(summary, data, { endpoint: "GET /layers/cpu", plan });
    expect(text).toContain("07-otp-code-capacity · GET /layers/cpu · SLO p99 < 50 ms, errors < 1 %");
    expect(text).toMatch(/^p01 +100 +100 +1001 +2 +0 /m);
    expect(text).not.toContain("ABORTED");
  });

  test("omits the plateaus an abort never reached and cuts the one it interrupted", () => {
    const data: K6SummaryData = {
      setup_data: { mainStartedAtMs: started, data: null },
      metrics: {
        "http_req_duration{phase:main,scenario:p01}": trend(4),
        "http_reqs{phase:main,scenario:p01}": counter(1001),
        "http_req_duration{phase:main,scenario:p02}": trend(900, false, false),
        "http_reqs{phase:main,scenario:p02}": counter(700),
        "http_req_duration{phase:main,scenario:p03}": { type: "trend", values: {}, thresholds: { "p(99)<50": { ok: true } } },
        "http_reqs{phase:main,scenario:p03}": counter(0, false),
      },
    };
    // Aborted 18.5 s into the main phase: p02 (15 s to 25 s) ran 3.5 s.
    const summary = buildScriptSummary(data, plan, "11-send-flow", started + 18_500);
    expect(summary.aborted).toBe(true);
    expect(summary.plateaus.map((plateau) => [plateau.name, plateau.durationS])).toEqual([
      ["p01", 10],
      ["p02", 3.5],
    ]);
    expect(summary.thresholdsCrossed).toEqual(["http_req_duration{phase:main,scenario:p02}"]);
    expect(summary.warmup).toEqual({ rate: 50, durationS: 5, requests: 0, p99Ms: 0 });
    expect(formatSummaryText(summary, data, { endpoint: "POST /v1/otp/send", plan })).toContain("never ran: p03 (400 req/s)");
  });

  test("says nothing ran when setup never finished", () => {
    const summary = buildScriptSummary({ metrics: {} }, plan, "12-verify-flow", Date.now());
    expect(summary).toMatchObject({ mainStartedAtMs: 0, plateaus: [], aborted: true, thresholdsCrossed: [], vusMaxObserved: 0 });
  });
});

describe("OTP test data", () => {
  const E164 = /^\+[1-9]\d{6,14}$/; // the service's own rule (app/src/domain/otp/codes.ts)

  test("parses the seed command's output and refuses anything else", () => {
    const tenants = [{ id: "a", name: "bench-1", apiKey: "otp_bench_1_0123456789abcdef" }];
    expect(parseTenants(JSON.stringify({ tenants }), "f")).toEqual(tenants);
    expect(() => parseTenants("nope", "f")).toThrow(/^f: not JSON/);
    expect(() => parseTenants('{"tenants":[]}', "f")).toThrow(/at least one tenant/);
    expect(() => parseTenants('{"tenants":[{"id":"a","name":"b"}]}', "f")).toThrow(/tenants\[0\] needs string id, name and apiKey/);
  });

  test("makes valid E.164 numbers", () => {
    expect(randomPhone(() => 0)).toBe("+15550000000");
    expect(randomPhone(() => 0.9999999999)).toBe("+15559999999");
    expect(randomPhone()).toMatch(E164);
    expect(verifyPhone(42, 1)).toBe("+155600000043");
    expect(verifyPhone(VERIFY_PHONE_SPACE - 1, 2)).toBe("+155600000001");
    expect(verifyPhone(VERIFY_PHONE_SPACE - 1, 0)).toMatch(E164);
  });

  test("finds the code in an SMS", () => {
    expect(extractCode("Your verification code is 042917")).toBe("042917");
    expect(extractCode("Acme 2026: 1234 is your code")).toBe("1234");
    expect(extractCode("no code")).toBeUndefined();
  });
});
