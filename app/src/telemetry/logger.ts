// Structured JSON logs. Every line written inside a request carries its trace, span and request ids.
import { isSpanContextValid, trace } from "@opentelemetry/api";
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
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
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

function correlationFields(): Record<string, string> {
  const fields: Record<string, string> = {};
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (spanContext && isSpanContextValid(spanContext)) {
    fields.trace_id = spanContext.traceId;
    fields.span_id = spanContext.spanId;
  }
  const request = currentRequestContext();
  if (request) fields.request_id = request.requestId;
  return fields;
}

/** Keeps the country code and the last three digits: enough to tell numbers apart in a log, not to dial. */
export function maskPhone(phone: string): string {
  if (phone.length <= 6) return "*".repeat(phone.length);
  return `${phone.slice(0, 3)}${"*".repeat(phone.length - 6)}${phone.slice(-3)}`;
}
