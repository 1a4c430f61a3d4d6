// `node cdk8s/src/operator-chart/main.ts` (make synth): (re)writes charts/otp-operator completely.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { renderCrds } from "../../../operator/src/generate-crds.ts";
import { writeChart } from "../generate.ts";
import { OPERATOR_CHART } from "./chart.ts";
import { generateOperatorChart } from "./generate.ts";

export const REPO_ROOT = resolve(import.meta.dirname, "../../..");
export const operatorChartOptions = () => ({
  appVersion: (JSON.parse(readFileSync(join(REPO_ROOT, "operator/package.json"), "utf8")) as { version: string }).version,
  crds: renderCrds(),
});

if (import.meta.main) {
  const files = generateOperatorChart(operatorChartOptions());
  const outDir = join(REPO_ROOT, "charts", OPERATOR_CHART);
  writeChart(files, outDir);
  process.stdout.write(`wrote ${files.size} files to ${outDir}\n`);
}
