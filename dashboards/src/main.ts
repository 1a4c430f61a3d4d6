// `node dashboards/src/main.ts`: rewrites dashboards/generated/ (the dashboards' JSON and
// alerts.rules.yaml). A test fails when the committed files are stale.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generate } from "./generate.ts";

export const GENERATED_DIR = join(import.meta.dirname, "..", "generated");

const files = generate();
mkdirSync(GENERATED_DIR, { recursive: true });
// Only what the generator owns: a dashboard removed from the code disappears from the chart too.
for (const name of readdirSync(GENERATED_DIR)) {
  if ((name.endsWith(".json") || name.endsWith(".rules.yaml")) && !files.has(name)) rmSync(join(GENERATED_DIR, name));
}
for (const [name, content] of files) writeFileSync(join(GENERATED_DIR, name), content);
process.stdout.write(`wrote ${files.size} files to ${GENERATED_DIR}: ${[...files.keys()].join(", ")}\n`);
