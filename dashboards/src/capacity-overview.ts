// Capacity overview: traffic, SLOs, saturation, dependencies, SMS delivery, send log, OTP outcomes and
// logs of the service, per namespace, pod and route.
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { DEFAULT_THRESHOLDS, RECORDED, SLO_WINDOWS, type SloWindow, SMS_BACKLOG_AGE_SECONDS } from "./alerts.ts";
import {
  CONTAINER,
  dashboard,
  errorRatio,
  HTTP_SECONDS,
  lokiVariable,
  namespaceVariable,
  numberPanels,
  podVariable,
  prometheusVariable,
  quantile,
  rate,
  routeVariable,
  row,
  SERVICE,
  series,
  traceIdVariable,
  traceLogs,
} from "./common.ts";

export const UID = "otp-capacity-overview";

const HTTP = `${SERVICE}, route=~"$route"`;
const NS = 'namespace=~"$namespace"';
/** 1 − objective, rounded so the JSON reads 0.001 rather than 0.0010000000000000009. */
const budget = (objective: number) => Number((1 - objective).toPrecision(6));
const ERROR_BUDGET = budget(DEFAULT_THRESHOLDS.availabilityObjective);
const LATENCY_BUDGET = budget(DEFAULT_THRESHOLDS.latencyObjective);

/** A recorded SLO ratio over each window ÷ its budget, against the slow (6) and fast (14.4) alerts' factors. */
const burnRatePanel = (title: string, description: string, recorded: (window: SloWindow) => string, budget: number) =>
  series({
    title,
    description,
    unit: "short",
    w: 12,
    queries: SLO_WINDOWS.map((window) => ({ expr: `${recorded(window)}{${NS}} / ${budget}`, legend: `${window} {{service}}` })),
    thresholds: [
      { value: 6, color: "orange" },
      { value: 14.4, color: "red" },
    ],
  });

