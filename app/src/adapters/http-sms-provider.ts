// HTTP client of the SMS provider (the SmsProvider port): POST /v1/messages, idempotent per OTP, with a hard timeout.
// Uses node:http(s) with a keep-alive agent rather than fetch: fetch (undici and its web streams)
// cost more CPU than the rest of a delivery together. Each attempt is a CLIENT span, child of the
// delivery's span, and carries its traceparent to the provider.
import http from "node:http";
import https from "node:https";
import type { SmsMessage, SmsProvider } from "../domain/sms-delivery/sms-provider";
import { SmsProviderError } from "../domain/sms-delivery/sms-provider-error";
import { startClientSpan } from "../telemetry/http-spans";

export interface SmsProviderClientOptions {
  baseUrl: string;
  timeoutMs: number;
}

/** A provider's answer is a small JSON document; anything longer is cut off, not buffered. */
const MAX_RESPONSE_BYTES = 64 * 1024;

interface ProviderResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function createSmsProviderClient(options: SmsProviderClientOptions): SmsProvider {
  const endpoint = new URL("v1/messages", options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`);
  const transport = endpoint.protocol === "https:" ? https : http;
  // Connections are reused across jobs. Idle ones close before the provider's own keep-alive
  // timeout when it announces one (Node's agent honours `Keep-Alive: timeout=N`), and do not keep
  // the process alive.
  const agent = new transport.Agent({ keepAlive: true });
  const target = {
    protocol: endpoint.protocol,
    hostname: endpoint.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: endpoint.port || undefined,
    path: `${endpoint.pathname}${endpoint.search}`,
    method: "POST",
    agent,
  };

  return {
    async send(message) {
      const body = JSON.stringify({ to: message.to, from: message.from, text: message.text, reference: message.reference });
      const response = await post(transport, endpoint, target, body, message, options.timeoutMs);
      if (response.status >= 200 && response.status < 300) return { messageId: messageIdOf(response) };
      throw httpError(response);
    },
  };
}

function post(
  transport: typeof http | typeof https,
  endpoint: URL,
  target: http.RequestOptions,
  body: string,
  message: SmsMessage,
  timeoutMs: number,
): Promise<ProviderResponse> {
  const span = startClientSpan("POST", endpoint, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    accept: "application/json",
    "idempotency-key": message.reference,
    "x-request-id": message.requestId,
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    let timedOut = false;
    const finish = (error: unknown, response?: ProviderResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (response) {
        span.end({ status: response.status });
        resolve(response);
      } else {
        const failure = timedOut ? timeoutError(timeoutMs, error) : transportError(error);
        span.end({ error: timedOut ? failure : error });
        reject(failure);
      }
    };
    const request = transport.request({ ...target, headers: span.headers }, (response) => {
      const chunks: Buffer[] = [];
      let length = 0;
      response.on("data", (chunk: Buffer) => {
        if (length + chunk.length <= MAX_RESPONSE_BYTES) chunks.push(chunk);
        length += chunk.length;
      });
      response.on("end", () =>
        finish(undefined, { status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString("utf8") }),
      );
      // The connection broke (or the timeout cut it) while the body was arriving.
      response.on("error", (error) => finish(error));
      response.on("close", () => finish(new Error("the connection closed before the response ended")));
    });
    // The timeout covers the whole exchange: connecting, sending, waiting and reading the answer.
    const timer = setTimeout(() => {
      timedOut = true;
      request.destroy(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    request.on("error", (error) => finish(error));
    request.end(body);
  });
}

function timeoutError(timeoutMs: number, cause: unknown): SmsProviderError {
  return new SmsProviderError(`provider did not answer within ${timeoutMs} ms`, "timeout", true, undefined, undefined, { cause });
}

function transportError(error: unknown): SmsProviderError {
  // A socket error carries its errno code (ECONNREFUSED, ECONNRESET, …); say that, not the address.
  const code = (error as { code?: unknown } | null)?.code;
  const reason = typeof code === "string" ? code : error instanceof Error ? error.message : String(error);
  return new SmsProviderError(`provider unreachable: ${reason}`, "network", true, undefined, undefined, { cause: error });
}

function messageIdOf(response: ProviderResponse): string {
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch (error) {
    // Malformed, or cut off. The send may have happened, but the Idempotency-Key makes trying again safe.
    throw new SmsProviderError("provider answered 2xx without a JSON body", "invalid_response", true, response.status, undefined, {
      cause: error,
    });
  }
  const id = (body as { id?: unknown } | null)?.id;
  if (typeof id !== "string" || id.length === 0) {
    throw new SmsProviderError("provider answered 2xx without a message id", "invalid_response", true, response.status);
  }
  return id;
}

function httpError(response: ProviderResponse): SmsProviderError {
  const retryable = response.status === 429 || response.status >= 500;
  // Only the problem title goes into the error: it ends up in logs and the dead-letter stream,
  // and a provider's detail text might echo the number or the message back.
  const title = problemTitle(response.body);
  const retryAfter = response.headers["retry-after"];
  return new SmsProviderError(
    `provider answered ${response.status}${title ? ` ${title}` : ""}`,
    "http",
    retryable,
    response.status,
    retryAfterMs(typeof retryAfter === "string" ? retryAfter : undefined),
  );
}

function problemTitle(text: string): string | undefined {
  try {
    const title = (JSON.parse(text) as { title?: unknown } | null)?.title;
    return typeof title === "string" ? title.slice(0, 100) : undefined;
  } catch {
    return undefined;
  }
}

function retryAfterMs(header: string | undefined): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
