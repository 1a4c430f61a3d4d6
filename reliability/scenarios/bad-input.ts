// Bad input: property-based fuzzing of the public API from app/openapi.json with schemathesis (no 5xx,
// no answer outside the schema), plus hand-written hostile requests that must all get a clear 4xx problem.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { openScenario } from "../lib/opening.ts";
import { type CallResult, call, isProblem, json } from "../lib/otp-client.ts";
import { OPENAPI_PATH } from "../lib/paths.ts";
import { Checks, type Scenario } from "../lib/scenario.ts";
import { ensureSchemathesis, runSchemathesis, SCHEMATHESIS_VERSION } from "../lib/schemathesis.ts";
import { metric, scrape } from "../lib/service-metrics.ts";

const BODY_LIMIT_BYTES = 16_384;
const PROBE_ROUTES = new Set(["/ready", "/live", "/health"]);

interface Case {
  name: string;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** The status it must get; a field it must name when 400. */
  status: number;
  field?: string;
}

export const badInput: Scenario = {
  name: "bad-input",
  summary: `schemathesis ${SCHEMATHESIS_VERSION} against app/openapi.json (--checks all) and hand-written hostile requests: no 5xx, every error a 4xx problem+json`,
  async run(context) {
    const { workDir, size, log } = context;
    const schemathesis = ensureSchemathesis(log);
    // Access logs on (info): a 5xx is then found with its path in the service's own log.
    const { tenant, service } = await openScenario(context, {
      tenant: "bi",
      service: { env: { LOG_LEVEL: "info", ACCESS_LOG_ENABLED: "true" } },
    });
    const auth = { authorization: `Bearer ${tenant.apiKey}` };
    const jsonHeaders = { ...auth, "content-type": "application/json" };

    const cases = handWrittenCases(jsonHeaders, auth);
    const outcomes: Array<{ name: string; status: number; problem: boolean; fields: string[]; ok: boolean }> = [];
    for (const testCase of cases) {
      const result = await call(`${service.url}${testCase.path ?? "/v1/otp/send"}`, {
        method: testCase.method ?? "POST",
        headers: testCase.headers ?? jsonHeaders,
        ...(testCase.body !== undefined ? { body: testCase.body } : {}),
      });
      const fields = fieldsOf(result);
      const ok =
        result.status === testCase.status && isProblem(result) && (testCase.field === undefined || fields.includes(testCase.field));
      outcomes.push({ name: testCase.name, status: result.status, problem: isProblem(result), fields, ok });
    }
    const wrong = outcomes.filter((outcome) => !outcome.ok);
    log(`hand-written cases: ${outcomes.length - wrong.length}/${outcomes.length} as expected`);

    const maxExamples = size(20, 1000);
    log(`schemathesis run --checks all --max-examples ${maxExamples}`);
    const fuzz = await runSchemathesis({
      binary: schemathesis,
      schema: OPENAPI_PATH,
      url: service.url,
      apiKey: tenant.apiKey,
      maxExamples,
      dir: workDir,
      timeoutMs: size(150_000, 600_000),
    });
    writeFileSync(join(workDir, "schemathesis.out"), fuzz.output);
    const samples = await scrape(service.url);
    const unhandled = metric(samples, "http_server_unhandled_errors_total");
    // Probes are left out: the harness polls /ready while the service starts, and "starting" is a 503.
    const serverErrors = samples.filter(
      (sample) =>
        sample.name === "http_server_request_duration_seconds_count" &&
        (sample.labels.status_code ?? "").startsWith("5") &&
        !PROBE_ROUTES.has(sample.labels.route ?? ""),
    );
    const server5xx = serverErrors.reduce((sum, sample) => sum + sample.value, 0);

    const checks = new Checks();
    checks.add(
      "hand-written hostile requests: expected 4xx problem+json",
      `${cases.length}/${cases.length}`,
      `${outcomes.length - wrong.length}/${cases.length}`,
      wrong.length === 0,
    );
    checks.equal("schemathesis exit code", fuzz.exitCode, 0);
    checks.equal("schemathesis failures (any check)", fuzz.failures, 0);
    checks.equal("schemathesis errors", fuzz.errors, 0);
    checks.atLeast("schemathesis test cases generated", fuzz.testCases, 1);
    checks.equal("5xx answers the service counted (API routes)", server5xx, 0);
    checks.equal("http_server_unhandled_errors_total", unhandled, 0);

    return {
      figures: {
        handWrittenCases: cases.length,
        handWrittenUnexpected: wrong.map((outcome) => `${outcome.name}: ${outcome.status}${outcome.problem ? "" : " (not problem+json)"}`),
        handWritten: Object.fromEntries(outcomes.map((outcome) => [outcome.name, outcome.status])),
        schemathesisVersion: SCHEMATHESIS_VERSION,
        schemathesisMaxExamples: maxExamples,
        schemathesisTestCases: fuzz.testCases,
        schemathesisFailures: fuzz.failures,
        schemathesisFailureKinds: fuzz.failureKinds,
        schemathesisErrors: fuzz.errors,
        schemathesisWarnings: fuzz.warnings,
        schemathesisDurationS: fuzz.durationS,
        server5xx,
        server5xxBy: Object.fromEntries(
          serverErrors.map((sample) => [`${sample.labels.method} ${sample.labels.route} ${sample.labels.status_code}`, sample.value]),
        ),
        server5xxRequests: serverErrorLines(service.logText()),
        unhandledErrors: unhandled,
      },
      checks: checks.list,
      notes: [
        `schemathesis ${SCHEMATHESIS_VERSION} (PyPI, pinned, in a venv under the tool cache) runs its examples, coverage and fuzzing phases (stateful does not apply: the document has no links) against app/openapi.json with --checks all; reliability/schemathesis.toml gives it the tenant's key as the bearer scheme's credential, keeps it from adding unknown headers (HTTP allows them), and accepts 422/429 as answers to a well-formed verify (wrong code, locked).`,
        "The validation_mismatch warning on verifyOtp is expected: a random well-formed code is almost always wrong, so the answer is 422.",
        `Hand-written: bodies over HTTP_BODY_LIMIT_BYTES (${BODY_LIMIT_BYTES}) → 413; wrong or missing content types and charsets → 415; malformed, truncated, non-UTF-8 and deeply nested JSON → 400; invalid phone numbers and codes → 400 naming the field; wrong methods → 405; bad keys → 401.`,
        "Not covered: slowloris-style slow bodies (HTTP_REQUEST_TIMEOUT_MS and a proxy's timeouts handle those), HTTP/2, and anything in front of the service.",
      ],
    };
  },
};

