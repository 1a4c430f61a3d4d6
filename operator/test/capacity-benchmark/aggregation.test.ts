// The aggregation accuracy figure: the pinned k6 runs one ladder script as 2 runners (execution segments, as
// the k6-operator starts them), remote-writing native histograms into a real Prometheus, against two local
// servers with different known latency distributions (runner 0 → fast, runner 1 → slow), so the p99 of all
// requests is neither runner's p99 nor their mean. The p99 from PromQL (queries.ts) must match the p99 of the
// merged raw samples (k6 --out csv of both runners) within one native-histogram bucket.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { envArgs, runK6 } from "@otp-lab/local-stack/k6";
import { type PrometheusServer, startPrometheus } from "@otp-lab/local-stack/prometheus";
import { afterAll, beforeAll, expect, it } from "vitest";
import { prometheusClient } from "../../src/capacity-benchmark/prometheus.ts";
import { plateauFigures } from "../../src/capacity-benchmark/queries.ts";
import { REPO_ROOT } from "../support/paths.ts";

const TESTID = "aggregation-proof";
let dir: string;
let prometheus: PrometheusServer | undefined;
let prometheusUrl: string;
const servers: Server[] = [];

/** A server answering /hello after a log-normal delay (median `medianMs`): a known, skewed distribution. */
async function latencyServer(medianMs: number, sigma: number): Promise<string> {
  const server = createServer((_request, response) => {
    const u = 1 - Math.random();
    const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
    setTimeout(
      () => {
        response.setHeader("content-type", "application/json");
        response.end('{"message":"hello"}');
      },
      Math.min(400, medianMs * Math.exp(sigma * normal)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "otp-lab-aggregation-"));
  prometheus = await startPrometheus(dir);
  prometheusUrl = prometheus.url;
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  for (const server of servers) server.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Row {
  scenario: string;
  ms: number;
}

function csvDurations(file: string): Row[] {
  const [header, ...lines] = readFileSync(file, "utf8").trim().split("\n");
  const cols = (header as string).split(",");
  const at = (name: string) => cols.indexOf(name);
  return lines
    .map((line) => line.split(","))
    .filter((f) => f[at("metric_name")] === "http_req_duration" && (f[at("scenario")] ?? "").startsWith("p"))
    .map((f) => ({ scenario: f[at("scenario")] as string, ms: Number(f[at("metric_value")]) }));
}

/**
 * The q-quantile of raw samples as histogram_quantile locates it: the ceil(q·n)-th smallest sample. The
 * PromQL estimate interpolates inside that sample's bucket, so the two differ by less than one bucket.
 */
function rankQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] as number;
}

/** k6's percentile definition (linear interpolation between closest ranks), for the printed figure. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  return (sorted[lo] as number) + ((sorted[Math.min(lo + 1, sorted.length - 1)] as number) - (sorted[lo] as number)) * (rank - lo);
}

it("p99 over 2 runners from native histograms matches the p99 of the merged raw samples within one bucket", async () => {
  const urls = [await latencyServer(4, 0.5), await latencyServer(12, 0.9)];
  const script = join(REPO_ROOT, "k6", "scripts", "02-express-hello.ts");
  const env = { RATES: "60,120", WARMUP_SECONDS: "1", PLATEAU_SECONDS: "5", SLO_P99_MS: "1000", MAX_VUS: "200", CHECK_SAMPLE_RATE: "0" };
  const segments = ["0:1/2", "1/2:1"];
  const started = Date.now() / 1000;
  const codes = await Promise.all(
    segments.map(async (segment, i) => {
      const args = ["--quiet", "--no-color", "--log-output", `file=${join(dir, `k6-${i}.log`)}`];
      args.push("--execution-segment", segment, "--execution-segment-sequence", "0,1/2,1");
      // instance_id: what the k6-operator tags each runner with, so the runners' series stay apart.
      args.push(
        "-o",
        "experimental-prometheus-rw",
        "--out",
        `csv=${join(dir, `raw-${i}.csv`)}`,
        "--tag",
        `testid=${TESTID}`,
        "--tag",
        `instance_id=${i}`,
      );
      args.push(...envArgs({ ...env, BASE_URL: urls[i] as string, SUMMARY_PATH: join(dir, `summary-${i}.json`) }));
      const run = await runK6({
        args,
        script,
        env: {
          K6_PROMETHEUS_RW_SERVER_URL: `${prometheusUrl}/api/v1/write`,
          K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM: "true",
          K6_PROMETHEUS_RW_PUSH_INTERVAL: "1s",
        },
      });
      return run.exitCode;
    }),
  );
  expect(codes).toEqual([0, 0]);
  await sleep(1500);
  const prom = prometheusClient(prometheusUrl);
  const at = Date.now() / 1000;
  const range = Math.ceil(at - started + 30);
  const figures = await plateauFigures(
    prom,
    { testId: TESTID, namespace: "otp", testRun: "local", deployment: "none", hpa: "none" },
    at,
    range,
  );
  const rows = [...csvDurations(join(dir, "raw-0.csv")), ...csvDurations(join(dir, "raw-1.csv"))];
  const perRunner = [0, 1].map((i) => csvDurations(join(dir, `raw-${i}.csv`)));

  // The bucket growth factor of the aggregated native histogram: its resolution.
  const raw = await prom.query(`k6_http_req_duration_seconds{testid="${TESTID}",phase="main"}[${range}s]`, at);
  const last = raw[0]?.histograms?.at(-1)?.[1] as { buckets: [number, string, string, string][] };
  const factor = Math.max(...last.buckets.filter((b) => Number(b[1]) > 0).map((b) => Number(b[2]) / Number(b[1])));

  expect(figures.map((f) => f.offeredRps)).toEqual([60, 120]);
  for (const [index, figure] of figures.entries()) {
    const scenario = `p${String(index + 1).padStart(2, "0")}`; // k6/lib/plan.ts numbers plateaus from p01
    const merged = rows.filter((r) => r.scenario === scenario).map((r) => r.ms);
    const exact = rankQuantile(merged, 0.99);
    const k6Style = percentile(merged, 99);
    const runners = perRunner.map((r) =>
      percentile(
        r.filter((x) => x.scenario === scenario).map((x) => x.ms),
        99,
      ),
    );
    const error = figure.latencyMs.p99 / exact - 1;
    process.stdout.write(
      `[aggregation] ${scenario} @${figure.offeredRps} req/s: ${merged.length} requests (Prometheus ${figure.requests}); p99 merged raw ${exact.toFixed(2)} ms (k6's interpolated ${k6Style.toFixed(2)} ms), ` +
        `PromQL over 2 runners ${figure.latencyMs.p99.toFixed(2)} ms (${(error * 100).toFixed(1)}%, bucket factor ${factor.toFixed(4)} → ±${((factor - 1) * 100).toFixed(1)}%); ` +
        `per runner ${runners.map((r) => r.toFixed(2)).join(" / ")} ms, their mean ${((runners[0] as number) / 2 + (runners[1] as number) / 2).toFixed(2)} ms\n`,
    );
    expect(figure.requests).toBe(merged.length);
    expect(Math.abs(error)).toBeLessThan(factor - 1);
    expect(figure.failedRequests).toBe(0);
    expect(figure.droppedIterations).toBe(0);
  }
}, 120_000);
