// The only way scripts make requests: every request carries a fixed `name` tag (no URL cardinality),
// an exact expected status (anything else counts in http_req_failed), a timeout, and sampled checks.
// Response bodies are discarded (options.discardResponseBodies) unless a sampled check or setup() needs one.
import { check } from "k6";
import http, { type Response } from "k6/http";
import { config } from "./env.ts";
import { REQUEST_TIMEOUT_S } from "./plan.ts";

type Predicates<T> = Record<string, (value: T) => boolean>;
/** Not exported by @types/k6. */
type ExpectedStatusesCallback = ReturnType<typeof http.expectedStatuses>;

export interface RequestSpec {
  /** The `name` tag: a fixed label per endpoint, never the URL. */
  name: string;
  method?: "GET" | "POST";
  url: string;
  /** Sent as application/json. */
  json?: unknown;
  headers?: Record<string, string>;
  /** The one status that counts as success (default 200). */
  expectStatus?: number;
  /** Run, with the status check, on the sampled iterations only; the body is read for them. */
  checks?: Predicates<Response>;
  /** Always read the body (setup traffic). */
  readBody?: boolean;
}

let setupPhase = false;

/** Runs fn with every request and check tagged phase:"setup", so setup traffic never mixes with the main phase. */
export function inSetupPhase<T>(fn: () => T): T {
  setupPhase = true;
  try {
    return fn();
  } finally {
    setupPhase = false;
  }
}

/** True for CHECK_SAMPLE_RATE of the calls. */
export function sampled(): boolean {
  return config.checkSampleRate >= 1 || (config.checkSampleRate > 0 && Math.random() < config.checkSampleRate);
}

function tags(name: string): Record<string, string> {
  // In the main phase the scenario supplies phase:"main"/"warmup"; setup() runs outside any scenario.
  return setupPhase ? { name, phase: "setup" } : { name };
}

const statusCallbacks = new Map<number, ExpectedStatusesCallback>();
function expected(status: number): ExpectedStatusesCallback {
  let callback = statusCallbacks.get(status);
  if (!callback) {
    callback = http.expectedStatuses(status);
    statusCallbacks.set(status, callback);
  }
  return callback;
}

function params(spec: RequestSpec, readBody: boolean) {
  const headers = spec.json === undefined ? spec.headers : { "content-type": "application/json", ...spec.headers };
  return {
    headers,
    tags: tags(spec.name),
    timeout: `${REQUEST_TIMEOUT_S}s`,
    responseType: readBody ? ("text" as const) : ("none" as const),
    responseCallback: expected(spec.expectStatus ?? 200),
  };
}

function body(spec: RequestSpec): string | null {
  return spec.json === undefined ? null : JSON.stringify(spec.json);
}

export function request(spec: RequestSpec): Response {
  const checked = setupPhase || sampled();
  const response = http.request(
    spec.method ?? "GET",
    spec.url,
    body(spec),
    params(spec, Boolean(spec.readBody || (checked && spec.checks))),
  );
  if (checked) runChecks(spec, response);
  return response;
}

/** Parallel requests (setup only: they are not paced by the arrival rate). Bodies are always read. */
export function batch(specs: RequestSpec[]): Response[] {
  const responses = http.batch(
    specs.map((spec) => ({ method: spec.method ?? "GET", url: spec.url, body: body(spec), params: params(spec, true) })),
  );
  return responses;
}

function runChecks(spec: RequestSpec, response: Response): void {
  const status = spec.expectStatus ?? 200;
  check(response, { [`${spec.name}: status ${status}`]: (r) => r.status === status, ...spec.checks }, tags(spec.name));
}

/** The parsed JSON body, or undefined when there is none or it is not JSON. */
export function jsonBody(response: Response): Record<string, unknown> | undefined {
  if (typeof response.body !== "string" || response.body === "") return undefined;
  try {
    const parsed: unknown = JSON.parse(response.body);
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A check predicate on the JSON body: false when there is no JSON body. */
export function bodyIs(predicate: (body: Record<string, unknown>) => boolean): (response: Response) => boolean {
  return (response) => {
    const parsed = jsonBody(response);
    return parsed !== undefined && predicate(parsed);
  };
}
