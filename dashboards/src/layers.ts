// Layers: one row per rung of the benchmark ladder (README "The benchmark ladder"), each with the same
// three panels (rate, p99, error ratio), so the layers' capacities compare side by side.
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import {
  dashboard,
  errorRatio,
  HTTP_SECONDS,
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

export const UID = "otp-layers";

/** The ladder's layers in ladder order, keyed by the route label of the service's histogram. */
export const LAYERS = [
  { layer: "hello", route: "/hello", script: "02-express-hello", what: "framework floor" },
  { layer: "delayed-hello", route: "/delayed-hello", script: "03-delayed-hello", what: "concurrency (timer, no CPU)" },
  { layer: "cpu", route: "/layers/cpu", script: "07-otp-code-capacity", what: "CPU only: code + HMAC" },
  { layer: "redis", route: "/layers/redis", script: "08-redis-capacity", what: "Redis only: SET + GET" },
  { layer: "select", route: "/layers/select", script: "09-tenant-settings-capacity", what: "PostgreSQL SELECT only" },
  { layer: "insert", route: "/layers/insert", script: "10-insert-capacity", what: "PostgreSQL INSERT only" },
  { layer: "send", route: "/v1/otp/send", script: "11-send-flow", what: "the full send flow" },
  { layer: "verify", route: "/v1/otp/verify", script: "12-verify-flow", what: "the full verify flow" },
] as const;

const LADDER_ROUTES = LAYERS.map(({ route }) => route).join("|");

export function layers(): Dashboard {
  const builder = dashboard(
    UID,
    "OTP service / Layers",
    "Each layer of the benchmark ladder on its own row: rate, p99 and error ratio, to compare capacities side by side.",
  )
    .withVariable(prometheusVariable())
    .withVariable(namespaceVariable())
    .withVariable(podVariable())
    .withVariable(testidVariable())
    .annotation(k6RunsAnnotation())

    .withRow(row("All layers"))
    .withPanel(
      series({
        title: "Rate by layer",
        description: "Requests per second per ladder route. A layer's capacity is the highest plateau that kept its SLO.",
        unit: "reqps",
        w: 12,
        queries: [{ expr: rate(`${HTTP_SECONDS}_count`, `${SERVICE}, route=~"${LADDER_ROUTES}"`, ["route"]), legend: "{{route}}" }],
      }),
    )
    .withPanel(
      series({
        title: "p99 by layer",
        description: "Server-side p99 per ladder route (the benchmark's SLO is p99 ≤ 50 ms).",
        unit: "s",
        w: 12,
        queries: [
          { expr: quantile(0.99, HTTP_SECONDS, `${SERVICE}, route=~"${LADDER_ROUTES}"`, ["route"]), legend: "{{route}}", exemplar: true },
        ],
        thresholds: [{ value: 0.05, color: "red" }],
      }),
    );

  for (const { layer, route, script, what } of LAYERS) {
    const matchers = `${SERVICE}, route="${route}"`;
    builder
      .withRow(row(`${layer}: ${route} (${script}, ${what})`))
      .withPanel(
        series({
          title: `${layer}: rate`,
          description: `Requests per second to ${route}, by status code.`,
          unit: "reqps",
          queries: [{ expr: rate(`${HTTP_SECONDS}_count`, matchers, ["status_code"]), legend: "{{status_code}}" }],
        }),
      )
      .withPanel(
        series({
          title: `${layer}: p99`,
          description: `Server-side p50 and p99 of ${route}.`,
          unit: "s",
          queries: [
            { expr: quantile(0.5, HTTP_SECONDS, matchers), legend: "p50", exemplar: true },
            { expr: quantile(0.99, HTTP_SECONDS, matchers), legend: "p99", exemplar: true },
          ],
          thresholds: [{ value: 0.05, color: "red" }],
        }),
      )
      .withPanel(
        series({
          title: `${layer}: error ratio`,
          description: `Share of 5xx answers from ${route}.`,
          unit: "percentunit",
          min: 0,
          queries: [{ expr: errorRatio(matchers), legend: "5xx ratio" }],
        }),
      );
  }

  const built = builder.build();
  numberPanels(built);
  return built;
}
