// Scraping, alerting and dashboards: a ServiceMonitor and PrometheusRules (Prometheus Operator
// CRDs, both off by default) and one ConfigMap per Grafana dashboard shipped in the chart.
import type { Construct } from "constructs";
import { isAlertingRule, PLAIN_CONTEXT, type RuleContext, ruleGroups } from "../../../dashboards/src/alerts.ts";
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

// The rule groups come from dashboards/src/alerts.ts, the single source that also renders the plain
// rules file the dashboards tests check and unit-test with promtool (never committed). Here they are rendered
// with the release's names and `metrics.prometheusRule.*` thresholds. Prometheus' own `{{ $labels.x }}`
// must reach the rule verbatim, so it is written as a Go raw string inside a Helm action.
const promTemplate = (expression: string) => `{{\`{{ ${expression} }}\`}}`;
const rule = (path: string) => `{{ ${values(`metrics.prometheusRule.${path}`)} }}`;
const FULLNAME = `{{ ${include("fullname")} }}`;
const NAMESPACE = `namespace="{{ $.Release.Namespace }}"`;

const chartRules: RuleContext = {
  server: `${NAMESPACE},service="${FULLNAME}"`,
  processes: `${NAMESPACE},service=~"${FULLNAME}|{{ ${nameExpr("worker")} }}"`,
  pods: `${NAMESPACE},pod=~"${FULLNAME}-.*"`,
  routeRegex: rule("routeRegex"),
  availabilityObjective: rule("availabilityObjective"),
  latencyObjective: rule("latencyObjective"),
  latencyThresholdSeconds: rule("latencyThresholdSeconds"),
  eventLoopLagSeconds: rule("eventLoopLagSeconds"),
  pgPoolWaiting: rule("pgPoolWaiting"),
  smsStreamLag: rule("smsStreamLag"),
  podRestarts: rule("podRestarts"),
  template: promTemplate,
  groupName: (group) => `${FULLNAME}.${group}`,
  runbook: PLAIN_CONTEXT.runbook,
};

/**
 * Two PrometheusRules: `<fullname>` with the alerts (groups `slo` and `saturation`) and
 * `<fullname>-recording` with the SLO ratios recorded for the dashboards. The alerts inline the same
 * ratio expressions, so they never depend on the recording group's evaluation.
 */
export function prometheusRule(scope: Construct): void {
  const template = new HelmTemplate(scope, "prometheusrule", { file: "prometheusrule.yaml", source: SOURCE });
  const groups = ruleGroups(chartRules);
  const spec = (selected: typeof groups) => ({
    groups: selected.map((group) => ({
      name: tpl.raw(group.name),
      rules: group.rules.map((candidate) =>
        isAlertingRule(candidate)
          ? {
              alert: candidate.alert,
              expr: tpl.text(candidate.expr),
              for: candidate.for,
              labels: { severity: candidate.labels.severity },
              annotations: {
                summary: tpl.text(candidate.annotations.summary),
                description: tpl.text(candidate.annotations.description),
                runbook_url: candidate.annotations.runbook_url,
              },
            }
          : { record: candidate.record, expr: tpl.text(candidate.expr) },
      ),
    })),
  });
  new HelmObject(template, "prometheusrule", {
    condition: values("metrics.prometheusRule.enabled"),
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: metadata({ component: "server", extraLabels: tpl.splice(values("metrics.prometheusRule.labels")) }),
    spec: spec(groups.filter((group) => group.key !== "slo-recording")),
  });
  new HelmObject(template, "prometheusrule-recording", {
    condition: values("metrics.prometheusRule.enabled"),
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: metadata({
      suffix: "recording",
      component: "server",
      extraLabels: tpl.splice(values("metrics.prometheusRule.labels")),
    }),
    spec: spec(groups.filter((group) => group.key === "slo-recording")),
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
