// The service's Prometheus rules, in one place: SLO recording rules, multi-window multi-burn-rate
// alerts and saturation alerts. Two consumers render them:
//   - dashboards/src/generate.ts → a plain rules file with the defaults below, never committed: the tests
//     write it to a temporary folder (promtool checks and unit-tests it; the proof Prometheus loads it);
//   - cdk8s/src/chart/observability.ts → the chart's PrometheusRule, where selectors name the release and
//     thresholds are Helm expressions over `metrics.prometheusRule.*`.
// No dependencies and erasable syntax only, so both Node (type stripping) and the cdk8s app import it as is.

/** Where the rules are rendered: label matchers, thresholds and how text is written. */
export interface RuleContext {
  /** Matchers (no braces) for the HTTP server's series, e.g. `service="otp-service"`. */
  server: string;
  /** Matchers for every process of the release: the server and a separate SMS worker. */
  processes: string;
  /** Matchers for kube-state-metrics' per-container series of the release's Pods. */
  pods: string;
  /** Thresholds and objectives: numbers as PromQL text, or template expressions that render to them. */
  routeRegex: string;
  availabilityObjective: string;
  latencyObjective: string;
  /** A bucket boundary of http_server_request_duration_seconds, as its `le` label reads. */
  latencyThresholdSeconds: string;
  eventLoopLagSeconds: string;
  pgPoolWaiting: string;
  smsStreamLag: string;
  podRestarts: string;
  /** Writes a Prometheus template action `{{ <expression> }}` (the chart must escape it from Helm). */
  template: (expression: string) => string;
  /** Rule group name for a group key (`slo`, `saturation`, `slo-recording`). */
  groupName: (group: GroupKey) => string;
  /** runbook_url of an alert: an anchor into dashboards/README.md. */
  runbook: (alert: string) => string;
}

export type GroupKey = "slo-recording" | "slo" | "saturation";
export type Severity = "critical" | "warning";

export interface AlertingRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: Severity };
  annotations: { summary: string; description: string; runbook_url: string };
}

export interface RecordingRule {
  record: string;
  expr: string;
}

export interface RuleGroup {
  key: GroupKey;
  name: string;
  rules: (AlertingRule | RecordingRule)[];
}

/** The defaults of the plain rules file; the chart's values.yaml carries its own (metrics.prometheusRule.*). */
export const DEFAULT_THRESHOLDS = {
  routeRegex: "/v1/.*",
  availabilityObjective: 0.999,
  latencyObjective: 0.99,
  latencyThresholdSeconds: "0.25",
  eventLoopLagSeconds: 0.1,
  pgPoolWaiting: 0,
  smsStreamLag: 1000,
  podRestarts: 0,
} as const;

/**
 * SMS delivery: a code is typically valid for minutes, so a job that has waited a minute is already
 * late for the person waiting for it. Fixed here rather than chart values: they follow from the TTL.
 */
export const SMS_BACKLOG_AGE_SECONDS = 60;
/** The outcomes that leave a job in the dead-letter stream. */
export const SMS_DEAD_LETTER_OUTCOMES = "rejected|expired_undelivered|dead_lettered";

/** Where the runbooks live, relative to the repository root. */
export const RUNBOOK_DOC = "dashboards/README.md";
/** GitHub's anchor for a `### <Alert>` heading. */
export const runbookAnchor = (alert: string): string => alert.toLowerCase();

/** The plain rules file's context: series as the service labels them itself (`service` = OTEL_SERVICE_NAME). */
export const PLAIN_CONTEXT: RuleContext = {
  server: 'service="otp-service"',
  processes: 'service=~"otp-service|otp-service-worker"',
  pods: 'pod=~"otp-service-.*"',
  routeRegex: DEFAULT_THRESHOLDS.routeRegex,
  availabilityObjective: String(DEFAULT_THRESHOLDS.availabilityObjective),
  latencyObjective: String(DEFAULT_THRESHOLDS.latencyObjective),
  latencyThresholdSeconds: DEFAULT_THRESHOLDS.latencyThresholdSeconds,
  eventLoopLagSeconds: String(DEFAULT_THRESHOLDS.eventLoopLagSeconds),
  pgPoolWaiting: String(DEFAULT_THRESHOLDS.pgPoolWaiting),
  smsStreamLag: String(DEFAULT_THRESHOLDS.smsStreamLag),
  podRestarts: String(DEFAULT_THRESHOLDS.podRestarts),
  template: (expression) => `{{ ${expression} }}`,
  groupName: (group) => `otp-service.${group}`,
  runbook: (alert) => `${RUNBOOK_DOC}#${runbookAnchor(alert)}`,
};

