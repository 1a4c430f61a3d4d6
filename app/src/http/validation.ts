// Request validation with zod, failing as a 400 problem that names each offending field.
import type { z } from "zod";
import { HttpProblem, ProblemType } from "./problem";

export type RequestPart = "query" | "body" | "params" | "headers";

export interface FieldError {
  /** Dotted path from the request part, e.g. "query.ms" or "body.phone". */
  field: string;
  message: string;
}

export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, part: RequestPart): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors: FieldError[] = result.error.issues.map((issue) => ({
    field: [part, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
  throw new HttpProblem(400, "Validation Failed", {
    type: ProblemType.validation,
    detail: errors.map((error) => `${error.field}: ${error.message}`).join("; "),
    extensions: { errors },
  });
}
