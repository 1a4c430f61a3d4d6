// Generates k6/report/results.schema.json (JSON Schema draft 2020-12) from the zod schema of
// results.json in k6/runner/results.ts: `node k6/report/generate-results-schema.ts` (also run by make generate).
// The file is committed for readers and other tools; a test fails when it is stale.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { benchResultsSchema, RESULTS_SCHEMA_ID } from "../runner/results.ts";

export const RESULTS_SCHEMA_PATH = fileURLToPath(new URL("./results.schema.json", import.meta.url));

/** The JSON Schema of results.json, with its `$id`, title and description first. */
export function resultsJsonSchema(): Record<string, unknown> {
  const { $schema, title, description, ...rest } = z.toJSONSchema(benchResultsSchema, { target: "draft-2020-12" });
  return { $schema, $id: RESULTS_SCHEMA_ID, title, description, ...rest };
}

const LINE_WIDTH = 140; // biome.json's formatter.lineWidth

function isPrimitive(value: unknown): boolean {
  return value === null || typeof value !== "object";
}

/**
 * JSON as Biome formats it, so the generated file passes `biome ci`: non-empty objects one property
 * a line, arrays of primitives on one line when they fit, otherwise one element a line.
 */
function formatJson(value: unknown, indent = "", prefix = "", suffix = ""): string {
  const inner = `${indent}  `;
  if (Array.isArray(value) && value.length > 0) {
    if (value.every(isPrimitive)) {
      const oneLine = `${indent}${prefix}[${value.map((v) => JSON.stringify(v)).join(", ")}]${suffix}`;
      if (oneLine.length <= LINE_WIDTH) return oneLine;
    }
    const items = value.map((v, i) => formatJson(v, inner, "", i < value.length - 1 ? "," : ""));
    return [`${indent}${prefix}[`, ...items, `${indent}]${suffix}`].join("\n");
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 0) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    const lines = entries.map(([k, v], i) => formatJson(v, inner, `${JSON.stringify(k)}: `, i < entries.length - 1 ? "," : ""));
    return [`${indent}${prefix}{`, ...lines, `${indent}}${suffix}`].join("\n");
  }
  return `${indent}${prefix}${JSON.stringify(value)}${suffix}`;
}

/** The exact text of results.schema.json. */
export function resultsJsonSchemaText(): string {
  return `${formatJson(resultsJsonSchema())}\n`;
}

if (import.meta.main) {
  writeFileSync(RESULTS_SCHEMA_PATH, resultsJsonSchemaText());
  process.stdout.write(`${RESULTS_SCHEMA_PATH}\n`);
}
