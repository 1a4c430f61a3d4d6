// The dashboards as generated (the chart's copies are checked fresh by cdk8s' stale test): deterministic,
// typed (tsc over the generator), and well-formed for the schema version of the SDK that built them.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { defaultDashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { describe, expect, it } from "vitest";
import { DATASOURCE_UIDS } from "../src/common.ts";
import { generate } from "../src/generate.ts";
import { LAYERS } from "../src/layers.ts";
import { type DashboardJson, generatedDashboards, type PanelJson, REPO_ROOT } from "./proof.ts";

const DASHBOARDS_DIR = join(import.meta.dirname, "..");
const dashboards = generatedDashboards();
const byUid = (uid: string) => dashboards.find((dashboard) => dashboard.uid === uid) as DashboardJson;
const dataPanels = (dashboard: DashboardJson) => dashboard.panels.filter((panel) => panel.type !== "row");

describe("the generator", () => {
  it("is deterministic", () => {
    expect([...generate()]).toEqual([...generate()]);
  });

  it("type-checks against the SDK's types (tsc over the generator, the tests and the k6 script)", () => {
    const tsc = join(REPO_ROOT, "node_modules", ".bin", "tsc");
    execFileSync(tsc, ["-p", "tsconfig.json"], { cwd: DASHBOARDS_DIR, stdio: "pipe" });
    execFileSync(tsc, ["-p", "test/k6/tsconfig.json"], { cwd: DASHBOARDS_DIR, stdio: "pipe" });
  });
});

