// The committed chart is exactly what the generator writes, and the generator is deterministic.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dashboardFiles } from "../../dashboards/src/generate.ts";
import { generateChart, writeChart } from "../src/generate.ts";
import { CHART_DIR, REPO_ROOT, renderChart } from "./render.ts";
import { expectSameFiles, listFiles } from "./tree.ts";

const scratch = mkdtempSync(join(tmpdir(), "otp-chart-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const appVersion = (JSON.parse(readFileSync(join(REPO_ROOT, "app/package.json"), "utf8")) as { version: string }).version;

describe("the generator", () => {
  it("reproduces charts/otp-service byte for byte (run `make synth` when this fails)", () => {
    const out = join(scratch, "fresh");
    writeChart(generateChart({ appVersion, dashboards: dashboardFiles() }), out);
    expectSameFiles(CHART_DIR, out);
  });

  it("is deterministic", () => {
    const options = { appVersion, dashboards: dashboardFiles() };
    expect([...generateChart(options)]).toEqual([...generateChart(options)]);
  });

  it("takes appVersion from app/package.json as chart version, appVersion and default image tag", async () => {
    const chartYaml = readFileSync(join(CHART_DIR, "Chart.yaml"), "utf8");
    expect(chartYaml).toContain(`\nappVersion: "${appVersion}"\n`);
    expect(chartYaml).toContain(`\nversion: "${appVersion}"\n`);
    const objects = await renderChart("default", "v", "ns");
    const deployment = objects.find((object) => object.kind === "Deployment" && object.metadata.name === "v-otp-service");
    expect(JSON.stringify(deployment)).toContain(`"image":"otp-capacity-lab/otp-service:${appVersion}"`);
  });

  it("ships every dashboard it is given (*.json) as a Grafana sidecar ConfigMap, and none when there are none", async () => {
    // Grafana legends use {{…}} themselves: the chart must carry the file verbatim, not template it.
    const latency = `${JSON.stringify({ title: "Latency", panels: [{ legendFormat: "{{route}}" }] }, null, 2)}\n`;
    const dashboards = new Map([
      ["Service Latency.json", latency],
      ["capacity.json", '{"title":"Capacity"}\n'],
      ["notes.txt", "not a dashboard"],
    ]);
    const chartDir = join(scratch, "with-dashboards");
    writeChart(generateChart({ appVersion, dashboards }), chartDir);
    expect(listFiles(join(chartDir, "dashboards"))).toEqual(["capacity.json", "service-latency.json"]);

    const objects = await renderChart("default", "d", "ns", { chartDir });
    const configMaps = objects.filter((object) => object.metadata.labels?.grafana_dashboard === "1");
    expect(configMaps.map((object) => object.metadata.name)).toEqual([
      "d-otp-service-dashboard-capacity",
      "d-otp-service-dashboard-service-latency",
    ]);
    expect((configMaps[1] as unknown as { data: Record<string, string> }).data).toEqual({ "service-latency.json": latency });

    const off = await renderChart("default", "d", "ns", { chartDir, set: { "dashboards.enabled": false } });
    expect(off.filter((object) => object.metadata.labels?.grafana_dashboard)).toEqual([]);

    const none = generateChart({ appVersion, dashboards: new Map() });
    expect([...none.keys()].filter((file) => file.includes("dashboard"))).toEqual([]);
  });
});
