import type { Router } from "express";
import type { Registry } from "prom-client";
import { mountRoute } from "../route";

export function registerMetricsRoute(router: Router, registry: Registry): void {
  mountRoute(router, "/metrics", {
    get: async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    },
  });
}