describe.each(dashboards.map((dashboard) => [dashboard.uid, dashboard] as const))("%s", (_uid, dashboard) => {
  it("carries the SDK's current schemaVersion, a uid Grafana accepts and the lab's tag", () => {
    expect(dashboard.schemaVersion).toBe(defaultDashboard().schemaVersion);
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect((dashboard as unknown as { tags: string[] }).tags).toContain("otp-capacity-lab");
  });

  it("gives every panel a unique id and a place within the 24-column grid, without overlaps", () => {
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Map<string, string>();
    for (const { title, gridPos } of dashboard.panels) {
      expect(gridPos.x, title).toBeGreaterThanOrEqual(0);
      expect(gridPos.w, title).toBeGreaterThan(0);
      expect(gridPos.h, title).toBeGreaterThan(0);
      expect(gridPos.x + gridPos.w, title).toBeLessThanOrEqual(24);
      for (let x = gridPos.x; x < gridPos.x + gridPos.w; x++) {
        for (let y = gridPos.y; y < gridPos.y + gridPos.h; y++) {
          const other = cells.get(`${x},${y}`);
          expect(other, `${title} overlaps ${other}`).toBeUndefined();
          cells.set(`${x},${y}`, title);
        }
      }
    }
  });

  it("gives every data panel a datasource and targets with unique refIds on the same datasource", () => {
    for (const panel of dataPanels(dashboard)) {
      expect(panel.datasource?.uid, panel.title).toMatch(/^\$\{(datasource|loki)\}$/);
      const targets = panel.targets ?? [];
      expect(targets.length, panel.title).toBeGreaterThan(0);
      const refIds = targets.map((target) => target.refId);
      expect(
        refIds.every((refId) => typeof refId === "string" && refId.length > 0),
        panel.title,
      ).toBe(true);
      expect(new Set(refIds).size, panel.title).toBe(refIds.length);
      for (const target of targets) expect(target.datasource, `${panel.title} ${target.refId}`).toEqual(panel.datasource);
    }
  });

  it("selects datasources through variables defaulting to the provisioned uids", () => {
    const variables = dashboard.templating.list.filter((variable) => variable.type === "datasource");
    const prometheus = variables.find((variable) => variable.name === "datasource");
    expect(prometheus?.query).toBe("prometheus");
    expect(prometheus?.current?.value).toBe(DATASOURCE_UIDS.prometheus);
    for (const variable of dashboard.templating.list.filter((v) => v.type === "query")) {
      expect(variable.datasource, variable.name).toEqual({ type: "prometheus", uid: "$" + "{datasource}" });
    }
  });

  it("asks for exemplars on every latency panel over the service's histograms", () => {
    const latency = dataPanels(dashboard)
      .filter((panel) => panel.fieldConfig?.defaults?.unit === "s")
      .flatMap((panel) =>
        (panel.targets ?? [])
          .filter((target) => /histogram_quantile\(.*_bucket\{/.test(target.expr ?? ""))
          .map((target) => ({ panel, target })),
      );
    expect(latency.length).toBeGreaterThan(0);
    for (const { panel, target } of latency) expect(target.exemplar, `${panel.title} ${target.refId}`).toBe(true);
  });

  it("filters every service query by namespace and pod, and every k6 query by test id", () => {
    for (const panel of dataPanels(dashboard)) {
      for (const target of panel.targets ?? []) {
        const expr = target.expr ?? "";
        if (target.datasource?.type !== "prometheus") continue;
        expect(expr, panel.title).toMatch(/namespace=~"\$namespace"|testid=~"\$testid"/);
        if (/k6_/.test(expr)) expect(expr, panel.title).toContain('testid=~"$testid"');
      }
    }
  });
});

describe("capacity overview", () => {
  const overview = byUid("otp-capacity-overview");
  const exprs = dataPanels(overview).flatMap((panel) => (panel.targets ?? []).map((target) => target.expr ?? ""));

  it("has the variables namespace, pod, route and a trace_id textbox", () => {
    const variables = Object.fromEntries(overview.templating.list.map((variable) => [variable.name, variable.type]));
    expect(variables).toMatchObject({ namespace: "query", pod: "query", route: "query", trace_id: "textbox", loki: "datasource" });
  });

  it("covers every metric the brief lists", () => {
    const text = exprs.join("\n");
    for (const metric of [
      "http_server_request_duration_seconds_bucket",
      "http_server_requests_in_flight",
      "nodejs_eventloop_lag_p99_seconds",
      "container_cpu_usage_seconds_total",
      "container_memory_working_set_bytes",
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "kube_horizontalpodautoscaler_status_desired_replicas",
      "kube_horizontalpodautoscaler_status_current_replicas",
      "pg_pool_connections",
      "redis_command_duration_seconds_bucket",
      "sms_stream_lag",
      "sms_stream_pending",
      "sms_jobs_total",
      "sms_send_duration_seconds_bucket",
      "send_log_batch_size",
      "send_log_flush_duration_seconds_bucket",
      "otp_sends_total",
      "otp_verifies_total",
    ]) {
      expect(text, metric).toContain(metric);
    }
    expect(text).toContain(
      'histogram_quantile(0.99, sum by (le, route) (rate(http_server_request_duration_seconds_bucket{namespace=~"$namespace", pod=~"$pod", route=~"$route"}[$__rate_interval])))',
    );
  });

  it("shows the logs of one trace from Loki", () => {
    const logs = overview.panels.find((panel) => panel.type === "logs") as PanelJson;
    expect(logs.datasource).toEqual({ type: "loki", uid: "$" + "{loki}" });
    expect(logs.targets?.[0]?.expr).toBe('{namespace="$namespace"} | json | trace_id="$trace_id"');
  });
});

describe("load test", () => {
  const loadTest = byUid("otp-load-test");

  it("annotates each k6 test id from a k6 metric", () => {
    const annotation = loadTest.annotations?.list.find((candidate) => candidate.name === "k6 test runs");
    expect(annotation?.target?.expr).toBe('max by (testid) (k6_vus{testid=~"$testid"})');
    expect(annotation?.tagKeys).toBe("testid");
    expect(annotation?.titleFormat).toContain("{{testid}}");
  });

  it("reads k6's native histogram for p95/p99 aggregated across runners", () => {
    const exprs = dataPanels(loadTest).flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
    expect(exprs).toContain(
      'histogram_quantile(0.99, sum by (name) (rate(k6_http_req_duration_seconds{testid=~"$testid"}[$__rate_interval])))',
    );
    for (const metric of ["k6_http_reqs_total", "k6_vus", "k6_dropped_iterations_total", "k6_checks_rate"]) {
      expect(exprs.join("\n"), metric).toContain(metric);
    }
  });
});

describe("layers", () => {
  const layers = byUid("otp-layers");

  it("has one row per ladder layer, in ladder order, each with rate, p99 and error ratio of its route", () => {
    const rows = layers.panels.filter((panel) => panel.type === "row").slice(1);
    expect(rows.map((row) => row.title.split(":")[0])).toEqual(LAYERS.map(({ layer }) => layer));
    for (const { layer, route } of LAYERS) {
      const start = layers.panels.findIndex((panel) => panel.type === "row" && panel.title.startsWith(`${layer}:`));
      const panels = layers.panels.slice(start + 1, start + 4);
      expect(panels.map((panel) => panel.title)).toEqual([`${layer}: rate`, `${layer}: p99`, `${layer}: error ratio`]);
      for (const panel of panels) {
        for (const target of panel.targets ?? []) expect(target.expr, panel.title).toContain(`route="${route}"`);
      }
      // Side by side: the three panels of a layer share one line of the grid.
      expect(new Set(panels.map((panel) => panel.gridPos.y)).size).toBe(1);
    }
  });
});
