// Shared pieces of the three dashboards: datasources, template variables, PromQL fragments and the
// panel helpers. Everything is built through the foundation SDK's builders, so the output is typed by
// the SDK's schema (dashboard schemaVersion as the SDK defines it).
import * as common from "@grafana/grafana-foundation-sdk/common";
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  TextBoxVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  TimePickerBuilder,
  VariableHide,
  VariableRefresh,
  VariableSort,
} from "@grafana/grafana-foundation-sdk/dashboard";
import * as logs from "@grafana/grafana-foundation-sdk/logs";
import * as loki from "@grafana/grafana-foundation-sdk/loki";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";

/** The datasource uids kube-prometheus-stack's values provision (prometheus, loki, tempo, jaeger). */
export const DATASOURCE_UIDS = { prometheus: "prometheus", loki: "loki", tempo: "tempo", jaeger: "jaeger" } as const;

/** `${name}`: a reference to a dashboard variable, as Grafana interpolates it. */
export const variableRef = (name: string) => `\${${name}}`;

/** Panels and queries reference Prometheus through the `datasource` variable, Loki through `loki`. */
export const PROMETHEUS = { type: "prometheus", uid: variableRef("datasource") };
export const LOKI = { type: "loki", uid: variableRef("loki") };

export const TAG = "otp-capacity-lab";

/** Matchers every service query carries (the ServiceMonitor adds `namespace` and `pod` as target labels). */
export const SERVICE = 'namespace=~"$namespace", pod=~"$pod"';
/** The k6 run(s) on display. */
export const K6 = 'testid=~"$testid"';
/** cAdvisor's per-container series, without the pause container and the Pod-level aggregate. */
export const CONTAINER = `${SERVICE}, container!="", container!="POD"`;

export const HTTP_SECONDS = "http_server_request_duration_seconds";

/** `histogram_quantile(q, sum by (le, <by>) (rate(<metric>_bucket{<matchers>}[$__rate_interval])))` */
export const quantile = (q: number, metric: string, matchers: string, by: string[] = []) =>
  `histogram_quantile(${q}, sum by (${["le", ...by].join(", ")}) (rate(${metric}_bucket{${matchers}}[$__rate_interval])))`;

/** Per-second rate of a counter (or a histogram's `_count`), summed by labels. */
export const rate = (metric: string, matchers: string, by: string[] = []) =>
  `sum${by.length ? ` by (${by.join(", ")})` : ""} (rate(${metric}{${matchers}}[$__rate_interval]))`;

/**
 * Share of requests answered 5xx, by labels; 0 (not "no data") where none failed, so a quiet route
 * reads as 0 % rather than as a gap.
 */
export const errorRatio = (matchers: string, by: string[] = []) => {
  const all = rate(`${HTTP_SECONDS}_count`, matchers, by);
  return `(${rate(`${HTTP_SECONDS}_count`, `${matchers}, status_code=~"5.."`, by)} / ${all}) or (0 * ${all})`;
};

export interface Query {
  expr: string;
  legend: string;
  /** Ask Prometheus for exemplars (trace ids attached to histogram observations): latency → trace. */
  exemplar?: boolean;
}

const REF_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

export function promQuery(query: Query, index: number): prometheus.DataqueryBuilder {
  const builder = new prometheus.DataqueryBuilder()
    .datasource(PROMETHEUS)
    .refId(REF_IDS[index] ?? `Q${index}`)
    .editorMode(prometheus.QueryEditorMode.Code)
    .expr(query.expr)
    .legendFormat(query.legend)
    .range();
  if (query.exemplar) builder.exemplar(true);
  return builder;
}

export interface SeriesPanel {
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  /** Width in grid columns (of 24) and height in rows. */
  w?: number;
  h?: number;
  min?: number;
  max?: number;
  /** Threshold lines drawn on the graph (value → colour), e.g. an SLO or an alert threshold. */
  thresholds?: { value: number; color: string }[];
}

/** A time series panel over Prometheus, legend as a table with last and max. */
export function series(panel: SeriesPanel): timeseries.PanelBuilder {
  const builder = new timeseries.PanelBuilder()
    .title(panel.title)
    .description(panel.description)
    .datasource(PROMETHEUS)
    .unit(panel.unit)
    .span(panel.w ?? 8)
    .height(panel.h ?? 8)
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Bottom)
        .calcs(["lastNotNull", "max"]),
    )
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
  panel.queries.forEach((query, index) => {
    builder.withTarget(promQuery(query, index));
  });
  if (panel.min !== undefined) builder.min(panel.min);
  if (panel.max !== undefined) builder.max(panel.max);
  if (panel.thresholds) {
    builder
      .thresholds(
        new ThresholdsConfigBuilder()
          .mode(ThresholdsMode.Absolute)
          .steps([{ value: null, color: "green" }, ...panel.thresholds.map(({ value, color }) => ({ value, color }))]),
      )
      .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  }
  return builder;
}

