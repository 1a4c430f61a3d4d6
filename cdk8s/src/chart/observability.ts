// Scraping, alerting and dashboards: a ServiceMonitor and a PrometheusRule (Prometheus Operator
// CRDs, both off by default) and one ConfigMap per Grafana dashboard shipped in the chart.
import type { Construct } from "constructs";
import { include, tpl, values } from "../helm.ts";
import { metadata, nameExpr, selectorLabels } from "./common.ts";
import { HelmObject, HelmTemplate } from "./template.ts";

const SOURCE = "cdk8s/src/chart/observability.ts";

export function serviceMonitor(scope: Construct): void {
  const template = new HelmTemplate(scope, "servicemonitor", { file: "servicemonitor.yaml", source: SOURCE });
  const { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": instance } = selectorLabels("server");
  new HelmObject(template, "servicemonitor", {
    condition: values("metrics.serviceMonitor.enabled"),
    apiVersion: "monitoring.coreos.com/v1",
    kind: "ServiceMonitor",
    metadata: metadata({ component: "server", extraLabels: tpl.splice(values("metrics.serviceMonitor.labels")) }),
    spec: {
      namespaceSelector: { matchNames: [tpl.expr("$.Release.Namespace")] },
      selector: {
        matchLabels: { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": instance },
        matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: ["server", "worker"] }],
      },
      endpoints: [
        {
          port: "http",
          path: "/metrics",
          interval: tpl.expr(values("metrics.serviceMonitor.interval")),
          scrapeTimeout: tpl.expr(values("metrics.serviceMonitor.scrapeTimeout")),
        },
      ],
    },
  });
}

// PromQL with the release's names. Prometheus' own `{{ $labels.x }}` must reach the rule verbatim,
// so it is written as a Go raw string inside a Helm action.
const promTemplate = (expression: string) => `{{\`{{ ${expression} }}\`}}`;
const rule = (path: string) => `{{ ${values(`metrics.prometheusRule.${path}`)} }}`;
const NAMESPACE = `namespace="{{ $.Release.Namespace }}"`;
const HTTP = `${NAMESPACE},service="{{ ${include("fullname")} }}",route=~"${rule("routeRegex")}"`;
const ALL_SERVICES = `${NAMESPACE},service=~"{{ ${include("fullname")} }}|{{ ${nameExpr("worker")} }}"`;

const requests = (window: string, extra = "") => `sum(rate(http_server_request_duration_seconds_count{${HTTP}${extra}}[${window}]))`;
const errorRatio = (window: string) => `${requests(window, `,status_code=~"5.."`)} / ${requests(window)}`;
const slowRatio = (window: string) =>
  `1 - (sum(rate(http_server_request_duration_seconds_bucket{${HTTP},le="${rule("latencyThresholdSeconds")}"}[${window}])) / ${requests(window)})`;

/** Multi-window, multi-burn-rate alert (Google SRE workbook): both windows must burn faster than `factor`. */
function burnRate(ratio: (window: string) => string, objective: string, factor: number, long: string, short: string): string {
  const threshold = `(${factor} * (1 - ${rule(objective)}))`;
  return [`(`, `  ${ratio(long)}`, `) > ${threshold}`, "and", "(", `  ${ratio(short)}`, `) > ${threshold}`].join("\n");
}

interface Alert {
  alert: string;
  expr: string;
  for: string;
  severity: "critical" | "warning";
  summary: string;
  description: string;
}

