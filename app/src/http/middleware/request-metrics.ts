import type { RequestHandler } from "express";
import type { HttpMetrics } from "../../telemetry/metrics";
import { routeLabel } from "../route";

/** Status recorded for a client that hung up before the response completed (nginx's convention). */
export const CLIENT_CLOSED_REQUEST = "499";

export function requestMetrics(metrics: HttpMetrics): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    metrics.requestsInFlight.inc();
    // 'close' fires exactly once, whether the response finished or the client went away.
    res.once("close", () => {
      metrics.requestsInFlight.dec();
      metrics.requestDuration.observe(
        {
          method: req.method,
          route: routeLabel(res),
          status_code: res.writableFinished ? String(res.statusCode) : CLIENT_CLOSED_REQUEST,
        },
        (performance.now() - started) / 1000,
      );
    });
    next();
  };
}
