// values.yaml and the chart README's values table, both walked from the zod schema: sections
// (objects with their own defaults, `.prefault({})`) nest, everything else is a value.
import { z } from "zod";
import { type Json, type JsonObject, renderYaml } from "./render-template.ts";

interface Field {
  schema: z.ZodType;
  description: string | undefined;
  /** An object whose fields carry their own defaults: written as nested keys, each with its comment. */
  section: boolean;
}

function inspect(schema: z.ZodType): Field {
  let current = schema;
  let description = current.description;
  let section = false;
  for (;;) {
    const def = current._zod.def as { type: string; innerType?: z.ZodType };
    if (!def.innerType || !["default", "prefault", "optional", "nullable"].includes(def.type)) break;
    if (def.type === "prefault") section = true;
    current = def.innerType;
    description ??= current.description;
  }
  return { schema: current, description, section: section && current instanceof z.ZodObject };
}

const shapeOf = (schema: z.ZodType): Record<string, z.ZodType> => (schema as z.ZodObject).shape as Record<string, z.ZodType>;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** values.yaml: every default, each key preceded by its description. */
export function renderValuesFile(schema: z.ZodObject, defaults: JsonObject, header: string[]): string {
  const lines = header.map((line) => (line ? `# ${line}` : "#"));
  walk(schema, defaults, 0, lines);
  return `${lines.join("\n")}\n`;
}

function walk(schema: z.ZodType, values: JsonObject, indent: number, lines: string[]): void {
  for (const [key, fieldSchema] of Object.entries(shapeOf(schema))) {
    if (!(key in values)) continue;
    const field = inspect(fieldSchema);
    const pad = " ".repeat(indent);
    if (indent === 0) lines.push("");
    for (const line of wrap(field.description ?? "", 110 - indent)) lines.push(`${pad}# ${line}`);
    const value = values[key] as Json;
    if (field.section && value !== null && typeof value === "object" && !Array.isArray(value)) {
      lines.push(`${pad}${key}:`);
      walk(field.schema, value, indent + 2, lines);
    } else {
      lines.push(...renderYaml({ [key]: value }, indent));
    }
  }
}

/** Markdown rows `| key | default | description |` for every value. */
export function valuesTable(schema: z.ZodObject, defaults: JsonObject): string[] {
  const rows = ["| key | default | description |", "| --- | --- | --- |"];
  const visit = (node: z.ZodType, values: JsonObject, prefix: string) => {
    for (const [key, fieldSchema] of Object.entries(shapeOf(node))) {
      if (!(key in values)) continue;
      const field = inspect(fieldSchema);
      const value = values[key] as Json;
      const path = `${prefix}${key}`;
      if (field.section && value !== null && typeof value === "object" && !Array.isArray(value)) {
        visit(field.schema, value, `${path}.`);
      } else {
        const shown = JSON.stringify(value).replaceAll("|", "\\|");
        const description = (field.description ?? "").replaceAll("|", "\\|").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
        rows.push(`| \`${path}\` | \`${shown}\` | ${description} |`);
      }
    }
  };
  visit(schema, defaults, "");
  return rows;
}
