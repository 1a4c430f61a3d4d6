// Builds the Express application. The middleware order is deliberate; each position is explained.
import express, { type Express, type Router } from "express";
import type { Registry } from "prom-client";
import type { DependencyMonitor } from "../lifecycle/dependency-monitor";
import type { Lifecycle } from "../lifecycle/lifecycle";
import type { Logger } from "../telemetry/logger";
import type { HttpMetrics } from "../telemetry/metrics";
import { accessLog } from "./middleware/access-log";
import { correlationId } from "./middleware/correlation-id";
import { errorHandler, notFound } from "./middleware/error-handler";
import { requestMetrics } from "./middleware/request-metrics";
import { traceContext } from "./middleware/trace-context";
import { registerHelloRoutes } from "./routes/hello";
import { registerMetricsRoute } from "./routes/metrics";
import { registerProbeRoutes } from "./routes/probes";
import { registerTestErrorRoute } from "./routes/test-error";

export interface AppDependencies {
  logger: Logger;
  registry: Registry;
  httpMetrics: HttpMetrics;
  lifecycle: Lifecycle;
  dependencies: DependencyMonitor;
  version: string;
  startedAt: Date;
  bodyLimitBytes: number;
  accessLogEnabled: boolean;
  /** /test-error lets anyone raise error metrics and alerts: mounted only when asked for. */
  testErrorEndpointEnabled: boolean;
  /** Feature routers (the OTP API, layer endpoints) mounted after the core routes. */
  extraRoutes?: Array<(router: Router) => void>;
}

export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  // 1. Correlation id first: every later log line, span and error response (even a body-parser
  //    failure or a 404) can then carry it.
  app.use(correlationId());
  // 2. Tracing context next: the HTTP instrumentation already opened the span; tag it with the
  //    correlation id and expose the trace id before anything can fail.
  app.use(traceContext());
  // 3. Metrics before logging and routing, so the timer covers body parsing, routing and errors,
  //    and the in-flight gauge counts every request, including ones that end in 404.
  app.use(requestMetrics(deps.httpMetrics));
  // 4. Access log after metrics: it reads the route template and status the same way, once per request.
  if (deps.accessLogEnabled) app.use(accessLog(deps.logger));
  // Body parsing after observability, so malformed or oversized bodies are measured and logged.
  app.use(express.json({ limit: deps.bodyLimitBytes, strict: true }));

  // 5. Routes.
  const router = express.Router();
  registerHelloRoutes(router);
  if (deps.testErrorEndpointEnabled) registerTestErrorRoute(router);
  registerProbeRoutes(router, deps);
  registerMetricsRoute(router, deps.registry);
  for (const register of deps.extraRoutes ?? []) register(router);
  app.use(router);

  // 6. Anything unmatched is a 404 problem, with one shared metrics label.
  app.use(notFound());
  // 7. The single global error handler, last so it sees every error.
  app.use(errorHandler(deps.logger, deps.httpMetrics));
  return app;
}
