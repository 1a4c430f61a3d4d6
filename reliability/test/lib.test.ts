// The pure helpers the scenarios' verdicts rest on.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { acceptedSends } from "../lib/delivery.ts";
import { percentile } from "../lib/figures.ts";
import { haproxyConfig } from "../lib/haproxy.ts";
import { type K6Request, readK6Refusals, readK6Requests } from "../lib/k6.ts";
import { sustainedRecoveryMs } from "../lib/outage.ts";
import { compare } from "../lib/sample-comparison.ts";
import { Checks } from "../lib/scenario.ts";
import { codePattern, findLeaks } from "../lib/secrets-scan.ts";

const result = (startedAt: number, status: number): K6Request => ({
  name: "otp-send",
  status,
  startedAt,
  endedAt: startedAt + 1,
  ms: 1,
  tags: {},
});

describe("stats", () => {
  it("nearest-rank percentiles", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([], 99)).toBeNull();
  });

  it("compares two samples: no difference gives t ≈ 0, a shift gives a large t", () => {
    const a = Array.from({ length: 200 }, (_, i) => 10 + (i % 10) / 10);
    expect(Math.abs(compare(a, [...a].reverse())?.welchT ?? 99)).toBeLessThan(0.01);
    const shifted = compare(
      a,
      a.map((value) => value + 1),
    );
    expect(shifted?.difference).toBeCloseTo(1);
    expect(shifted?.welchT).toBeGreaterThan(20);
  });
});

describe("outage timeline", () => {
  it("recovery is measured to the first request after which none failed", () => {
    const results = [result(100, 503), result(200, 200), result(300, 503), result(400, 200), result(500, 200)];
    expect(sustainedRecoveryMs(results, 0, (r) => r.status === 200)).toBe(400);
    expect(sustainedRecoveryMs([...results, result(600, 503)], 0, (r) => r.status === 200)).toBeNull();
  });
});

describe("secrets scan", () => {
  it("finds a code only as a standalone token, not inside hashes or longer numbers", () => {
    expect(codePattern("123456").test('"text":"code 123456"')).toBe(true);
    expect(codePattern("123456").test("a1234567")).toBe(false);
    expect(codePattern("123456").test("ab123456cd")).toBe(false);
  });

  it("finds phone numbers with and without +, API keys and rendered SMS texts, but not the template", () => {
    const needles = { codes: [], phones: ["+15550001111"], apiKeys: ["otp_key_abc"] };
    expect(findLeaks("x", "to 15550001111 with otp_key_abc", needles)).toHaveLength(2);
    expect(findLeaks("x", "Your verification code is {code}", needles)).toHaveLength(0);
    expect(findLeaks("x", "Your verification code is 042917", needles)).toHaveLength(1);
  });
});

describe("haproxy config", () => {
  it("checks /ready, takes a server out after one failed check and retries what a closing server drops", () => {
    const config = haproxyConfig({ port: 1, statsPort: 2, servers: [{ name: "a", port: 3 }], checkIntervalMs: 500 });
    expect(config).toContain("option httpchk GET /ready");
    expect(config).toContain("http-check expect status 200");
    expect(config).toContain("inter 500ms fall 1 rise 2");
    expect(config).toContain("retry-on conn-failure empty-response response-timeout");
    expect(config).toContain("option redispatch");
    expect(config).toContain("server a 127.0.0.1:3 check");
  });
});

describe("checks", () => {
  it("record goal, measurement and verdict", () => {
    const checks = new Checks();
    checks.atMost("p99", 12, 50, " ms");
    checks.equal("lost", 1, 0);
    expect(checks.list).toEqual([
      { name: "p99", goal: "≤ 50 ms", measured: "12 ms", passed: true },
      { name: "lost", goal: "= 0", measured: "1", passed: false },
    ]);
  });
});

describe("k6 CSV", () => {
  it("reads each request's timing, status and own tags (request id, number), the accepted sends and the refusals", () => {
    const dir = mkdtempSync(join(tmpdir(), "k6-csv-test-"));
    const file = join(dir, "samples.csv");
    writeFileSync(
      file,
      [
        "metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,proto,scenario,service,status,subproto,tls_version,url,extra_tags,metadata",
        "http_reqs,1796422683938,1.000000,,,,true,,POST,otp-send,HTTP/1.1,sends,,200,,,otp-send,rid=po2-0&phone=+154949408115,",
        "http_req_duration,1796422683938,25.500000,,,,true,,POST,otp-send,HTTP/1.1,sends,,200,,,otp-send,rid=po2-0&phone=+154949408115,",
        "http_req_duration,1796422684000,3.000000,,,,false,,POST,otp-send,HTTP/1.1,sends,,503,,,otp-send,rid=po2-1&phone=+154949408116,",
        "otp_refused,1796422684000,1.000000,,,,,,,,,sends,,,,,,content_type=application/problem+json&name=otp-send&problem=true&problem_type=urn:otp-lab:problem:delivery-backlog&retry_after=30&rid=po2-1&status=503,",
        "http_req_duration,1796422684010,2.000000,,,,true,,POST,otp-verify,HTTP/1.1,sends,,422,,,otp-verify,rid=po2-2&phone=+154949408117,",
        "http_req_duration,1796422684020,2.000000,,,,false,,POST,otp-verify,HTTP/1.1,sends,,200,,,otp-verify,rid=po2-3&phone=+154949408118,",
        "",
      ].join("\n"),
    );
    try {
      const requests = readK6Requests(file, ["otp-send"]);
      expect(requests).toHaveLength(2);
      expect(requests[0]).toMatchObject({ status: 200, ms: 25.5, endedAt: 1796422683938, tags: { rid: "po2-0", phone: "+154949408115" } });
      expect(requests[0]?.startedAt).toBeCloseTo(1796422683912.5);
      // A verify answered 200 is no accepted send.
      expect(acceptedSends(readK6Requests(file))).toEqual([{ requestId: "po2-0", phone: "+154949408115" }]);
      expect(readK6Refusals(file)).toEqual([
        {
          name: "otp-send",
          rid: "po2-1",
          status: 503,
          problem: true,
          problemType: "urn:otp-lab:problem:delivery-backlog",
          contentType: "application/problem+json",
          retryAfter: "30",
        },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
