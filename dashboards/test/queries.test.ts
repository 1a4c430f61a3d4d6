// Every PromQL expression of every committed dashboard — panel targets, template variable queries and
// annotations — evaluated by the real Prometheus of the global setup, after a k6 run drove every route:
//   - over the service's and k6's metrics: must succeed AND return data;
//   - over Kubernetes-only metrics (kube-state-metrics, cAdvisor), which cannot exist here: must be
//     accepted by Prometheus (status success, empty result) — a parse error is a 400 and fails.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  api,
  type Expression,
  expressions,
  generatedDashboards,
  instantQuery,
  interpolate,
  isKubernetesMetric,
  labelValues,
  metricNames,
  PROOF,
} from "./proof.ts";

const { prometheusUrl } = inject("proof");
/** Data written moments ago (the SMS worker, the send-log flush, the rule evaluations) may lag a little. */
const DATA_WAIT_MS = 15_000;

type Kind = "data" | "parse-only";
const kindOf = (expr: string): Kind => {
  const names = metricNames(expr);
  const kubernetes = names.filter(isKubernetesMetric);
  if (kubernetes.length > 0 && kubernetes.length < names.length) throw new Error(`mixes Kubernetes and service metrics: ${expr}`);
  return names.length > 0 && kubernetes.length === names.length ? "parse-only" : "data";
};

interface Outcome {
  dashboard: string;
  where: string;
  kind: Kind;
  series: number;
  metrics: string[];
}
const outcomes: Outcome[] = [];

/** A query that must return data: retried while empty, up to DATA_WAIT_MS after the first try of the file. */
let firstTry: number | undefined;
async function evaluate(expr: string, kind: Kind): Promise<number> {
  firstTry ??= Date.now();
  for (;;) {
    const answer = await instantQuery(prometheusUrl, expr);
    expect(answer.status, `${answer.errorType ?? ""} ${answer.error ?? ""}\n${expr}`).toBe("success");
    expect(answer.http).toBe(200);
    const series = answer.data?.result.length ?? 0;
    if (kind === "parse-only" || series > 0 || Date.now() - firstTry > DATA_WAIT_MS) return series;
    await sleep(500);
  }
}

beforeAll(async () => {
  // The k6 run is in: its test id is listed (remote write) and the service was scraped after it.
  const answer = await labelValues(prometheusUrl, "k6_vus", "testid");
  expect(answer.data).toContain(PROOF.testid);
});

afterAll(() => {
  const lines = outcomes.map(
    (o) =>
      `  ${o.kind === "data" ? `data (${String(o.series).padStart(2)} series)` : "parse-only      "}  ${o.dashboard} › ${o.where}${o.kind === "parse-only" ? `  [${o.metrics.join(", ")}]` : ""}`,
  );
  const parseOnly = outcomes.filter((o) => o.kind === "parse-only").length;
  process.stdout.write(
    `\nPromQL evaluated against Prometheus: ${outcomes.length} expressions, ${outcomes.length - parseOnly} with data, ${parseOnly} parse-only (Kubernetes metrics)\n${lines.join("\n")}\n`,
  );
});

it("the rule groups loaded from the plain rules file evaluate without errors", async () => {
  const answer = await api<{ groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] }>(
    prometheusUrl,
    "/api/v1/rules",
    {},
  );
  const groups = answer.data?.groups ?? [];
  expect(groups.map((group) => group.name).sort()).toEqual(["otp-service.saturation", "otp-service.slo", "otp-service.slo-recording"]);
  for (const rule of groups.flatMap((group) => group.rules)) expect(rule.health, `${rule.name}: ${rule.lastError}`).toBe("ok");
});

for (const dashboard of generatedDashboards()) {
  describe(dashboard.uid, () => {
    const found = expressions(dashboard);
    /** Variable values as Grafana would use them by default: "All" → allValue, otherwise the first option. */
    const values: Record<string, string> = {};

    for (const variable of found.filter((e) => e.source === "variable")) {
      const name = variable.where.slice(1);
      it(`variable ${variable.where} = label_values(${variable.expr}, ${variable.label}) lists values`, async () => {
        const selector = interpolate(variable.expr, values);
        const answer = await labelValues(prometheusUrl, selector, variable.label as string);
        expect(answer.status, `${answer.error}\n${selector}`).toBe("success");
        const options = answer.data ?? [];
        expect(options.length, `label_values(${selector}, ${variable.label})`).toBeGreaterThan(0);
        const definition = dashboard.templating.list.find((candidate) => candidate.name === name);
        const all = definition?.includeAll && [definition.current?.value].flat().includes("$__all");
        values[name] = all ? (definition?.allValue ?? ".*") : (options[0] as string).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        if (name === "namespace") expect(options).toContain(PROOF.namespace);
        if (name === "testid") expect(options).toContain(PROOF.testid);
        outcomes.push({ dashboard: dashboard.uid, where: variable.where, kind: "data", series: options.length, metrics: [] });
      });
    }

    const queries = found.filter((e): e is Expression => e.source !== "variable");
    for (const query of queries) {
      const kind = kindOf(query.expr);
      it(`${query.source} ${query.where}: ${kind === "data" ? "returns data" : `parses (${metricNames(query.expr).join(", ")})`}`, async () => {
        const series = await evaluate(interpolate(query.expr, values), kind);
        if (kind === "data") expect(series, `no data for: ${interpolate(query.expr, values)}`).toBeGreaterThan(0);
        else expect(series).toBe(0);
        outcomes.push({ dashboard: dashboard.uid, where: query.where, kind, series, metrics: metricNames(query.expr) });
      });
    }
  });
}

describe("the proof itself", () => {
  const scalar = async (expr: string) => Number((await instantQuery(prometheusUrl, expr)).data?.result[0]?.value?.[1]);

  it("drove every route as intended: every k6 check passed, and the starved scenario dropped iterations", async () => {
    expect(await scalar(`min(k6_checks_rate{testid="${PROOF.testid}"})`)).toBe(1);
    expect(await scalar(`sum(k6_dropped_iterations_total{testid="${PROOF.testid}"})`)).toBeGreaterThan(0);
    const routes = await labelValues(prometheusUrl, `http_server_request_duration_seconds_count{pod="${PROOF.servicePod}"}`, "route");
    expect(routes.data).toEqual(
      expect.arrayContaining([
        "/hello",
        "/delayed-hello",
        "/layers/cpu",
        "/layers/redis",
        "/layers/select",
        "/layers/insert",
        "/v1/otp/send",
        "/v1/otp/verify",
        "/test-error",
        "unmatched",
      ]),
    );
  });

  it("would catch a broken expression: Prometheus answers 400 to a parse error", async () => {
    const answer = await instantQuery(prometheusUrl, 'sum by (pod (rate(container_cpu_usage_seconds_total{pod=~".*"}[1m]))');
    expect(answer.http).toBe(400);
    expect(answer.errorType).toBe("bad_data");
  });

  it("would catch an unknown metric: a service-style expression over a missing metric returns no data", async () => {
    const answer = await instantQuery(prometheusUrl, 'sum(rate(http_server_request_duration_seconds_count_typo{namespace=~".*"}[1m]))');
    expect(answer.status).toBe("success");
    expect(answer.data?.result).toEqual([]);
  });
});
