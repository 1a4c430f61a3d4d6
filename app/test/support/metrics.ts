// Reading metrics the way a scraper sees them: one sample of a Prometheus exposition, or of a registry.
import type { Registry } from "prom-client";

/** The value of one Prometheus sample whose labels include all of `labels`. */
export function sample(exposition: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of exposition.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = match[2] ?? "";
    if (Object.entries(labels).every(([key, value]) => present.includes(`${key}="${value}"`))) return Number(match[3]);
  }
  return undefined;
}

/** One sample of a server's /metrics page; undefined while the series has not been exported. */
export async function scrape(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  return sample(await (await fetch(`${baseUrl}/metrics`)).text(), name, labels);
}

/** One sample of a registry (a histogram's `_count` or `_sum` by that name); 0 while it has none. */
export async function registrySample(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const base = name.replace(/_(count|sum)$/, "");
  const found = await registry.getSingleMetric(base)?.get();
  const value = found?.values.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? base) === name &&
      Object.entries(labels).every(([key, wanted]) => v.labels[key] === wanted),
  );
  return value?.value ?? 0;
}