/** Logs of the namespace from Loki, narrowed to one trace when `trace_id` is set. */
export function traceLogs(title: string): logs.PanelBuilder {
  return new logs.PanelBuilder()
    .title(title)
    .description(
      "The service's JSON logs (pino) from Loki. Paste a trace id from an exemplar, a 500's problem document or a `traceresponse` header into `trace_id` to see every line of that request.",
    )
    .datasource(LOKI)
    .span(24)
    .height(10)
    .showTime(true)
    .wrapLogMessage(true)
    .prettifyLogMessage(false)
    .enableLogDetails(true)
    .sortOrder(common.LogsSortOrder.Descending)
    .dedupStrategy(common.LogsDedupStrategy.None)
    .withTarget(
      new loki.DataqueryBuilder()
        .datasource(LOKI)
        .refId("A")
        .editorMode(loki.QueryEditorMode.Code)
        .queryType("range")
        .expr('{namespace="$namespace"} | json | trace_id="$trace_id"'),
    );
}

/** A section header; its panels follow it at the top level (an expanded row). */
export const row = (title: string) => new RowBuilder(title).collapsed(false);

// Template variables.

export const prometheusVariable = () =>
  new DatasourceVariableBuilder("datasource")
    .label("Prometheus")
    .type("prometheus")
    .current({ selected: true, text: DATASOURCE_UIDS.prometheus, value: DATASOURCE_UIDS.prometheus });

export const lokiVariable = () =>
  new DatasourceVariableBuilder("loki")
    .label("Loki")
    .type("loki")
    .current({ selected: true, text: DATASOURCE_UIDS.loki, value: DATASOURCE_UIDS.loki });

/** `label_values(<selector>, <label>)`, refreshed with the time range. */
function labelValues(name: string, label: string, selector: string, multi: boolean): QueryVariableBuilder {
  const query = `label_values(${selector}, ${label})`;
  const builder = new QueryVariableBuilder(name)
    .label(label)
    .datasource(PROMETHEUS)
    .query({ qryType: 1, query, refId: "PrometheusVariableQueryEditor-VariableQuery" })
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(multi)
    .includeAll(multi);
  if (multi) builder.allValue(".*").current({ selected: true, text: ["All"], value: ["$__all"] });
  return builder;
}

export const namespaceVariable = () => labelValues("namespace", "namespace", `${HTTP_SECONDS}_count`, false);
export const podVariable = () => labelValues("pod", "pod", `${HTTP_SECONDS}_count{namespace=~"$namespace"}`, true);
export const routeVariable = () => labelValues("route", "route", `${HTTP_SECONDS}_count{namespace=~"$namespace"}`, true);
export const testidVariable = () => labelValues("testid", "testid", "k6_vus", true);
export const traceIdVariable = () =>
  new TextBoxVariableBuilder("trace_id").label("trace id").description("Filters the logs panel to one trace.").hide(VariableHide.DontHide);

/** One annotation region per k6 test id, from the run's own VU gauge. */
export const k6RunsAnnotation = () =>
  new AnnotationQueryBuilder()
    .name("k6 test runs")
    .datasource(PROMETHEUS)
    .enable(true)
    .iconColor("purple")
    .target(new prometheus.DataqueryBuilder().datasource(PROMETHEUS).refId("Anno").expr(K6_RUNS_EXPR).range())
    .expr(K6_RUNS_EXPR)
    .step("15s")
    .titleFormat("k6 {{testid}}")
    .textFormat("k6 test run {{testid}}")
    .tagKeys("testid")
    .useValueForTime(false);

export const K6_RUNS_EXPR = `max by (testid) (k6_vus{${K6}})`;

/** The common frame of every dashboard: uid, tags, time, shared crosshair, links to its siblings. */
export function dashboard(uid: string, title: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([TAG])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: "now-1h", to: "now" })
    .timezone("browser")
    .refresh("30s")
    .timepicker(new TimePickerBuilder().refreshIntervals(["10s", "30s", "1m", "5m"]))
    .link(
      new DashboardLinkBuilder("OTP capacity lab")
        .type(DashboardLinkType.Dashboards)
        .tags([TAG])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true)
        .targetBlank(false),
    );
}

/** Gives every panel (rows included) a unique id, in layout order. */
export function numberPanels(built: { panels?: { id?: number }[] }): void {
  (built.panels ?? []).forEach((panel, index) => {
    panel.id = index + 1;
  });
}
