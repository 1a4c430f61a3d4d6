// Shared by the global setup and the tests: the proof's fixed names, a small Prometheus HTTP API client,
// and the walk that lists every PromQL expression of a dashboard (panels, variables, annotations).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dashboardFiles, RULES_FILE, rulesFile } from "../src/generate.ts";

export const REPO_ROOT = join(import.meta.dirname, "..", "..");

export const PROOF = {
  testid: "dash-proof",
  namespace: "dash-proof",
  servicePod: "otp-service-0",
  mockPod: "mock-sms-0",
  k6Duration: "12s",
} as const;

export interface ProofContext {
  prometheusUrl: string;
  promtoolBin: string;
  stateDir: string;
  k6EndedAt: number;
}

export interface ApiAnswer<T> {
  /** HTTP status: 400 for a parse error, 422 for an execution error. */
  http: number;
  status: "success" | "error";
  data?: T;
  errorType?: string;
  error?: string;
}

export async function api<T>(base: string, path: string, params: Record<string, string | string[]>): Promise<ApiAnswer<T>> {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) for (const item of [value].flat()) query.append(key, item);
  const response = await fetch(`${base}${path}?${query}`);
  return { http: response.status, ...((await response.json()) as Omit<ApiAnswer<T>, "http">) };
}

export interface VectorSample {
  metric: Record<string, string>;
  value?: [number, string];
  histogram?: unknown;
}

/** An instant query at "now". */
export const instantQuery = (base: string, expr: string) =>
  api<{ resultType: string; result: VectorSample[] }>(base, "/api/v1/query", { query: expr, time: String(Date.now() / 1000) });

/** What Grafana's Prometheus datasource asks for a `label_values(<selector>, <label>)` variable. */
export const labelValues = (base: string, selector: string, label: string) =>
  api<string[]>(base, `/api/v1/label/${encodeURIComponent(label)}/values`, {
    "match[]": selector,
    start: String(Math.floor(Date.now() / 1000) - 3600),
    end: String(Math.ceil(Date.now() / 1000)),
  });

// The dashboards as committed (what the chart ships), not as rebuilt in memory.

export interface DashboardJson {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: PanelJson[];
  templating: { list: VariableJson[] };
  annotations?: { list: AnnotationJson[] };
}
export interface PanelJson {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: TargetJson[];
  fieldConfig?: { defaults?: { unit?: string } };
}
export interface TargetJson {
  refId?: string;
  expr?: string;
  exemplar?: boolean;
  legendFormat?: string;
  datasource?: { type?: string; uid?: string };
}
export interface VariableJson {
  type: string;
  name: string;
  query?: string | { query?: string };
  datasource?: { type?: string; uid?: string };
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  current?: { value?: string | string[] };
}
export interface AnnotationJson {
  name: string;
  datasource?: { type?: string; uid?: string };
  expr?: string;
  target?: { expr?: string };
  tagKeys?: string;
  titleFormat?: string;
}

/** The dashboards as the generator writes them (the chart ships these bytes; cdk8s' stale check keeps it so). */
export function generatedDashboards(): DashboardJson[] {
  return [...dashboardFiles()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, content]) => JSON.parse(content) as DashboardJson);
}

/** Writes the plain rules file into `dir` (never committed) and returns its path. */
export function writeRulesFile(dir: string): string {
  const file = join(dir, RULES_FILE);
  writeFileSync(file, rulesFile());
  return file;
}

export type Source = "panel" | "variable" | "annotation";

export interface Expression {
  dashboard: string;
  source: Source;
  /** Panel title and refId, variable name or annotation name. */
  where: string;
  /** PromQL, or for a variable the `label_values` selector. */
  expr: string;
  /** For a variable: the label whose values it lists. */
  label?: string;
}

const LABEL_VALUES = /^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/s;

/** Every Prometheus expression of a dashboard: panel targets, query variables, annotations. */
export function expressions(dashboard: DashboardJson): Expression[] {
  const found: Expression[] = [];
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) {
      const type = target.datasource?.type ?? panel.datasource?.type;
      if (type !== "prometheus") continue;
      if (!target.expr) throw new Error(`${dashboard.uid} / ${panel.title} / ${target.refId}: a Prometheus target without expr`);
      found.push({ dashboard: dashboard.uid, source: "panel", where: `${panel.title} [${target.refId}]`, expr: target.expr });
    }
  }
  for (const variable of dashboard.templating.list) {
    if (variable.type !== "query") continue;
    const query = typeof variable.query === "string" ? variable.query : variable.query?.query;
    const match = LABEL_VALUES.exec(query ?? "");
    if (!match?.[1] || !match[2]) throw new Error(`${dashboard.uid} / $${variable.name}: not a label_values() query: ${query}`);
    found.push({ dashboard: dashboard.uid, source: "variable", where: `$${variable.name}`, expr: match[1], label: match[2] });
  }
  for (const annotation of dashboard.annotations?.list ?? []) {
    if (annotation.datasource?.type !== "prometheus") continue;
    const expr = annotation.target?.expr ?? annotation.expr;
    if (!expr) throw new Error(`${dashboard.uid} / annotation ${annotation.name}: no expr`);
    found.push({ dashboard: dashboard.uid, source: "annotation", where: annotation.name, expr });
  }
  return found;
}

/** Metric names an expression selects (every selector in these dashboards carries `{…}`). */
export function metricNames(expr: string): string[] {
  return [...new Set([...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/g)].map((match) => match[1] as string))].sort();
}

/** Series only a Kubernetes cluster has: kube-state-metrics (`kube_*`) and cAdvisor (`container_*`). */
export const isKubernetesMetric = (name: string) => name.startsWith("kube_") || name.startsWith("container_");

/** Grafana's built-in interval variables, as the proof evaluates them. */
export const BUILTINS: Record<string, string> = { __rate_interval: "1m", __interval: "15s" };

/** Replaces `$name`, `${name}` and `[[name]]`; throws on any variable it has no value for. */
export function interpolate(expr: string, values: Record<string, string>): string {
  const all = { ...BUILTINS, ...values };
  return expr.replace(/\$\{(\w+)\}|\$(\w+)|\[\[(\w+)\]\]/g, (whole, a, b, c) => {
    const name = (a ?? b ?? c) as string;
    const value = all[name];
    if (value === undefined) throw new Error(`no value for ${whole} in: ${expr}`);
    return value;
  });
}
