// Validates results.json with the zod schema of k6/runner/results.ts (the one results.schema.json is
// generated from), then checks the cross-field rules a schema cannot express. Zod's issues are turned
// into errors that name the JSON path of the offending value, e.g. "$.layers[2].plateaus[0].latencyMs.p99".
import { z } from "zod";
import { type BenchResults, benchResultsSchema } from "../runner/results.ts";

export interface ValidationError {
  /** JSON path of the offending value, e.g. "$.layers[2].plateaus[0].latencyMs.p99". */
  path: string;
  message: string;
}

type Path = readonly PropertyKey[];

/** The JSON type of a value. */
function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Appends a property name to a JSON path, quoting names that are not identifiers. */
export function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function jsonPath(path: Path): string {
  return path.reduce<string>((out, key) => (typeof key === "number" ? `${out}[${key}]` : childPath(out, String(key))), "$");
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** "got <type> <value>", e.g. 'got string "10000"', or just "got null". */
function got(value: unknown): string {
  return value === null ? "got null" : `got ${jsonType(value)} ${describe(value)}`;
}

/** The value at a path of the validated data; `found` is false when a step is missing. */
function valueAt(data: unknown, path: Path): { found: boolean; value: unknown } {
  let value = data;
  for (const key of path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return { found: false, value: undefined };
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value };
}

/** The schema that validates the value at a path, through objects, arrays, records and nullables. */
function schemaAt(schema: z.ZodType, path: Path): z.ZodType | undefined {
  let node: z.ZodType | undefined = schema;
  for (const key of path) {
    while (node instanceof z.ZodNullable || node instanceof z.ZodOptional) node = node.unwrap() as z.ZodType;
    if (node instanceof z.ZodObject) node = (node.shape as Record<string, z.ZodType>)[String(key)];
    else if (node instanceof z.ZodArray) node = node.element as z.ZodType;
    else if (node instanceof z.ZodRecord) node = node.valueType as z.ZodType;
    else return undefined;
  }
  return node;
}

/** Zod's name for an expected type, in JSON Schema's words. */
function expectedName(expected: string): string {
  return expected === "int" ? "integer" : expected === "record" ? "object" : expected;
}

/** Maps one zod issue (its path relative to `base`) to errors in the report's words. */
function toErrors(issue: z.core.$ZodIssue, data: unknown, base: Path = []): ValidationError[] {
  const path = [...base, ...issue.path];
  const here = valueAt(data, path);
  const error = (message: string): ValidationError[] => [{ path: jsonPath(path), message }];
  // A property the object lacks fails whatever its schema is (a type, a literal, an enum): say so.
  if (!here.found && path.length > 0 && isObject(valueAt(data, path.slice(0, -1)).value)) return error("is required but missing");
  switch (issue.code) {
    case "invalid_type": {
      const nullable = issue.expected !== "null" && schemaAt(benchResultsSchema, path)?.safeParse(null).success === true;
      const expected = `${expectedName(issue.expected)}${nullable ? " or null" : ""}`;
      return error(`expected ${expected}, ${got(here.value)}`);
    }
    case "invalid_value":
      return issue.values.length === 1
        ? error(`expected ${describe(issue.values[0])}, got ${describe(here.value)}`)
        : error(`expected one of ${issue.values.map((v) => describe(v)).join(", ")}, got ${describe(here.value)}`);
    case "too_small":
      if (issue.origin === "string") return error(`must have at least ${issue.minimum} character(s)`);
      if (issue.origin === "array") return error(`must have at least ${issue.minimum} item(s)`);
      return error(`must be ${issue.inclusive === false ? ">" : ">="} ${issue.minimum}, got ${describe(here.value)}`);
    case "too_big":
      if (issue.origin === "string") return error(`must have at most ${issue.maximum} character(s)`);
      if (issue.origin === "array") return error(`must have at most ${issue.maximum} item(s)`);
      return error(`must be ${issue.inclusive === false ? "<" : "<="} ${issue.maximum}, got ${describe(here.value)}`);
    case "unrecognized_keys":
      return issue.keys.map((key) => ({ path: childPath(jsonPath(path), key), message: "is not allowed (unknown property)" }));
    case "invalid_union": {
      // Every branch refused the type: name them all. Otherwise report the branch whose type matched.
      const typeOnly = (branch: z.core.$ZodIssue[]) => branch.every((i) => i.code === "invalid_type" && i.path.length === 0);
      if (issue.errors.length > 0 && issue.errors.every(typeOnly)) {
        const expected = issue.errors.flatMap((branch) => branch.map((i) => (i.code === "invalid_type" ? expectedName(i.expected) : "")));
        return error(`expected ${expected.join(" or ")}, ${got(here.value)}`);
      }
      const matched = issue.errors.find((branch) => !typeOnly(branch));
      return matched ? matched.flatMap((inner) => toErrors(inner, data, path)) : error(issue.message);
    }
    default:
      return error(issue.message);
  }
}

/** Rules the schema cannot express: references between fields that the report relies on. */
function checkConsistency(results: BenchResults): ValidationError[] {
  const errors: ValidationError[] = [];
  results.layers.forEach((layer, index) => {
    const path = `$.layers[${index}]`;
    if (layer.knee_index !== null && layer.knee_index >= layer.plateaus.length) {
      errors.push({
        path: `${path}.knee_index`,
        message: `points past the last plateau (${layer.knee_index} >= ${layer.plateaus.length} plateaus)`,
      });
    }
    if (layer.generator_limited && layer.capacity_rps !== null) {
      errors.push({ path: `${path}.capacity_rps`, message: "must be null when generator_limited is true (no capacity is claimed then)" });
    }
  });
  return errors;
}

export type ValidationOutcome = { ok: true; results: BenchResults } | { ok: false; errors: ValidationError[] };

/** Validates parsed results.json: the schema first, then the cross-field rules. */
export function validateResults(data: unknown): ValidationOutcome {
  const parsed = benchResultsSchema.safeParse(data);
  if (!parsed.success) return { ok: false, errors: parsed.error.issues.flatMap((issue) => toErrors(issue, data)) };
  const consistency = checkConsistency(parsed.data);
  return consistency.length > 0 ? { ok: false, errors: consistency } : { ok: true, results: parsed.data };
}

export function formatValidationErrors(errors: ValidationError[], limit = 20): string {
  const lines = errors.slice(0, limit).map((e) => `  ${e.path}: ${e.message}`);
  if (errors.length > limit) lines.push(`  ... and ${errors.length - limit} more`);
  return lines.join("\n");
}
