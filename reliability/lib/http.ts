// The harness' single HTTP requests (probes, setup, hand-written cases; load is k6's): every call is
// timed, bounded, and never throws (status 0 = no answer).
import { setTimeout as sleep } from "node:timers/promises";

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

/** Polls until `probe` returns something other than undefined/false, or throws after timeoutMs. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 30_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** True for an RFC 9457 answer: the media type and a body with type, title and the same status. */
export function isProblem(result: CallResult): boolean {
  if (!result.contentType.startsWith("application/problem+json")) return false;
  const body = json(result);
  return typeof body?.type === "string" && typeof body.title === "string" && body.status === result.status;
}
