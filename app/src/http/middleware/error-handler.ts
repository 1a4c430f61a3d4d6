// The one place an error becomes a response. Every error leaves as RFC 9457 problem+json.
import type { ErrorRequestHandler, Request, RequestHandler, Response } from "express";
import { DependencyUnavailableError } from "../../domain/errors";
import type { Logger } from "../../telemetry/logger";
import type { HttpMetrics } from "../../telemetry/metrics";
import { HttpProblem, type ProblemDetails, ProblemType, sendProblem } from "../problem";
import { routeLabel } from "../route";

export function notFound(): RequestHandler {
  return (req, _res, next) => {
    next(new HttpProblem(404, "Not Found", { detail: `No resource at ${truncate(req.path, 200)}` }));
  };
}

/** Errors from body-parser carry a `type` and an HTTP status; each kind gets a precise answer. */
interface BodyParserError {
  type: string;
  status: number;
  message: string;
}

const BODY_PARSER_ANSWERS: Record<string, { status: number; title: string; type: string; detail: string }> = {
  "entity.parse.failed": {
    status: 400,
    title: "Malformed Request Body",
    type: ProblemType.malformedBody,
    detail: "The request body is not valid JSON.",
  },
  "entity.too.large": {
    status: 413,
    title: "Content Too Large",
    type: ProblemType.blank,
    detail: "The request body exceeds the size limit.",
  },
  "encoding.unsupported": {
    status: 415,
    title: "Unsupported Media Type",
    type: ProblemType.blank,
    detail: "The request body's content encoding is not supported.",
  },
  "charset.unsupported": {
    status: 415,
    title: "Unsupported Media Type",
    type: ProblemType.blank,
    detail: "The request body's charset is not supported; use UTF-8.",
  },
  "request.aborted": { status: 400, title: "Request Aborted", type: ProblemType.blank, detail: "The client aborted the request body." },
};

function isBodyParserError(error: unknown): error is BodyParserError {
  return (
    error instanceof Error &&
    typeof (error as Partial<BodyParserError>).type === "string" &&
    typeof (error as Partial<BodyParserError>).status === "number"
  );
}

export function errorHandler(logger: Logger, metrics: HttpMetrics): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      // Too late for a problem document: let Express end the connection.
      logger.error({ err: error }, "error after response headers were sent");
      next(error);
      return;
    }
    const { problem, headers } = describe(error, req, res, logger, metrics);
    sendProblem(res, problem, headers);
  };
}

function describe(
  error: unknown,
  req: Request,
  res: Response,
  logger: Logger,
  metrics: HttpMetrics,
): { problem: ProblemDetails; headers: Record<string, string> } {
  const common = {
    instance: req.path,
    requestId: res.locals.requestId as string,
    ...(res.locals.traceId ? { traceId: res.locals.traceId as string } : {}),
  };
  if (error instanceof HttpProblem) {
    return {
      problem: {
        type: error.type,
        title: error.title,
        status: error.status,
        ...(error.detail ? { detail: error.detail } : {}),
        ...common,
        ...error.extensions,
      },
      headers: error.headers,
    };
  }
  if (error instanceof DependencyUnavailableError) {
    logger.warn({ dependency: error.dependency, err: error.cause }, "request failed: dependency unavailable");
    return {
      problem: {
        type: ProblemType.dependencyUnavailable,
        title: "Service Unavailable",
        status: 503,
        detail: `A dependency (${error.dependency}) is unavailable. Retry later.`,
        dependency: error.dependency,
        ...common,
      },
      headers: { "Retry-After": "1" },
    };
  }
  if (isBodyParserError(error) && error.status >= 400 && error.status < 500) {
    const answer = BODY_PARSER_ANSWERS[error.type] ?? {
      status: error.status,
      title: "Bad Request",
      type: ProblemType.blank,
      detail: error.message,
    };
    return { problem: { type: answer.type, title: answer.title, status: answer.status, detail: answer.detail, ...common }, headers: {} };
  }
  // Unexpected: log once with the stack, count it, and tell the caller nothing about internals.
  logger.error({ err: error, route: routeLabel(res) }, "unhandled error");
  metrics.unhandledErrors.inc({ route: routeLabel(res) });
  return {
    problem: {
      type: ProblemType.blank,
      title: "Internal Server Error",
      status: 500,
      detail: `An unexpected error occurred. Quote request id ${common.requestId} when reporting it.`,
      ...common,
    },
    headers: {},
  };
}

function truncate(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max)}…`;
}
