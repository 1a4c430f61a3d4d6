// Runs a k6 script as a managed child process (killed with the run if anything goes wrong), with every
// request sample written to a CSV so the orchestrator can cut the timeline at its own events.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { envArgs, k6Binary, k6Environment } from "@otp-lab/local-stack/k6";
import { type ManagedProcess, startProcess } from "@otp-lab/local-stack/managed-process";
import type { Cleanup } from "./cleanup.ts";
import { K6_SCRIPTS_DIR } from "./paths.ts";

export interface K6Process {
  process: ManagedProcess;
  csvFile: string;
  summaryFile: string;
  logFile: string;
}

export function startK6(options: {
  dir: string;
  cleanup: Cleanup;
  script: string;
  env: Record<string, string>;
  /** Distinguishes the files of several k6 runs in one scenario (k6-<name>-samples.csv, …). */
  name?: string;
}): K6Process {
  const stem = options.name ? `k6-${options.name}` : "k6";
  const csvFile = join(options.dir, `${stem}-samples.csv`);
  const summaryFile = join(options.dir, `${stem}-summary.json`);
  const logFile = join(options.dir, `${stem}.log`);
  const env = { ...options.env, SUMMARY_PATH: summaryFile };
  const process_ = startProcess({
    name: "k6",
    command: k6Binary(),
    args: [
      "run",
      "--no-color",
      "--quiet",
      "--address",
      "",
      "--out",
      `csv=${csvFile}`,
      ...envArgs(env),
      join(K6_SCRIPTS_DIR, options.script),
    ],
    env: k6Environment({ K6_CSV_TIME_FORMAT: "unix_milli" }),
    logFile,
    detached: true,
  });
  options.cleanup.add("k6", () => process_.stop("SIGKILL", 1_000));
  return { process: process_, csvFile, summaryFile, logFile };
}

export interface K6Sample {
  metric: string;
  /** Epoch milliseconds. */
  at: number;
  value: number;
  name: string;
  status: string;
  expected: string;
  /** The request's own tags (k6's extra_tags column), e.g. rid and phone. */
  tags: Record<string, string>;
}

/** The samples of the given metrics from k6's CSV output. */
export function readK6Csv(file: string, metrics: string[]): K6Sample[] {
  const [header, ...lines] = readFileSync(file, "utf8").split("\n");
  const columns = (header ?? "").split(",");
  const at = (name: string) => columns.indexOf(name);
  const [iMetric, iTime, iValue, iName, iStatus, iExpected, iExtra] = [
    at("metric_name"),
    at("timestamp"),
    at("metric_value"),
    at("name"),
    at("status"),
    at("expected_response"),
    at("extra_tags"),
  ];
  const wanted = new Set(metrics);
  const samples: K6Sample[] = [];
  for (const line of lines) {
    if (!line) continue;
    const cells = line.split(",");
    const metric = cells[iMetric] ?? "";
    if (!wanted.has(metric)) continue;
    const raw = Number(cells[iTime]);
    samples.push({
      metric,
      // Seconds when the time format was not honoured.
      at: raw < 1e11 ? raw * 1000 : raw,
      value: Number(cells[iValue]),
      name: cells[iName] ?? "",
      status: cells[iStatus] ?? "",
      expected: cells[iExpected] ?? "",
      tags: parseExtraTags(iExtra < 0 ? "" : (cells[iExtra] ?? "")),
    });
  }
  return samples;
}

/** k6 writes a request's own tags as `key=value&key=value`. */
function parseExtraTags(text: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const pair of text.split("&")) {
    const equals = pair.indexOf("=");
    if (equals > 0) tags[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return tags;
}

/** One HTTP request k6 made, from its CSV: when it started and ended, its answer and its tags. */
export interface K6Request {
  name: string;
  status: number;
  startedAt: number;
  endedAt: number;
  ms: number;
  tags: Record<string, string>;
}

/** The requests named in `names` (k6's `name` tag), from their http_req_duration samples. */
export function readK6Requests(file: string, names?: string[]): K6Request[] {
  const wanted = names ? new Set(names) : undefined;
  return readK6Csv(file, ["http_req_duration"])
    .filter((sample) => !wanted || wanted.has(sample.name))
    .map((sample) => ({
      name: sample.name,
      status: Number(sample.status) || 0,
      // The sample's timestamp is taken when the answer is complete.
      startedAt: sample.at - sample.value,
      endedAt: sample.at,
      ms: sample.value,
      tags: sample.tags,
    }));
}

/** An answer other than the one the journey expects, as k6's otp_refused samples describe it. */
export interface K6Refusal {
  /** The request's k6 name, e.g. otp-send or otp-verify. */
  name: string;
  rid: string;
  status: number;
  /** An RFC 9457 problem: its media type and a body with a type, a title and the answer's status. */
  problem: boolean;
  problemType: string;
  contentType: string;
  /** "none" when the answer had no Retry-After. */
  retryAfter: string;
}

export function readK6Refusals(file: string): K6Refusal[] {
  return readK6Csv(file, ["otp_refused"]).map((sample) => ({
    name: sample.tags.name ?? "",
    rid: sample.tags.rid ?? "",
    status: Number(sample.tags.status ?? sample.status) || 0,
    problem: sample.tags.problem === "true",
    problemType: sample.tags.problem_type ?? "",
    contentType: sample.tags.content_type ?? "",
    retryAfter: sample.tags.retry_after ?? "none",
  }));
}

/** What otp-sends.ts' handleSummary writes: counts, and k6's http_req_duration median and p99 (ms). */
export interface K6SendsSummary {
  iterations: number;
  droppedIterations: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
}

/** The figures a journey's handleSummary wrote to SUMMARY_PATH. */
export function readK6Summary<T = K6SendsSummary>(k6: K6Process): T {
  return JSON.parse(readFileSync(k6.summaryFile, "utf8")) as T;
}
