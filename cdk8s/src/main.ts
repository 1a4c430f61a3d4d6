// `node cdk8s/src/main.ts` (make synth): (re)writes charts/otp-service completely, dashboards included
// (rendered from dashboards/src at generation time; the chart holds their only committed copy).
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { dashboardFiles } from "../../dashboards/src/generate.ts";
import { CHART_NAME, generateChart, writeChart } from "./generate.ts";

const repoRoot = resolve(import.meta.dirname, "../..");
const appVersion = (JSON.parse(readFileSync(join(repoRoot, "app/package.json"), "utf8")) as { version: string }).version;
const files = generateChart({ appVersion, dashboards: dashboardFiles() });
const outDir = join(repoRoot, "charts", CHART_NAME);
writeChart(files, outDir);
process.stdout.write(`wrote ${files.size} files to ${outDir}\n`);
