// Builds the mock provider's Express app from the shared HTTP building blocks, so its errors,
// request ids and request metrics look exactly like the service's.
import express, { type Express } from "express";
import type { Registry } from "prom-client";
import { correlationId } from "../http/middleware/correlation-id";
import { errorHandler, notFound } from "../http/middleware/error-handler";
import { requestMetrics } from "../http/middleware/request-metrics";
import { registerMetricsRoute } from "../http/routes/metrics";
import type { Logger } from "../telemetry/logger";
import { createHttpMetrics } from "../telemetry/metrics";
import type { FaultControl } from "./faults";
import type { MessageStore } from "./message-store";
import { registerFaultRoutes } from "./routes/admin-faults";
import { registerInboxRoutes } from "./routes/inbox";
import { registerSendMessageRoute } from "./routes/send-message";
import { registerStatusRoutes } from "./routes/status";
import type { SendMetrics } from "./send-metrics";

export interface MockSmsAppDependencies {
  logger: Logger;
  registry: Registry;
  store: MessageStore;
  faults: FaultControl;
  metrics: SendMetrics;
  /** Source of randomness for jitter and failures; replaceable for deterministic experiments. */
  random?: () => number;
}

export function createMockSmsApp(deps: MockSmsAppDependencies): Express {
  const httpMetrics = createHttpMetrics(deps.registry);
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  // Request id first, so every problem document carries one; metrics next, so they time everything.
  // No app-wide body parser: the routes that take JSON read it themselves (see json-body.ts).
  app.use(correlationId());
  app.use(requestMetrics(httpMetrics));

  const router = express.Router();
  registerSendMessageRoute(router, { ...deps, random: deps.random ?? Math.random });
  registerInboxRoutes(router, deps.store);
  registerFaultRoutes(router, deps.faults, deps.logger);
  registerStatusRoutes(router, deps.metrics.stats);
  registerMetricsRoute(router, deps.registry);
  app.use(router);

  app.use(notFound());
  app.use(errorHandler(deps.logger, httpMetrics));
  return app;
}
