import type { Router } from "express";
import { mountRoute } from "../route";

/** Fails on purpose, so the global error handler, its log line and its metric can be checked end to end. */
export function registerTestErrorRoute(router: Router): void {
  mountRoute(router, "/test-error", {
    get: () => {
      throw new Error("deliberate failure from /test-error");
    },
  });
}