const alerts: Record<string, Alert[]> = {
  slo: [
    {
      alert: "OtpServiceErrorBudgetBurnFast",
      expr: burnRate(errorRatio, "availabilityObjective", 14.4, "1h", "5m"),
      for: "2m",
      severity: "critical",
      summary: "5xx responses are burning the availability error budget 14.4× too fast (2% of a 30-day budget per hour).",
      description: `Error ratio over 1h: ${promTemplate("$value | humanizePercentage")} of requests to routes ${rule("routeRegex")}.`,
    },
    {
      alert: "OtpServiceErrorBudgetBurnSlow",
      expr: burnRate(errorRatio, "availabilityObjective", 6, "6h", "30m"),
      for: "15m",
      severity: "warning",
      summary: "5xx responses are burning the availability error budget 6× too fast (5% of a 30-day budget in 6h).",
      description: `Error ratio over 6h: ${promTemplate("$value | humanizePercentage")}.`,
    },
    {
      alert: "OtpServiceLatencyBudgetBurnFast",
      expr: burnRate(slowRatio, "latencyObjective", 14.4, "1h", "5m"),
      for: "2m",
      severity: "critical",
      summary: `Requests slower than ${rule("latencyThresholdSeconds")}s are burning the latency budget 14.4× too fast.`,
      description: `Share of slow requests over 1h: ${promTemplate("$value | humanizePercentage")}.`,
    },
    {
      alert: "OtpServiceLatencyBudgetBurnSlow",
      expr: burnRate(slowRatio, "latencyObjective", 6, "6h", "30m"),
      for: "15m",
      severity: "warning",
      summary: `Requests slower than ${rule("latencyThresholdSeconds")}s are burning the latency budget 6× too fast.`,
      description: `Share of slow requests over 6h: ${promTemplate("$value | humanizePercentage")}.`,
    },
  ],
  saturation: [
    {
      alert: "OtpServiceEventLoopLagHigh",
      expr: `max by (pod) (nodejs_eventloop_lag_p99_seconds{${ALL_SERVICES}}) > ${rule("eventLoopLagSeconds")}`,
      for: "5m",
      severity: "warning",
      summary: "The event loop of a Pod lags: CPU saturation or blocking work.",
      description: `Pod ${promTemplate("$labels.pod")}: p99 event-loop lag ${promTemplate("$value | humanizeDuration")}.`,
    },
    {
      alert: "OtpServicePostgresPoolWaiting",
      expr: `max by (pod, pool) (avg_over_time(pg_pool_connections{${ALL_SERVICES},state="waiting"}[5m])) > ${rule("pgPoolWaiting")}`,
      for: "5m",
      severity: "warning",
      summary: "Requests queue for a PostgreSQL connection: the pool (PG_POOL_MAX) or the database is saturated.",
      description: `Pod ${promTemplate("$labels.pod")}, pool ${promTemplate("$labels.pool")}: ${promTemplate("$value")} waiting on average.`,
    },
    {
      alert: "OtpServiceSmsStreamLag",
      expr: `max(sms_stream_lag{${ALL_SERVICES}}) > ${rule("smsStreamLag")}`,
      for: "10m",
      severity: "warning",
      summary: "SMS jobs pile up unread in the stream: the workers or the SMS provider cannot keep up.",
      description: `${promTemplate("$value")} jobs not yet read by any worker.`,
    },
    {
      alert: "OtpServicePodRestarts",
      expr: `sum by (pod) (increase(kube_pod_container_status_restarts_total{${NAMESPACE},pod=~"{{ ${include("fullname")} }}-.*"}[30m])) > ${rule("podRestarts")}`,
      for: "0m",
      severity: "warning",
      summary: "A Pod of the release keeps restarting.",
      description: `Pod ${promTemplate("$labels.pod")} restarted ${promTemplate("$value")} times in 30m.`,
    },
  ],
};

export function prometheusRule(scope: Construct): void {
  const template = new HelmTemplate(scope, "prometheusrule", { file: "prometheusrule.yaml", source: SOURCE });
  new HelmObject(template, "prometheusrule", {
    condition: values("metrics.prometheusRule.enabled"),
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: metadata({ component: "server", extraLabels: tpl.splice(values("metrics.prometheusRule.labels")) }),
    spec: {
      groups: Object.entries(alerts).map(([group, rules]) => ({
        name: tpl.raw(`{{ ${include("fullname")} }}.${group}`),
        rules: rules.map((alert) => ({
          alert: alert.alert,
          expr: tpl.text(alert.expr),
          for: alert.for,
          labels: { severity: alert.severity },
          annotations: { summary: tpl.text(alert.summary), description: tpl.text(alert.description) },
        })),
      })),
    },
  });
}

export interface Dashboard {
  /** File name inside the chart's dashboards/ folder. */
  file: string;
  /** DNS-safe part of the ConfigMap name. */
  slug: string;
}

/** One ConfigMap per dashboard JSON the generator copied into the chart (none: no objects). */
export function dashboards(scope: Construct, files: Dashboard[]): void {
  if (files.length === 0) return;
  const template = new HelmTemplate(scope, "dashboards", { file: "dashboards.yaml", source: SOURCE });
  for (const dashboard of files) {
    new HelmObject(template, dashboard.slug, {
      condition: values("dashboards.enabled"),
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: metadata({
        suffix: `dashboard-${dashboard.slug}`,
        component: "dashboards",
        extraLabels: tpl.splice(`dict ${values("dashboards.label")} ${values("dashboards.labelValue")}`),
        annotations: tpl.optional(values("dashboards.annotations")),
      }),
      data: { [dashboard.file]: tpl.expr(`$.Files.Get "dashboards/${dashboard.file}" | toJson`) },
    });
  }
}