export function capacityOverview(): Dashboard {
  const builder = dashboard(
    UID,
    "OTP service / Capacity overview",
    "Traffic, latency, saturation and dependencies of the OTP service: where capacity runs out, per pod and route.",
  )
    .withVariable(prometheusVariable())
    .withVariable(lokiVariable())
    .withVariable(namespaceVariable())
    .withVariable(podVariable())
    .withVariable(routeVariable())
    .withVariable(traceIdVariable())

    .withRow(row("Traffic"))
    .withPanel(
      series({
        title: "Request rate by route",
        description: "Requests per second answered, by route template (`unmatched` = 404s).",
        unit: "reqps",
        queries: [{ expr: rate(`${HTTP_SECONDS}_count`, HTTP, ["route"]), legend: "{{route}}" }],
      }),
    )
    .withPanel(
      series({
        title: "Error ratio (5xx) by route",
        description: "Share of requests answered with a 5xx, by route. The availability SLO allows 0.1 % on /v1/* routes.",
        unit: "percentunit",
        min: 0,
        queries: [{ expr: errorRatio(HTTP, ["route"]), legend: "{{route}}" }],
        thresholds: [{ value: ERROR_BUDGET, color: "red" }],
      }),
    )
    .withPanel(
      series({
        title: "Responses by status code",
        description: "Requests per second by HTTP status code.",
        unit: "reqps",
        queries: [{ expr: rate(`${HTTP_SECONDS}_count`, HTTP, ["status_code"]), legend: "{{status_code}}" }],
      }),
    )
    .withPanel(
      series({
        title: "Latency p50 / p95 / p99 by route",
        description:
          "Server-side request duration quantiles from the histogram (buckets 0.5 ms … 30 s). Exemplars link a point to its trace.",
        unit: "s",
        w: 16,
        h: 9,
        queries: [0.5, 0.95, 0.99].map((q) => ({
          expr: quantile(q, HTTP_SECONDS, HTTP, ["route"]),
          legend: `p${Math.round(q * 100)} {{route}}`,
          exemplar: true,
        })),
        thresholds: [{ value: Number(DEFAULT_THRESHOLDS.latencyThresholdSeconds), color: "red" }],
      }),
    )
    .withPanel(
      series({
        title: "In-flight requests by pod",
        description: "Requests received and not yet answered (Little's law: rate × latency).",
        unit: "short",
        h: 9,
        queries: [{ expr: `sum by (pod) (http_server_requests_in_flight{${SERVICE}})`, legend: "{{pod}}" }],
      }),
    )

    .withRow(row("SLO burn rates (recorded by the rule group otp-service.slo-recording)"))
    .withPanel(
      burnRatePanel(
        "Availability error budget burn rate",
        "5xx ratio of /v1/* requests ÷ the error budget (0.1 %), per window. The fast alert fires when 1h and 5m both exceed 14.4, the slow one when 6h and 30m exceed 6.",
        RECORDED.errorRatio,
        ERROR_BUDGET,
      ),
    )
    .withPanel(
      burnRatePanel(
        "Latency budget burn rate",
        `Share of /v1/* requests slower than ${DEFAULT_THRESHOLDS.latencyThresholdSeconds}s ÷ the latency budget (1 %), per window.`,
        RECORDED.slowRatio,
        LATENCY_BUDGET,
      ),
    )

    .withRow(row("Saturation"))
    .withPanel(
      series({
        title: "Event-loop lag p99 by pod",
        description: "prom-client's event-loop delay p99. Above 100 ms for 5m alerts (OtpServiceEventLoopLagHigh).",
        unit: "s",
        queries: [{ expr: `max by (pod) (nodejs_eventloop_lag_p99_seconds{${SERVICE}})`, legend: "{{pod}}" }],
        thresholds: [{ value: DEFAULT_THRESHOLDS.eventLoopLagSeconds, color: "red" }],
      }),
    )
    .withPanel(
      series({
        title: "CPU by pod",
        description:
          "Cores used: cAdvisor's container view (what the kubelet throttles against) and the Node process's own account (also outside Kubernetes).",
        unit: "short",
        queries: [
          {
            expr: `sum by (pod) (rate(container_cpu_usage_seconds_total{${CONTAINER}}[$__rate_interval]))`,
            legend: "container {{pod}}",
          },
          { expr: `sum by (pod) (rate(process_cpu_seconds_total{${SERVICE}}[$__rate_interval]))`, legend: "process {{pod}}" },
        ],
      }),
    )
    .withPanel(
      series({
        title: "Memory by pod",
        description: "cAdvisor's working set (what the OOM killer and evictions see) and the process's resident set.",
        unit: "bytes",
        queries: [
          { expr: `sum by (pod) (container_memory_working_set_bytes{${CONTAINER}})`, legend: "working set {{pod}}" },
          { expr: `sum by (pod) (process_resident_memory_bytes{${SERVICE}})`, legend: "RSS {{pod}}" },
        ],
      }),
    )
    .withPanel(
      series({
        title: "Replicas: reporting vs HPA desired / current",
        description:
          "Pods whose metrics Prometheus scrapes, by service, against the HorizontalPodAutoscaler's desired and current replicas (kube-state-metrics).",
        unit: "short",
        w: 24,
        h: 7,
        min: 0,
        queries: [
          { expr: `count by (service) (process_start_time_seconds{${NS}})`, legend: "reporting {{service}}" },
          {
            expr: `max by (horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_desired_replicas{${NS}})`,
            legend: "HPA desired {{horizontalpodautoscaler}}",
          },
          {
            expr: `max by (horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_current_replicas{${NS}})`,
            legend: "HPA current {{horizontalpodautoscaler}}",
          },
        ],
      }),
    )

    .withRow(row("Dependencies"))
    .withPanel(
      series({
        title: "PostgreSQL pool: in use and waiting",
        description:
          "Connections checked out (total − idle) and requests queued for one, per pod and pool. Waiting > 0 for 5m alerts (OtpServicePostgresPoolWaiting).",
        unit: "short",
        min: 0,
        queries: [
          {
            expr: `sum by (pod, pool) (pg_pool_connections{${SERVICE}, state="total"}) - sum by (pod, pool) (pg_pool_connections{${SERVICE}, state="idle"})`,
            legend: "in use {{pod}} {{pool}}",
          },
          { expr: `sum by (pod, pool) (pg_pool_connections{${SERVICE}, state="waiting"})`, legend: "waiting {{pod}} {{pool}}" },
        ],
      }),
    )
    .withPanel(
      series({
        title: "Redis command latency p99",
        description: "Round trip of each Redis command as the service sees it, p99 by command.",
        unit: "s",
        queries: [
          { expr: quantile(0.99, "redis_command_duration_seconds", SERVICE, ["command"]), legend: "p99 {{command}}", exemplar: true },
        ],
      }),
    )
    .withPanel(
      series({
        title: "Redis commands by outcome",
        description: "Redis commands per second, by command and outcome (ok, error).",
        unit: "ops",
        queries: [
          { expr: rate("redis_command_duration_seconds_count", SERVICE, ["command", "outcome"]), legend: "{{command}} {{outcome}}" },
        ],
      }),
    )

    .withRow(row("SMS delivery"))
    .withPanel(
      series({
        title: "SMS stream lag and pending",
        description:
          "Jobs in the Redis stream not yet read by any worker (lag) and read but not yet acknowledged (pending). Lag above 1000 or growing for 10m alerts.",
        unit: "short",
        min: 0,
        queries: [
          { expr: `max (sms_stream_lag{${NS}})`, legend: "lag" },
          { expr: `max (sms_stream_pending{${NS}})`, legend: "pending" },
        ],
        thresholds: [{ value: DEFAULT_THRESHOLDS.smsStreamLag, color: "red" }],
      }),
    )
    .withPanel(
      series({
        title: "SMS jobs by outcome",
        description:
          "Jobs per second: delivered; rejected (provider refused), expired_undelivered (provider unavailable until the code expired), dead_lettered (corrupt job); retried (extra attempts), reclaimed (taken over from an idle worker).",
        unit: "ops",
        queries: [{ expr: rate("sms_jobs_total", SERVICE, ["outcome"]), legend: "{{outcome}}" }],
      }),
    )
    .withPanel(
      series({
        title: "SMS provider send duration",
        description: "One send attempt to the SMS provider, p50 and p99 by outcome.",
        unit: "s",
        queries: [0.5, 0.99].map((q) => ({
          expr: quantile(q, "sms_send_duration_seconds", SERVICE, ["outcome"]),
          legend: `p${Math.round(q * 100)} {{outcome}}`,
          exemplar: true,
        })),
      }),
    )
    .withPanel(
      series({
        title: "SMS backlog age",
        description: `How long the oldest unfinished SMS job has waited. Retries go on until the code expires, so during a provider outage this grows; above ${SMS_BACKLOG_AGE_SECONDS} s for 2m alerts.`,
        unit: "s",
        min: 0,
        w: 12,
        queries: [{ expr: `max (sms_stream_oldest_job_age_seconds{${NS}})`, legend: "oldest job" }],
        thresholds: [{ value: SMS_BACKLOG_AGE_SECONDS, color: "red" }],
      }),
    )
    .withPanel(
      series({
        title: "SMS backlog and dead letters",
        description:
          "Jobs not yet finished (the job stream is never trimmed; the send side sheds load instead) and entries in the dead-letter stream (trimmed to about SMS_DEAD_LETTER_MAX_LENGTH; re-drive with `otp-service redrive-dead-letters`).",
        unit: "short",
        min: 0,
        w: 12,
        queries: [
          { expr: `max (sms_stream_length{${NS}})`, legend: "backlog" },
          { expr: `max (sms_dead_letter_length{${NS}})`, legend: "dead letters" },
        ],
      }),
    )

    .withRow(row("Send log (batched INSERTs)"))
    .withPanel(
      series({
        title: "Send-log flushes and batch size",
        description: "Committed INSERT batches per second and rows per batch (p50, p99): larger batches = fewer commits.",
        unit: "short",
        w: 12,
        queries: [
          { expr: rate("send_log_batch_size_count", SERVICE), legend: "flushes/s" },
          { expr: quantile(0.5, "send_log_batch_size", SERVICE), legend: "rows p50" },
          { expr: quantile(0.99, "send_log_batch_size", SERVICE), legend: "rows p99" },
        ],
      }),
    )
    .withPanel(
      series({
        title: "Send-log flush duration p99",
        description: "Duration of a send-log INSERT, by outcome (ok, unavailable = will retry, error = rejected).",
        unit: "s",
        w: 12,
        queries: [
          { expr: quantile(0.99, "send_log_flush_duration_seconds", SERVICE, ["outcome"]), legend: "p99 {{outcome}}", exemplar: true },
        ],
      }),
    )

    .withRow(row("OTP outcomes"))
    .withPanel(
      series({
        title: "OTP sends by outcome",
        description:
          "accepted, locked (verification locked: no SMS), shed_backlog_length and shed_backlog_age (503: the SMS could not arrive in time), rate_limited_phone, rate_limited_tenant_daily.",
        unit: "ops",
        w: 12,
        queries: [{ expr: rate("otp_sends_total", SERVICE, ["outcome"]), legend: "{{outcome}}" }],
      }),
    )
    .withPanel(
      series({
        title: "OTP verifications by outcome",
        description: "approved, invalid (a wrong code or none pending: the API does not tell them apart), locked.",
        unit: "ops",
        w: 12,
        queries: [{ expr: rate("otp_verifies_total", SERVICE, ["outcome"]), legend: "{{outcome}}" }],
      }),
    )

    .withRow(row("Logs"))
    .withPanel(traceLogs("Logs of one trace ($trace_id)"));

  const built = builder.build();
  numberPanels(built);
  return built;
}
