import { trace } from "@opentelemetry/api";
import type { RequestHandler } from "express";
import { hasTraceIds } from "../../telemetry/logger";

/**
 * Ties the request's span to its correlation id and tells the caller which trace it landed in
 * (W3C `traceresponse`), so a k6 run or a support ticket can jump straight to the trace.
 */
export function traceContext(): RequestHandler {
  return (_req, res, next) => {
    const span = trace.getActiveSpan();
    const spanContext = span?.spanContext();
    if (span && spanContext && hasTraceIds(spanContext)) {
      span.setAttribute("http.request.id", res.locals.requestId as string);
      res.locals.traceId = spanContext.traceId;
      const flags = spanContext.traceFlags.toString(16).padStart(2, "0");
      res.setHeader("traceresponse", `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`);
    }
    next();
  };
}
