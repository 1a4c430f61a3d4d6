// Load test: what k6 offered and measured (its experimental-prometheus-rw output, trends as native
// histograms), on the same time axis as what the service saw. One annotation region per test id.
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import {
  dashboard,
  errorRatio,
  HTTP_SECONDS,
  K6,
  k6RunsAnnotation,
  namespaceVariable,
  numberPanels,
  podVariable,
  prometheusVariable,
  quantile,
  rate,
  row,
  SERVICE,
  series,
  testidVariable,
} from "./common.ts";

export const UID = "otp-load-test";

/** k6 writes trends as native histograms: no `_bucket` series, histogram_quantile reads the histogram itself. */
const k6Quantile = (q: number) => `histogram_quantile(${q}, sum by (name) (rate(k6_http_req_duration_seconds{${K6}}[$__rate_interval])))`;

export function loadTest(): Dashboard {
  const builder = dashboard(
    UID,
    "OTP service / Load test (k6)",
    "k6 runs (experimental-prometheus-rw, K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM=true, --tag testid=…) next to the service under test.",
  )
    .withVariable(prometheusVariable())
    .withVariable(testidVariable())
    .withVariable(namespaceVariable())
    .withVariable(podVariable())
    .annotation(k6RunsAnnotation())

    .withRow(row("k6: offered load and what it measured"))
    .withPanel(
      series({
        title: "k6 request rate by request name",
        description: "Requests per second k6 completed, by the `name` tag (one per endpoint), summed over every runner.",
        unit: "reqps",
        queries: [{ expr: rate("k6_http_reqs_total", K6, ["name"]), legend: "{{name}}" }],
      }),
    )
    .withPanel(
      series({
        title: "k6 request duration p95 / p99",
        description:
          "http_req_duration quantiles by request name, aggregated across runners by summing their native histograms (not by averaging per-runner quantiles).",
        unit: "s",
        queries: [
          { expr: k6Quantile(0.95), legend: "p95 {{name}}" },
          { expr: k6Quantile(0.99), legend: "p99 {{name}}" },
        ],
      }),
    )
    .withPanel(
      series({
        title: "k6 failed requests",
        description: "Share of k6 requests k6 counted as failed (expected_response=false), by request name.",
        unit: "percentunit",
        min: 0,
        queries: [
          {
            expr: `(${rate("k6_http_reqs_total", `${K6}, expected_response="false"`, ["name"])} / ${rate("k6_http_reqs_total", K6, ["name"])}) or (0 * ${rate("k6_http_reqs_total", K6, ["name"])})`,
            legend: "{{name}}",
          },
        ],
      }),
    )
    .withPanel(
      series({
        title: "Virtual users",
        description: "Active and allocated VUs, summed over runners.",
        unit: "short",
        min: 0,
        queries: [
          { expr: `sum by (testid) (k6_vus{${K6}})`, legend: "active {{testid}}" },
          { expr: `sum by (testid) (k6_vus_max{${K6}})`, legend: "allocated {{testid}}" },
        ],
      }),
    )
    .withPanel(
      series({
        title: "Dropped iterations",
        description:
          "Iterations an arrival-rate executor could not start (no free VU): the offered rate was not offered. Any value here voids a plateau's figures.",
        unit: "ops",
        min: 0,
        queries: [{ expr: rate("k6_dropped_iterations_total", K6, ["scenario"]), legend: "{{scenario}}" }],
        thresholds: [{ value: 0.001, color: "red" }],
      }),
    )
    .withPanel(
      series({
        title: "Checks passing",
        description: "Share of checks that passed since the run started, by check (k6's Rate metric; sampled by CHECK_SAMPLE_RATE).",
        unit: "percentunit",
        min: 0,
        max: 1,
        queries: [{ expr: `min by (check) (k6_checks_rate{${K6}})`, legend: "{{check}}" }],
      }),
    )
    .withPanel(
      series({
        title: "k6 iterations",
        description: "Iterations per second completed, by scenario (one scenario per plateau in the ladder).",
        unit: "ops",
        w: 24,
        h: 6,
        queries: [{ expr: rate("k6_iterations_total", K6, ["scenario"]), legend: "{{scenario}}" }],
      }),
    )

    .withRow(row("The service under test (same time axis)"))
    .withPanel(
      series({
        title: "Service request rate by route",
        description: "What the service answered: compare with k6's rate above (a gap = requests lost or still queued).",
        unit: "reqps",
        queries: [{ expr: rate(`${HTTP_SECONDS}_count`, SERVICE, ["route"]), legend: "{{route}}" }],
      }),
    )
    .withPanel(
      series({
        title: "Service latency p99 by route",
        description: "Server-side p99; the difference to k6's p99 is network, connection and client queueing time.",
        unit: "s",
        queries: [{ expr: quantile(0.99, HTTP_SECONDS, SERVICE, ["route"]), legend: "p99 {{route}}", exemplar: true }],
      }),
    )
    .withPanel(
      series({
        title: "Service error ratio (5xx) by route",
        description: "Share of 5xx responses by route.",
        unit: "percentunit",
        min: 0,
        queries: [{ expr: errorRatio(SERVICE, ["route"]), legend: "{{route}}" }],
      }),
    )
    .withPanel(
      series({
        title: "Service CPU and event-loop lag",
        description: "Process CPU (cores) and event-loop lag p99 (seconds): the two signs that the Node process itself is the limit.",
        unit: "short",
        queries: [
          { expr: `sum by (pod) (rate(process_cpu_seconds_total{${SERVICE}}[$__rate_interval]))`, legend: "CPU cores {{pod}}" },
          { expr: `max by (pod) (nodejs_eventloop_lag_p99_seconds{${SERVICE}})`, legend: "loop lag p99 s {{pod}}" },
        ],
      }),
    )
    .withPanel(
      series({
        title: "PostgreSQL pool waiting and SMS stream lag",
        description: "Queues in front of the two dependencies that saturate first under the send flow.",
        unit: "short",
        min: 0,
        queries: [
          { expr: `sum by (pod) (pg_pool_connections{${SERVICE}, state="waiting"})`, legend: "pg waiting {{pod}}" },
          { expr: 'max (sms_stream_lag{namespace=~"$namespace"})', legend: "SMS stream lag" },
        ],
      }),
    )
    .withPanel(
      series({
        title: "Mock SMS provider requests",
        description: "Sends the (benchmark's) mock SMS provider received, by outcome: accepted, failed (injected), rejected.",
        unit: "ops",
        queries: [{ expr: rate("mock_sms_requests_total", 'namespace=~"$namespace"', ["outcome"]), legend: "{{outcome}}" }],
      }),
    );

  const built = builder.build();
  numberPanels(built);
  return built;
}
