// RFC 9457 problem details: the one shape every HTTP error takes.
import type { Response } from "express";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** Problem types this API defines. Plain HTTP failures (404, 405, 500) use about:blank, as RFC 9457 suggests. */
export const ProblemType = {
  blank: "about:blank",
  validation: "urn:otp-lab:problem:validation-failed",
  malformedBody: "urn:otp-lab:problem:malformed-body",
  dependencyUnavailable: "urn:otp-lab:problem:dependency-unavailable",
  notReady: "urn:otp-lab:problem:not-ready",
} as const;

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

export interface HttpProblemInit {
  type?: string;
  detail?: string;
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** Thrown by handlers for an expected failure; the error handler renders it as problem+json. */
export class HttpProblem extends Error {
  override readonly name = "HttpProblem";
  readonly type: string;
  readonly detail: string | undefined;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    readonly title: string,
    init: HttpProblemInit = {},
  ) {
    super(init.detail ?? title);
    this.type = init.type ?? ProblemType.blank;
    this.detail = init.detail;
    this.extensions = init.extensions ?? {};
    this.headers = init.headers ?? {};
  }
}

export function sendProblem(res: Response, problem: ProblemDetails, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}
