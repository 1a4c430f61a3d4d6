import { describe, expect, it } from "vitest";
import { bucketsOf, parsePrometheusText, quantileBetween, sumOf } from "../prometheus-text.ts";

const before = parsePrometheusText(`# HELP x
# TYPE redis_command_duration_seconds histogram
redis_command_duration_seconds_bucket{client="requests",command="get",le="0.001"} 10
redis_command_duration_seconds_bucket{client="requests",command="get",le="0.01"} 10
redis_command_duration_seconds_bucket{client="requests",command="get",le="+Inf"} 10
pg_pool_connections{pool="requests",state="waiting",service="otp"} 0
nodejs_eventloop_lag_p99_seconds{service="otp"} 0.0123
`);
const after = parsePrometheusText(`redis_command_duration_seconds_bucket{client="requests",command="get",le="0.001"} 60
redis_command_duration_seconds_bucket{client="requests",command="get",le="0.01"} 110
redis_command_duration_seconds_bucket{client="requests",command="get",le="+Inf"} 110
redis_command_duration_seconds_bucket{client="requests",command="set",le="0.001"} 0
redis_command_duration_seconds_bucket{client="requests",command="set",le="0.01"} 0
redis_command_duration_seconds_bucket{client="requests",command="set",le="+Inf"} 0
pg_pool_connections{pool="requests",state="waiting",service="otp"} 3
pg_pool_connections{pool="health",state="waiting",service="otp"} 7
`);

describe("Prometheus text", () => {
  it("parses samples with labels, escapes and special values", () => {
    const [sample] = parsePrometheusText('m{a="x\\"y",le="+Inf"} 4.5e-3');
    expect(sample).toEqual({ name: "m", labels: { a: 'x"y', le: "+Inf" }, value: 0.0045 });
  });

  it("sums the samples whose labels match", () => {
    expect(sumOf(after, "pg_pool_connections", { pool: "requests", state: "waiting" })).toBe(3);
    expect(sumOf(after, "pg_pool_connections", { state: "waiting" })).toBe(10);
    expect(sumOf(before, "nodejs_eventloop_lag_p99_seconds")).toBeCloseTo(0.0123);
    expect(sumOf(before, "absent_metric")).toBeNull();
  });

  it("computes a quantile of the observations between two snapshots", () => {
    const a = bucketsOf(before, "redis_command_duration_seconds", { client: "requests" });
    const b = bucketsOf(after, "redis_command_duration_seconds", { client: "requests" });
    // 100 new observations: 50 at or below 1 ms, 50 in (1 ms, 10 ms].
    expect(quantileBetween(a, b, 0.5)).toBeCloseTo(0.001);
    expect(quantileBetween(a, b, 0.99)).toBeCloseTo(0.001 + 0.009 * (49 / 50));
    expect(quantileBetween(b, b, 0.99)).toBeNull();
  });
});
