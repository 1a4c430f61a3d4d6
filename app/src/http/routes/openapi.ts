import type { Router } from "express";
import { mountRoute } from "../route";

export function registerOpenApiRoute(router: Router, document: Record<string, unknown>): void {
  const body = JSON.stringify(document);
  mountRoute(router, "/openapi.json", {
    get: (_req, res) => {
      res.type("application/json").send(body);
    },
  });
}
