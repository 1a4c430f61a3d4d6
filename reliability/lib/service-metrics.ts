// The service's own Prometheus metrics, read from its /metrics endpoint.
import { parsePrometheusText, type Sample, sumOf } from "../../k6/runner/prometheus-text.ts";
import { call } from "./otp-client.ts";

export async function scrape(url: string): Promise<Sample[]> {
  const result = await call(`${url}/metrics`, { timeoutMs: 5_000 });
  if (result.status !== 200) return [];
  return parsePrometheusText(result.text);
}

/** The sum of a metric's samples whose labels include `labels`; 0 when absent. */
export function metric(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return sumOf(samples, name, labels) ?? 0;
}
