// Validates results.json against results.schema.json without a validator dependency: a small
// interpreter for the subset of JSON Schema (draft 2020-12) that the schema uses. A keyword outside
// the subset is an error, so the schema can never silently ask for a check this code does not make.
import { readFileSync } from "node:fs";
import type { BenchResults } from "../runner/results.ts";

export type JsonSchema = { [keyword: string]: unknown };

export interface ValidationError {
  /** JSON path of the offending value, e.g. "$.layers[2].plateaus[0].latencyMs.p99". */
  path: string;
  message: string;
}

const SUPPORTED = new Set([
  "$schema",
  "$id",
  "$defs",
  "$comment",
  "$ref",
  "title",
  "description",
  "type",
  "required",
  "properties",
  "additionalProperties",
  "items",
  "enum",
  "const",
  "minimum",
  "maximum",
  "minLength",
]);

export const RESULTS_SCHEMA_URL = new URL("./results.schema.json", import.meta.url);

export function loadResultsSchema(): JsonSchema {
  return JSON.parse(readFileSync(RESULTS_SCHEMA_URL, "utf8")) as JsonSchema;
}

/** The JSON type of a value, with "integer" for whole numbers (which are numbers too). */
function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  switch (type) {
    case "null":
      return value === null;
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "string":
    case "boolean":
      return typeof value === type;
    default:
      throw new Error(`schema: unknown type "${type}"`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Appends a property name to a JSON path, quoting names that are not identifiers. */
export function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function resolveRef(root: JsonSchema, ref: string): JsonSchema {
  const match = /^#\/\$defs\/([^/]+)$/.exec(ref);
  const defs = root.$defs;
  const target = match?.[1] !== undefined && isObject(defs) ? defs[match[1]] : undefined;
  if (!isObject(target)) throw new Error(`schema: unresolvable $ref "${ref}" (only "#/$defs/Name" is supported)`);
  return target;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Validates a value against a schema; returns every error found (empty when valid). */
export function validateAgainstSchema(value: unknown, schema: JsonSchema, root: JsonSchema = schema, path = "$"): ValidationError[] {
  for (const keyword of Object.keys(schema)) {
    if (!SUPPORTED.has(keyword)) throw new Error(`schema: keyword "${keyword}" at ${path} is not supported by validate-results.ts`);
  }
  if (typeof schema.$ref === "string") {
    return validateAgainstSchema(value, resolveRef(root, schema.$ref), root, path);
  }
  const errors: ValidationError[] = [];
  const fail = (message: string) => errors.push({ path, message });

  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => matchesType(value, t))) {
      fail(`expected ${types.join(" or ")}, got ${jsonType(value)} ${describe(value)}`);
      return errors; // the other keywords would only repeat the same mistake
    }
  }
  if ("const" in schema && value !== schema.const) fail(`expected ${describe(schema.const)}, got ${describe(value)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
    fail(`expected one of ${schema.enum.map((v) => describe(v)).join(", ")}, got ${describe(value)}`);
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) fail(`must be >= ${schema.minimum}, got ${value}`);
    if (typeof schema.maximum === "number" && value > schema.maximum) fail(`must be <= ${schema.maximum}, got ${value}`);
  }
  if (typeof value === "string" && typeof schema.minLength === "number" && value.length < schema.minLength) {
    fail(`must have at least ${schema.minLength} character(s)`);
  }
  if (Array.isArray(value) && isObject(schema.items)) {
    const items = schema.items;
    value.forEach((item, index) => {
      errors.push(...validateAgainstSchema(item, items, root, `${path}[${index}]`));
    });
  }
  if (isObject(value)) {
    const properties = isObject(schema.properties) ? schema.properties : {};
    if (Array.isArray(schema.required)) {
      for (const key of schema.required as string[]) {
        if (!(key in value)) errors.push({ path: childPath(path, key), message: "is required but missing" });
      }
    }
    for (const [key, child] of Object.entries(value)) {
      const propertySchema = properties[key];
      if (isObject(propertySchema)) {
        errors.push(...validateAgainstSchema(child, propertySchema, root, childPath(path, key)));
      } else if (schema.additionalProperties === false) {
        errors.push({ path: childPath(path, key), message: "is not allowed (unknown property)" });
      } else if (isObject(schema.additionalProperties)) {
        errors.push(...validateAgainstSchema(child, schema.additionalProperties, root, childPath(path, key)));
      }
    }
  }
  return errors;
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
export function validateResults(data: unknown, schema: JsonSchema = loadResultsSchema()): ValidationOutcome {
  const errors = validateAgainstSchema(data, schema);
  if (errors.length > 0) return { ok: false, errors };
  const results = data as BenchResults;
  const consistency = checkConsistency(results);
  return consistency.length > 0 ? { ok: false, errors: consistency } : { ok: true, results };
}

export function formatValidationErrors(errors: ValidationError[], limit = 20): string {
  const lines = errors.slice(0, limit).map((e) => `  ${e.path}: ${e.message}`);
  if (errors.length > limit) lines.push(`  ... and ${errors.length - limit} more`);
  return lines.join("\n");
}