/** The SLO windows: alerts pair a long and a short one; every one is also recorded for the dashboards. */
export const SLO_WINDOWS = ["5m", "30m", "1h", "6h"] as const;
export type SloWindow = (typeof SLO_WINDOWS)[number];

/** Recorded SLO ratios keep the labels that tell releases apart. */
const BY = "by (namespace, service)";

/** Names of the recorded ratios (`level:metric:operation`), shared with the dashboards. */
export const RECORDED = {
  errorRatio: (window: SloWindow) => `namespace_service:http_server_request_errors:ratio_rate${window}`,
  slowRatio: (window: SloWindow) => `namespace_service:http_server_request_slow:ratio_rate${window}`,
};

/** PromQL of the two SLO ratios over a window, for the release's SLO routes. */
export function sloRatios(context: RuleContext) {
  const http = `${context.server},route=~"${context.routeRegex}"`;
  const requests = (window: string, extra = "") =>
    `sum ${BY} (rate(http_server_request_duration_seconds_count{${http}${extra}}[${window}]))`;
  return {
    /** Share of requests answered 5xx; 0 (not absent) while none failed, so the recorded series is continuous. */
    errorRatio: (window: string) => `(${requests(window, `,status_code=~"5.."`)} / ${requests(window)}) or (0 * ${requests(window)})`,
    /** Share of requests slower than the threshold (requests minus those within the `le` bucket). */
    slowRatio: (window: string) =>
      `1 - (sum ${BY} (rate(http_server_request_duration_seconds_bucket{${http},le="${context.latencyThresholdSeconds}"}[${window}])) / ${requests(window)})`,
  };
}

/** Multi-window, multi-burn-rate condition (Google SRE workbook): both windows burn faster than `factor`. */
function burnRate(ratio: (window: string) => string, objective: string, factor: number, long: SloWindow, short: SloWindow): string {
  const threshold = `(${factor} * (1 - ${objective}))`;
  return ["(", `  ${ratio(long)}`, `) > ${threshold}`, "and", "(", `  ${ratio(short)}`, `) > ${threshold}`].join("\n");
}

