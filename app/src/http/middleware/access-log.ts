import type { RequestHandler } from "express";
import { bindToCurrentContext } from "../../context/request-context";
import type { Logger } from "../../telemetry/logger";
import { routeLabel } from "../route";
import { CLIENT_CLOSED_REQUEST } from "./request-metrics";

/** One line per request. The path is logged without its query string, which may carry user data. */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    // Bound to the request's contexts so the line carries its trace, span and request ids.
    res.once(
      "close",
      bindToCurrentContext(() => {
        const status = res.writableFinished ? res.statusCode : Number(CLIENT_CLOSED_REQUEST);
        logger.info(
          {
            method: req.method,
            path: req.path,
            route: routeLabel(res),
            status,
            duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
          },
          "request completed",
        );
      }),
    );
    next();
  };
}
