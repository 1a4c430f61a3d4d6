// Health and counters. /metrics comes from the service's shared route on this instance's registry.
import type { Router } from "express";
import { mountRoute } from "../../http/route";
import type { MockSmsStats } from "../send-metrics";

export function registerStatusRoutes(router: Router, stats: () => MockSmsStats): void {
  mountRoute(router, "/health", {
    get: (_req, res) => {
      res.set("Cache-Control", "no-store").json({ status: "ok" });
    },
  });
  mountRoute(router, "/stats", {
    get: (_req, res) => {
      res.set("Cache-Control", "no-store").json(stats());
    },
  });
}
