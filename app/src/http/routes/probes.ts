// Kubernetes probes. None of them touches a dependency: they read the lifecycle and the
// dependency monitor's cached results, so a probe storm costs nothing.
import type { Router } from "express";
import type { DependencyMonitor } from "../../lifecycle/dependency-monitor";
import type { Lifecycle } from "../../lifecycle/lifecycle";
import { HttpProblem, ProblemType } from "../problem";
import { mountRoute } from "../route";

export interface ProbeDependencies {
  lifecycle: Lifecycle;
  dependencies: DependencyMonitor;
  version: string;
  startedAt: Date;
}

export function registerProbeRoutes(router: Router, deps: ProbeDependencies): void {
  const noStore = { "Cache-Control": "no-store" };

  // Liveness fails only when the process is finished for good; a restart would not fix anything else.
  mountRoute(router, "/live", {
    get: (_req, res) => {
      res.set(noStore);
      if (deps.lifecycle.state === "stopped") {
        throw new HttpProblem(503, "Not Alive", { detail: "The process has stopped.", extensions: { state: "stopped" } });
      }
      res.json({ status: "alive", state: deps.lifecycle.state });
    },
  });

  mountRoute(router, "/ready", {
    get: (_req, res) => {
      res.set(noStore);
      const state = deps.lifecycle.state;
      const failing = Object.entries(deps.dependencies.snapshot())
        .filter(([, status]) => !status.healthy)
        .map(([name]) => name);
      if (state !== "ready" || failing.length > 0) {
        throw new HttpProblem(503, "Not Ready", {
          type: ProblemType.notReady,
          detail: state !== "ready" ? `The service is ${state}.` : `Dependencies not answering: ${failing.join(", ")}.`,
          extensions: { state, failing },
          headers: noStore,
        });
      }
      res.json({ status: "ready" });
    },
  });

  mountRoute(router, "/health", {
    get: (_req, res) => {
      const state = deps.lifecycle.state;
      const components = deps.dependencies.snapshot();
      const healthy = state === "ready" && Object.values(components).every((component) => component.healthy);
      res
        .status(healthy ? 200 : 503)
        .set(noStore)
        .json({
          status: healthy ? "healthy" : "unhealthy",
          state,
          version: deps.version,
          uptimeSeconds: Math.round((Date.now() - deps.startedAt.getTime()) / 1000),
          components,
        });
    },
  });
}
