// `node dashboards/src/main.ts <dir>`: writes the dashboards' JSON and a plain alerts.rules.yaml into <dir>,
// for a Grafana or a Prometheus outside the chart. Nothing it writes is committed: the chart's copies come
// from `make synth`, which reads the same sources.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { generate } from "./generate.ts";

const [dir] = process.argv.slice(2);
if (!dir) {
  process.stderr.write("usage: node dashboards/src/main.ts <out-dir>\n");
  process.exit(2);
}
const outDir = resolve(dir);
const files = generate();
mkdirSync(outDir, { recursive: true });
for (const [name, content] of files) writeFileSync(join(outDir, name), content);
process.stdout.write(`wrote ${files.size} files to ${outDir}: ${[...files.keys()].join(", ")}\n`);
