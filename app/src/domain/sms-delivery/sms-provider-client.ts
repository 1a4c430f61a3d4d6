// HTTP client of the SMS provider: POST /v1/messages, idempotent per OTP, with a hard timeout.
// Uses the global fetch (undici), which OpenTelemetry instruments, so each attempt is a client span.
import { SmsProviderError } from "./sms-provider-error";

export interface SmsMessage {
  to: string;
  from: string;
  text: string;
  /** The OTP id. Sent as the Idempotency-Key, so a retried or redelivered job is sent once. */
  reference: string;
  requestId: string;
}

export interface SmsProvider {
  send(message: SmsMessage): Promise<{ messageId: string }>;
}

export interface SmsProviderClientOptions {
  baseUrl: string;
  timeoutMs: number;
}

export function createSmsProviderClient(options: SmsProviderClientOptions): SmsProvider {
  const endpoint = new URL("v1/messages", options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`).toString();

  return {
    async send(message) {
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/json",
            "idempotency-key": message.reference,
            "x-request-id": message.requestId,
          },
          body: JSON.stringify({ to: message.to, from: message.from, text: message.text, reference: message.reference }),
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch (error) {
        throw transportError(error, options.timeoutMs);
      }
      if (response.ok) return { messageId: await messageIdOf(response, options.timeoutMs) };
      throw await httpError(response);
    },
  };
}

function transportError(error: unknown, timeoutMs: number): SmsProviderError {
  if (error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return new SmsProviderError(`provider did not answer within ${timeoutMs} ms`, "timeout", true, undefined, undefined, { cause: error });
  }
  // fetch reports every connection problem as "fetch failed" with the socket error as its cause.
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? (error as Error).message;
  return new SmsProviderError(`provider unreachable: ${reason}`, "network", true, undefined, undefined, { cause: error });
}

async function messageIdOf(response: Response, timeoutMs: number): Promise<string> {
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    // The body may have been cut off by the timeout, or be malformed. The send may have
    // happened, but the Idempotency-Key makes trying again safe.
    if (error instanceof DOMException && error.name === "TimeoutError") throw transportError(error, timeoutMs);
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

async function httpError(response: Response): Promise<SmsProviderError> {
  const retryable = response.status === 429 || response.status >= 500;
  // Only the problem title goes into the error: it ends up in logs and the dead-letter stream,
  // and a provider's detail text might echo the number or the message back.
  const title = await problemTitle(response);
  return new SmsProviderError(
    `provider answered ${response.status}${title ? ` ${title}` : ""}`,
    "http",
    retryable,
    response.status,
    retryAfterMs(response.headers.get("retry-after")),
  );
}

async function problemTitle(response: Response): Promise<string | undefined> {
  try {
    const text = await response.text();
    const title = (JSON.parse(text) as { title?: unknown }).title;
    return typeof title === "string" ? title.slice(0, 100) : undefined;
  } catch {
    return undefined;
  }
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
