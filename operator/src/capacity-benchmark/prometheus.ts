// A tiny client for Prometheus's HTTP API. No library: the controller needs two GET endpoints
// (/api/v1/query and /api/v1/query_range) and their JSON; fetch does that, and a dependency would bring
// more surface than it saves. Native-histogram results are returned as they come (`histogram` field).
export class PrometheusError extends Error {}

export interface Sample {
  metric: Record<string, string>;
  value?: [number, string];
  histogram?: [number, unknown];
  values?: [number, string][];
  histograms?: [number, unknown][];
}

export interface PrometheusQuery {
  /** Instant query; `time` in seconds since the epoch (default: now). */
  query(expr: string, time?: number): Promise<Sample[]>;
  queryRange(expr: string, start: number, end: number, stepSeconds: number): Promise<Sample[]>;
}

export function prometheusClient(baseUrl: string, options: { timeoutMs?: number } = {}): PrometheusQuery {
  const base = baseUrl.replace(/\/$/, "");
  const get = async (path: string, params: Record<string, string>): Promise<Sample[]> => {
    const url = `${base}${path}?${new URLSearchParams(params)}`;
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
    } catch (error) {
      throw new PrometheusError(`${base} unreachable: ${(error as Error).cause ?? (error as Error).message}`);
    }
    const body = (await response.json().catch(() => null)) as { status?: string; error?: string; data?: { result: Sample[] } } | null;
    if (!response.ok || body?.status !== "success" || !body.data) {
      throw new PrometheusError(`${path} ${params.query}: HTTP ${response.status} ${body?.error ?? ""}`.trim());
    }
    return body.data.result;
  };
  return {
    query: (expr, time) => get("/api/v1/query", { query: expr, ...(time === undefined ? {} : { time: String(time) }) }),
    queryRange: (expr, start, end, step) =>
      get("/api/v1/query_range", { query: expr, start: String(start), end: String(end), step: String(step) }),
  };
}

/** The number of an instant vector's sample; null for an empty result or NaN. */
export function scalarOf(samples: Sample[]): number | null {
  const raw = samples[0]?.value?.[1];
  if (raw === undefined) return null;
  const value = Number(raw);
  return Number.isFinite(value) ? value : null;
}
