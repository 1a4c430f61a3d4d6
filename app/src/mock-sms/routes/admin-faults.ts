// Runtime fault control, so a test or a reliability scenario changes the provider's behaviour without a restart.
import type { Router } from "express";
import { mountRoute } from "../../http/route";
import { parseRequest } from "../../http/validation";
import type { Logger } from "../../telemetry/logger";
import { type FaultControl, faultsPatchSchema } from "../faults";
import { readJsonBody } from "../json-body";

export function registerFaultRoutes(router: Router, faults: FaultControl, logger: Logger): void {
  mountRoute(router, "/admin/faults", {
    get: (_req, res) => {
      res.set("Cache-Control", "no-store").json(faults.current());
    },
    put: async (req, res) => {
      const patch = parseRequest(faultsPatchSchema, await readJsonBody(req, res), "body");
      const updated = faults.update(patch);
      logger.info({ faults: updated }, "faults changed");
      res.json(updated);
    },
  });
}
