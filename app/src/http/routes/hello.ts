// Framework-floor endpoints: the cheapest possible response, and one that waits without blocking.
import { setTimeout as sleep } from "node:timers/promises";
import type { Router } from "express";
import { z } from "zod";
import { mountRoute } from "../route";
import { parseRequest } from "../validation";

export const MAX_DELAY_MS = 30_000;

const delayedHelloQuery = z.object({
  ms: z.coerce.number({ error: "must be a number of milliseconds" }).int("must be a whole number").min(0).max(MAX_DELAY_MS),
});

export function registerHelloRoutes(router: Router): void {
  mountRoute(router, "/hello", {
    get: (_req, res) => {
      res.json({ message: "hello" });
    },
  });
  mountRoute(router, "/delayed-hello", {
    get: async (req, res) => {
      const { ms } = parseRequest(delayedHelloQuery, req.query, "query");
      // A timer, not a busy wait: the event loop keeps serving other requests meanwhile.
      await sleep(ms);
      res.json({ message: "hello", delayedMs: ms });
    },
  });
}
