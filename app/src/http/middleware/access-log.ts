import type { RequestHandler } from "express";
import { correlationFields, type Logger, unredactedLogger } from "../../telemetry/logger";
import { routeLabel } from "../route";
import { CLIENT_CLOSED_REQUEST } from "./request-metrics";

/** One line per request. The path is logged without its query string, which may carry user data. */
export function accessLog(logger: Logger): RequestHandler {
  // Every field is built here from the request's method, path, route template, status and timing.
  const lines = unredactedLogger(logger);
  return (req, res, next) => {
    const started = performance.now();
    // The request's trace, span and request ids, taken now: the 'close' event may fire outside them.
    const correlation = correlationFields();
    res.once("close", () => {
      const status = res.writableFinished ? res.statusCode : Number(CLIENT_CLOSED_REQUEST);
      lines.info(
        {
          ...correlation,
          method: req.method,
          path: req.path,
          route: routeLabel(res),
          status,
          duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
        },
        "request completed",
      );
    });
    next();
  };
}
