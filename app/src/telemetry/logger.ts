// Structured JSON logs. Every line written inside a request carries its trace, span and request ids.
import { INVALID_SPANID, INVALID_TRACEID, type SpanContext, trace } from "@opentelemetry/api";
import pino, { type DestinationStream, type Logger } from "pino";
import { currentRequestContext } from "../context/request-context";

export type { Logger };

export interface LoggerOptions {
  level: string;
  serviceName: string;
  destination?: DestinationStream;
}

/**
 * A safety net, not the policy: code never passes secrets or OTP codes to the logger. These are the
 * places one could slip in (an error's `code` is a SQL or errno code and stays visible).
 */
const REDACTED_PATHS = [
  "code",
  "otp.code",
  "body.code",
  "apiKey",
  "*.apiKey",
  "secret",
  "*.secret",
  "authorization",
  "*.authorization",
  "*.headers.authorization",
  "password",
  "*.password",
];

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.serviceName, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      serializers: { err: serializeError },
      mixin: correlationFields,
    },
    options.destination ?? bufferedStdout(),
  );
}

/** Lines wait in memory until this many bytes are buffered, or the flush interval passes. */
const LOG_BUFFER_BYTES = 8 * 1024;
const LOG_FLUSH_INTERVAL_MS = 100;

/**
 * stdout, written in chunks of several lines: one asynchronous write (a thread-pool round trip)
 * per line cost more CPU than anything else an access-logged request does. A line waits at most
 * LOG_FLUSH_INTERVAL_MS; the buffer is flushed synchronously when the process exits, and by
 * logger.flush() at the end of a graceful shutdown.
 */
function bufferedStdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: false, minLength: LOG_BUFFER_BYTES, periodicFlush: LOG_FLUSH_INTERVAL_MS });
}

/**
 * A logger for lines whose every field the caller builds from known, non-secret values (the access
 * log): the same output, without the redaction pass, which otherwise visits every field of every
 * line because of the wildcard paths.
 */
export function unredactedLogger(logger: Logger): Logger {
  return logger.child({}, { redact: [] });
}

/**
 * Type, message, code and stack, and the same for the cause. Never the whole object: driver errors
 * carry their client, connection parameters and buffers.
 */
export function serializeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    message: error.message,
    ...(typeof code === "string" || typeof code === "number" ? { code } : {}),
    stack: error.stack,
    ...(error.cause !== undefined && depth < 3 ? { cause: serializeError(error.cause, depth + 1) } : {}),
  };
}

/** The trace, span and request ids of the active contexts: what the mixin adds to every line. */
export function correlationFields(): Record<string, string> {
  const fields: Record<string, string> = {};
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (spanContext && hasTraceIds(spanContext)) {
    fields.trace_id = spanContext.traceId;
    fields.span_id = spanContext.spanId;
  }
  const request = currentRequestContext();
  if (request) fields.request_id = request.requestId;
  return fields;
}

/**
 * True unless the span is the API's placeholder (all-zero ids). Cheaper than isSpanContextValid(),
 * which also re-checks the hex format: the SDK creates well-formed ids, and the W3C propagator
 * accepts only well-formed ones from callers.
 */
export function hasTraceIds(spanContext: SpanContext): boolean {
  return spanContext.traceId !== INVALID_TRACEID && spanContext.spanId !== INVALID_SPANID;
}
