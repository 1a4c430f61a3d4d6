// Registers a path with its method handlers, records the route template for metrics and logs,
// and answers other methods with 405 and an Allow header instead of a misleading 404.
import type { Request, RequestHandler, Response, Router } from "express";
import { recordHttpRoute } from "../telemetry/http-route";
import { HttpProblem } from "./problem";

export type RouteHandler = (req: Request, res: Response) => unknown;
type Method = "get" | "post" | "put" | "delete" | "patch";

export function mountRoute(router: Router, path: string, handlers: Partial<Record<Method, RouteHandler>>): void {
  const methods = Object.keys(handlers) as Method[];
  const allow = [...methods.map((m) => m.toUpperCase()), ...(methods.includes("get") ? ["HEAD"] : []), "OPTIONS"].join(", ");
  const route = router.route(path);
  route.all(recordTemplate(path));
  for (const method of methods) {
    const handler = handlers[method] as RouteHandler;
    route[method](async (req, res) => {
      await handler(req, res);
    });
  }
  route.all((req, res) => {
    if (req.method === "OPTIONS") {
      res.setHeader("Allow", allow);
      res.status(204).end();
      return;
    }
    throw new HttpProblem(405, "Method Not Allowed", {
      detail: `${req.method} is not supported on ${path}; use ${allow}`,
      headers: { Allow: allow },
    });
  });
}

function recordTemplate(path: string): RequestHandler {
  return (_req, res, next) => {
    res.locals.routeTemplate = path;
    recordHttpRoute(path);
    next();
  };
}

/** The route template of a matched request, or one shared label for everything unmatched. */
export function routeLabel(res: Response): string {
  return (res.locals.routeTemplate as string | undefined) ?? "unmatched";
}
