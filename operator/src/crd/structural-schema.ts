// Turns zod's JSON Schema into a Kubernetes structural schema: the API server rejects a CRD whose schema
// has $ref/$defs, a node without `type`, or additionalProperties beside properties. Every field must
// have a description, so `kubectl explain` documents the whole resource; a missing one fails here,
// naming the field, instead of shipping an undocumented CRD.

export type JsonSchema = { [key: string]: unknown };

const DROPPED = new Set(["$schema", "$id", "id", "additionalProperties"]);
const SAFE = Number.MAX_SAFE_INTEGER;

export function toStructural(schema: JsonSchema, path = "spec"): JsonSchema {
  // int-or-string (resource quantities): zod's union of string and int, marked with .meta({"x-kubernetes-int-or-string": true}).
  if (schema["x-kubernetes-int-or-string"] === true) {
    if (typeof schema.description !== "string" || schema.description.trim() === "") {
      throw new Error(`${path}: no description (add .describe() in zod; kubectl explain shows it)`);
    }
    return { "x-kubernetes-int-or-string": true, description: schema.description };
  }
  for (const unsupported of ["$ref", "$defs", "definitions", "anyOf", "oneOf", "allOf", "not"]) {
    if (unsupported in schema) throw new Error(`${path}: "${unsupported}" cannot be part of a structural schema; flatten it in zod`);
  }
  if (typeof schema.type !== "string") throw new Error(`${path}: every node of a structural schema needs a single "type"`);
  if (typeof schema.description !== "string" || schema.description.trim() === "") {
    throw new Error(`${path}: no description (add .describe() in zod; kubectl explain shows it)`);
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    // A map (zod record): its value schema stays, or the API server would prune every entry.
    if (key === "additionalProperties" && typeof value === "object" && value !== null && !("properties" in schema)) {
      out.additionalProperties = toStructural(value as JsonSchema, `${path}.*`);
      continue;
    }
    if (DROPPED.has(key)) continue;
    // zod bounds every int by the safe-integer range; Kubernetes has its own int64, so drop the noise.
    if ((key === "minimum" && value === -SAFE) || (key === "maximum" && value === SAFE)) continue;
    if (key === "properties") {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([name, child]) => [name, toStructural(child, `${path}.${name}`)]),
      );
    } else if (key === "items") {
      out.items = toStructural(value as JsonSchema, `${path}[]`);
    } else {
      out[key] = value;
    }
  }
  return out;
}
