// What a runner Pod sees, rebuilt on disk: the ConfigMap projected with each TestRun's `items` under a temp
// "/bench", a tenants file under a temp "/tenants", and the TestRun's env. Then the pinned k6 does what the
// operator's initializer does (k6 archive + k6 inspect --execution-requirements), and two execution segments
// run one script against a local HTTP server, to show that RATES is the total offered rate, split by k6.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { envArgs, k6Binary, runK6 } from "@otp-lab/local-stack/k6";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { BENCH_MOUNT, type ConfigMap, GENERATED_DIR, TENANTS_MOUNT, type TestRun } from "../generate.ts";

const temp = mkdtempSync(join(tmpdir(), "k6-operator-runner-tree-"));
let k6Bin: string;

beforeAll(() => {
  k6Bin = k6Binary();
}, 600_000);
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const configMap = parse(readFileSync(join(GENERATED_DIR, "k6-scripts.configmap.yaml"), "utf8")) as ConfigMap;
const testRunFiles = readdirSync(GENERATED_DIR)
  .filter((name) => name.startsWith("testrun-"))
  .sort();

/** Materialises the runner's volumes under `root`; returns the entry script's path and the env, paths rewritten. */
function materialise(testRun: TestRun, root: string): { script: string; env: Record<string, string> } {
  const bench = join(root, "bench");
  const tenants = join(root, "tenants");
  for (const volume of testRun.spec.runner.volumes) {
    for (const item of volume.configMap?.items ?? []) {
      const target = join(bench, item.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, configMap.data[item.key] as string);
    }
    if (volume.secret) {
      mkdirSync(tenants, { recursive: true });
      const seeded = { tenants: [{ id: "00000000-0000-0000-0000-000000000001", name: "bench-1", apiKey: "k".repeat(40) }] };
      writeFileSync(join(tenants, "tenants.json"), JSON.stringify(seeded));
    }
  }
  const rewrite = (value: string) => value.replace(BENCH_MOUNT, bench).replace(TENANTS_MOUNT, tenants);
  const env = Object.fromEntries(testRun.spec.runner.env.map((e) => [e.name, rewrite(e.value)]));
  return { script: rewrite(testRun.spec.script.localFile as string), env };
}

describe.each(testRunFiles)("%s under k6", (file) => {
  it("archives and inspects like the operator's initializer: the imports resolve, the plateaus are the RATES", () => {
    const testRun = parse(readFileSync(join(GENERATED_DIR, file), "utf8")) as TestRun;
    const root = join(temp, file);
    const { script, env } = materialise(testRun, root);
    const archive = join(root, "archive.tar");
    execFileSync(k6Bin, ["archive", "--log-output=none", script, ...envArgs(env), "-O", archive], { stdio: ["ignore", "pipe", "pipe"] });
    const inspected = JSON.parse(execFileSync(k6Bin, ["inspect", "--execution-requirements", archive], { encoding: "utf8" })) as {
      scenarios: Record<string, { executor: string; rate: number }>;
    };
    const plateaus = Object.entries(inspected.scenarios)
      .filter(([name]) => name !== "warmup")
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, scenario]) => scenario.rate);
    expect(plateaus.join(",")).toBe(env.RATES);
    expect(Object.values(inspected.scenarios).every((s) => s.executor === "constant-arrival-rate")).toBe(true);
  });
});

describe("execution segments", () => {
  let server: Server;
  let served = 0;
  beforeAll(async () => {
    server = createServer((_request, response) => {
      served++;
      response.setHeader("content-type", "application/json");
      response.end('{"message":"hello"}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("split the offered rate between the runners: two halves of RATES add up to RATES", async () => {
    const testRun = parse(readFileSync(join(GENERATED_DIR, "testrun-02-express-hello.yaml"), "utf8")) as TestRun;
    const root = join(temp, "segments");
    const { script, env } = materialise(testRun, root);
    const port = (server.address() as AddressInfo).port;
    const small: Record<string, string> = {
      ...env,
      BASE_URL: `http://127.0.0.1:${port}`,
      RATES: "40,80",
      WARMUP_SECONDS: "1",
      PLATEAU_SECONDS: "2",
    };
    delete small.K6_PROMETHEUS_RW_SERVER_URL;
    // As the operator starts runner i of 2: --execution-segment i/2:(i+1)/2 over the sequence 0,1/2,1.
    const segments = ["0:1/2", "1/2:1"];
    const summaries = await Promise.all(
      segments.map(async (segment, index) => {
        const summaryPath = join(root, `summary-${index}.json`);
        const args = ["--quiet", "--no-color", "--execution-segment", segment, "--execution-segment-sequence", "0,1/2,1"];
        const run = await runK6({ args: [...args, ...envArgs({ ...small, SUMMARY_PATH: summaryPath })], script });
        expect(run.exitCode, run.stderr).toBe(0);
        return JSON.parse(readFileSync(summaryPath, "utf8")) as { plateaus: { requests: number }[] };
      }),
    );
    // Each runner made about half of every plateau's rate × duration (40×2 and 80×2 in total)...
    for (const summary of summaries) {
      const [first, second] = summary.plateaus.map((p) => p.requests);
      expect(first).toBeGreaterThanOrEqual(38);
      expect(first).toBeLessThanOrEqual(42);
      expect(second).toBeGreaterThanOrEqual(78);
      expect(second).toBeLessThanOrEqual(82);
    }
    // ...and the server saw the total once: warm-up 20 + 80 + 160, each runner starting one iteration more.
    expect(served).toBeGreaterThanOrEqual(260);
    expect(served).toBeLessThanOrEqual(266);
  }, 60_000);
});