/** The access-log lines of 5xx answers, and any error-level line, for the report. */
function serverErrorLines(logText: string): string[] {
  const lines: string[] = [];
  for (const line of logText.split("\n")) {
    if (!line.startsWith("{")) continue;
    const entry = JSON.parse(line) as {
      level?: string;
      status?: number;
      method?: string;
      path?: string;
      msg?: string;
      err?: { message?: string };
    };
    if ((entry.status ?? 0) >= 500 && !PROBE_ROUTES.has(entry.path ?? "")) lines.push(`${entry.method} ${entry.path} → ${entry.status}`);
    else if (entry.level === "error" || (entry.level === "warn" && entry.msg?.startsWith("request failed")))
      lines.push(`${entry.level}: ${entry.msg}${entry.err?.message ? ` (${entry.err.message})` : ""}`);
  }
  return lines.slice(0, 20);
}

function fieldsOf(result: CallResult): string[] {
  const errors = json(result)?.errors;
  return Array.isArray(errors) ? errors.map((error) => String((error as { field?: unknown }).field)) : [];
}

function handWrittenCases(jsonHeaders: Record<string, string>, auth: Record<string, string>): Case[] {
  const phone = "+15551230000";
  const send = (name: string, body: unknown, field = "body.phone"): Case => ({ name, body: JSON.stringify(body), status: 400, field });
  const verify = (name: string, body: unknown, field: string): Case => ({
    name,
    path: "/v1/otp/verify",
    body: JSON.stringify(body),
    status: 400,
    field,
  });
  const depth = 5_000;
  return [
    // Size and media type.
    { name: "oversized body (64 KiB)", body: JSON.stringify({ phone, pad: "x".repeat(64 * 1024) }), status: 413 },
    { name: "oversized body just past the limit", body: JSON.stringify({ phone, pad: "x".repeat(BODY_LIMIT_BYTES) }), status: 413 },
    { name: "text/plain", headers: { ...auth, "content-type": "text/plain" }, body: `phone=${phone}`, status: 415 },
    {
      name: "form-urlencoded",
      headers: { ...auth, "content-type": "application/x-www-form-urlencoded" },
      body: `phone=${phone}`,
      status: 415,
    },
    { name: "no content type", headers: auth, body: JSON.stringify({ phone }), status: 415 },
    { name: "multipart", headers: { ...auth, "content-type": "multipart/form-data; boundary=x" }, body: "--x--", status: 415 },
    {
      name: "unsupported charset",
      headers: { ...jsonHeaders, "content-type": "application/json; charset=latin1" },
      body: JSON.stringify({ phone }),
      status: 415,
    },
    {
      name: "unsupported content-encoding",
      headers: { ...jsonHeaders, "content-encoding": "compress" },
      body: JSON.stringify({ phone }),
      status: 415,
    },
    {
      name: "gzip bomb past the limit",
      headers: { ...jsonHeaders, "content-encoding": "gzip" },
      body: gzipSync(Buffer.from(JSON.stringify({ phone, pad: "0".repeat(1_000_000) }))),
      status: 413,
    },
    // Malformed JSON.
    { name: "truncated JSON", body: '{"phone":', status: 400 },
    { name: "JSON with a trailing comma", body: `{"phone":"${phone}",}`, status: 400 },
    { name: "top-level string", body: '"+15551230000"', status: 400 },
    { name: "top-level array", body: `["${phone}"]`, status: 400 },
    { name: "empty body", body: "", status: 400 },
    { name: "invalid UTF-8", body: Buffer.from([0x7b, 0x22, 0x70, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), status: 400 },
    { name: `arrays nested ${depth} deep`, body: `${"[".repeat(depth)}${"]".repeat(depth)}`, status: 400 },
    {
      name: `objects nested ${depth / 2} deep as a field`,
      body: `{"phone":"${phone}","x":${'{"a":'.repeat(depth / 2)}1${"}".repeat(depth / 2)}}`,
      status: 400,
      field: "body",
    },
    { name: "__proto__ key", body: `{"__proto__":{"admin":true},"phone":"${phone}"}`, status: 400 },
    { name: "duplicate keys, last invalid", body: `{"phone":"${phone}","phone":"nope"}`, status: 400, field: "body.phone" },
    // Phone numbers.
    send("phone missing", {}),
    send("phone empty", { phone: "" }),
    send("phone without +", { phone: "15551230000" }),
    send("phone with leading 0 country code", { phone: "+05551230000" }),
    send("phone too short", { phone: "+12345" }),
    send("phone 16 digits", { phone: "+1234567890123456" }),
    send("phone with spaces", { phone: "+1 555 123 0000" }),
    send("phone with a newline", { phone: `${phone}\n` }),
    send("phone in Arabic-Indic digits", { phone: "+١٥٥٥١٢٣٠٠٠٠" }),
    send("phone as a number", { phone: 15551230000 }),
    send("phone null", { phone: null }),
    send("phone as an array", { phone: [phone] }),
    send("phone 10k characters", { phone: `+1${"5".repeat(10_000)}` }),
    send("unknown extra field", { phone, code: "123456" }, "body"),
    // Codes.
    verify("code missing", { phone }, "body.code"),
    verify("code empty", { phone, code: "" }, "body.code"),
    verify("code 3 digits", { phone, code: "123" }, "body.code"),
    verify("code 11 digits", { phone, code: "12345678901" }, "body.code"),
    verify("code with a letter", { phone, code: "12a456" }, "body.code"),
    verify("code with a space", { phone, code: " 123456" }, "body.code"),
    verify("code as a number", { phone, code: 123456 }, "body.code"),
    verify("code in fullwidth digits", { phone, code: "１２３４５６" }, "body.code"),
    verify("code with SQL", { phone, code: "1' OR '1'='1" }, "body.code"),
    verify("verify phone invalid", { phone: "+0", code: "123456" }, "body.phone"),
    // Methods and auth.
    { name: "GET on send", method: "GET", headers: auth, status: 405 },
    { name: "PUT on verify", method: "PUT", path: "/v1/otp/verify", body: JSON.stringify({ phone, code: "123456" }), status: 405 },
    { name: "no Authorization", headers: { "content-type": "application/json" }, body: JSON.stringify({ phone }), status: 401 },
    {
      name: "Basic auth",
      headers: { "content-type": "application/json", authorization: "Basic dXNlcjpwYXNz" },
      body: JSON.stringify({ phone }),
      status: 401,
    },
    {
      name: "oversized bearer token",
      headers: { "content-type": "application/json", authorization: `Bearer ${"a".repeat(5_000)}` },
      body: JSON.stringify({ phone }),
      status: 401,
    },
    { name: "unknown path", path: "/v1/otp/%2e%2e/admin", status: 404 },
  ];
}
