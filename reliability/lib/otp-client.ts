// The client side, as a scenario drives it one request at a time (load is k6's): every call is timed,
// bounded and never throws (status 0 = no answer); an OTP journey is send, read the code, verify.
import type { SeededTenant } from "@otp-lab/local-stack/app-cli";

/** Milliseconds since the epoch with sub-millisecond precision, comparable across the run. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

export interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  timeoutMs?: number;
}

export interface CallResult {
  status: number;
  contentType: string;
  text: string;
  headers: Record<string, string>;
  startedAt: number;
  endedAt: number;
  ms: number;
  /** Set when no HTTP answer came (refused, reset, timed out). */
  error?: string;
}

export async function call(url: string, options: CallOptions = {}): Promise<CallResult> {
  const startedAt = epochMs();
  try {
    const response = await fetch(url, {
      method: options.method ?? "GET",
      headers: options.headers,
      body: options.body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    const text = await response.text();
    const endedAt = epochMs();
    return {
      status: response.status,
      contentType: response.headers.get("content-type") ?? "",
      text,
      headers: Object.fromEntries(response.headers),
      startedAt,
      endedAt,
      ms: endedAt - startedAt,
    };
  } catch (error) {
    const endedAt = epochMs();
    const cause = (error as { cause?: { code?: string } }).cause;
    return {
      status: 0,
      contentType: "",
      text: "",
      headers: {},
      startedAt,
      endedAt,
      ms: endedAt - startedAt,
      error: cause?.code ?? (error as Error).name ?? String(error),
    };
  }
}

export function json(result: CallResult): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(result.text);
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}, timeoutMs?: number): Promise<CallResult> {
  return call(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
    ...(timeoutMs ? { timeoutMs } : {}),
  });
}

/** True for an RFC 9457 answer: the media type and a body with type, title and the same status. */
export function isProblem(result: CallResult): boolean {
  if (!result.contentType.startsWith("application/problem+json")) return false;
  const body = json(result);
  return typeof body?.type === "string" && typeof body.title === "string" && body.status === result.status;
}

/** An OTP send, as a client makes it. */
export function sendOtp(serviceUrl: string, tenant: SeededTenant, phone: string, headers: Record<string, string> = {}) {
  return postJson(`${serviceUrl}/v1/otp/send`, { phone }, { authorization: `Bearer ${tenant.apiKey}`, ...headers });
}

export function verifyOtp(serviceUrl: string, tenant: SeededTenant, phone: string, code: string) {
  return postJson(`${serviceUrl}/v1/otp/verify`, { phone, code }, { authorization: `Bearer ${tenant.apiKey}` });
}

/** The code in an SMS text: its last run of 4 to 10 digits. */
export function codeIn(text: string): string | undefined {
  return text.match(/\d{4,10}/g)?.at(-1);
}

/** Distinct test numbers: a prefix per scenario and a counter, E.164, never repeating within a run. */
export function phoneSequence(prefix: string): () => string {
  const base = Math.floor(Math.random() * 9_000_000) + 1_000_000;
  let next = 0;
  return () => `+${prefix}${String(base + next++).padStart(8, "0")}`;
}