export function ruleGroups(context: RuleContext): RuleGroup[] {
  const { errorRatio, slowRatio } = sloRatios(context);
  const t = context.template;
  const alert = (name: string, severity: Severity, duration: string, expr: string, summary: string, description: string): AlertingRule => ({
    alert: name,
    expr,
    for: duration,
    labels: { severity },
    annotations: { summary, description, runbook_url: context.runbook(name) },
  });
  const where = `${t("$labels.namespace")}/${t("$labels.service")}`;

  return [
    {
      key: "slo-recording",
      name: context.groupName("slo-recording"),
      rules: SLO_WINDOWS.flatMap((window) => [
        { record: RECORDED.errorRatio(window), expr: errorRatio(window) },
        { record: RECORDED.slowRatio(window), expr: slowRatio(window) },
      ]),
    },
    {
      key: "slo",
      name: context.groupName("slo"),
      rules: [
        alert(
          "OtpServiceErrorBudgetBurnFast",
          "critical",
          "2m",
          burnRate(errorRatio, context.availabilityObjective, 14.4, "1h", "5m"),
          "5xx responses are burning the availability error budget 14.4× too fast (2% of a 30-day budget per hour).",
          `${where}: ${t("$value | humanizePercentage")} of requests to routes ${context.routeRegex} failed with 5xx over 1h (and over 5m).`,
        ),
        alert(
          "OtpServiceErrorBudgetBurnSlow",
          "warning",
          "15m",
          burnRate(errorRatio, context.availabilityObjective, 6, "6h", "30m"),
          "5xx responses are burning the availability error budget 6× too fast (5% of a 30-day budget in 6h).",
          `${where}: ${t("$value | humanizePercentage")} of requests to routes ${context.routeRegex} failed with 5xx over 6h (and over 30m).`,
        ),
        alert(
          "OtpServiceLatencyBudgetBurnFast",
          "critical",
          "2m",
          burnRate(slowRatio, context.latencyObjective, 14.4, "1h", "5m"),
          `Requests slower than ${context.latencyThresholdSeconds}s are burning the latency budget 14.4× too fast.`,
          `${where}: ${t("$value | humanizePercentage")} of requests to routes ${context.routeRegex} took longer than ${context.latencyThresholdSeconds}s over 1h (and over 5m).`,
        ),
        alert(
          "OtpServiceLatencyBudgetBurnSlow",
          "warning",
          "15m",
          burnRate(slowRatio, context.latencyObjective, 6, "6h", "30m"),
          `Requests slower than ${context.latencyThresholdSeconds}s are burning the latency budget 6× too fast.`,
          `${where}: ${t("$value | humanizePercentage")} of requests to routes ${context.routeRegex} took longer than ${context.latencyThresholdSeconds}s over 6h (and over 30m).`,
        ),
      ],
    },
    {
      key: "saturation",
      name: context.groupName("saturation"),
      rules: [
        alert(
          "OtpServiceEventLoopLagHigh",
          "warning",
          "5m",
          `max by (namespace, pod) (nodejs_eventloop_lag_p99_seconds{${context.processes}}) > ${context.eventLoopLagSeconds}`,
          "The event loop of a Pod lags: CPU saturation or blocking work.",
          `Pod ${t("$labels.pod")}: p99 event-loop lag ${t("$value | humanizeDuration")} for 5m.`,
        ),
        alert(
          "OtpServicePostgresPoolWaiting",
          "warning",
          "5m",
          `max by (namespace, pod, pool) (pg_pool_connections{${context.processes},state="waiting"}) > ${context.pgPoolWaiting}`,
          "Requests queue for a PostgreSQL connection: the pool (PG_POOL_MAX) or the database is saturated.",
          `Pod ${t("$labels.pod")}, pool ${t("$labels.pool")}: ${t("$value")} requests waiting for a connection, for 5m.`,
        ),
        alert(
          "OtpServiceSmsStreamLag",
          "warning",
          "10m",
          [
            `max by (namespace) (sms_stream_lag{${context.processes}}) > ${context.smsStreamLag}`,
            "or",
            "(",
            `  max by (namespace) (sms_stream_lag{${context.processes}}) > 0`,
            "  and",
            `  max by (namespace) (deriv(sms_stream_lag{${context.processes}}[5m])) > 0`,
            ")",
          ].join("\n"),
          "SMS jobs pile up unread in the stream: the workers or the SMS provider cannot keep up.",
          `${t("$value")} jobs not yet read by any worker in ${t("$labels.namespace")}: above ${context.smsStreamLag}, or growing, for 10m.`,
        ),
        alert(
          "OtpServiceSmsBacklogOld",
          "critical",
          "2m",
          `max by (namespace) (sms_stream_oldest_job_age_seconds{${context.processes}}) > ${SMS_BACKLOG_AGE_SECONDS}`,
          "The oldest SMS job has waited over a minute: codes expire before their SMS arrives (provider outage, or too few workers).",
          `The oldest unfinished SMS job in ${t("$labels.namespace")} has waited ${t('printf "%.0f" $value')} s (more than ${SMS_BACKLOG_AGE_SECONDS} s) for 2m.`,
        ),
        alert(
          "OtpServiceSmsDeadLetters",
          "warning",
          "0m",
          `sum by (namespace) (increase(sms_jobs_total{${context.processes},outcome=~"${SMS_DEAD_LETTER_OUTCOMES}"}[10m])) > 0`,
          "SMS jobs were dead-lettered: rejected by the provider, undelivered until their code expired, or corrupt.",
          `${t('printf "%.0f" $value')} SMS job(s) dead-lettered in ${t("$labels.namespace")} in 10m.`,
        ),
        alert(
          "OtpServicePodRestarts",
          "warning",
          "0m",
          `sum by (namespace, pod) (increase(kube_pod_container_status_restarts_total{${context.pods}}[15m])) > ${context.podRestarts}`,
          "A Pod of the release restarted (a crash loop, or a rollout whose new Pods fail).",
          `Pod ${t("$labels.pod")}: ${t('printf "%.0f" $value')} container restart(s) in 15m.`,
        ),
      ],
    },
  ];
}

export const isAlertingRule = (rule: AlertingRule | RecordingRule): rule is AlertingRule => "alert" in rule;

/** The plain Prometheus rules file (`groups:`), as a JSON-compatible object for a YAML writer. */
export function plainRuleFile(context: RuleContext = PLAIN_CONTEXT): { groups: { name: string; rules: Record<string, unknown>[] }[] } {
  return {
    groups: ruleGroups(context).map((group) => ({
      name: group.name,
      rules: group.rules.map((rule) =>
        isAlertingRule(rule)
          ? { alert: rule.alert, expr: rule.expr, for: rule.for, labels: { ...rule.labels }, annotations: { ...rule.annotations } }
          : { record: rule.record, expr: rule.expr },
      ),
    })),
  };
}
