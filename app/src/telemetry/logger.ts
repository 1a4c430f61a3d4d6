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

/** Paths that could ever hold a secret or an OTP code are censored, wherever they appear. */
const REDACTED_PATHS = [
  "code",
  "*.code",
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
      mixin: correlationFields,
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
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
