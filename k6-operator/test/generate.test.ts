// The generated k6-operator manifests: deterministic, committed and fresh, and each TestRun correct on its own
// (runners on the load-generator node, remote write to Prometheus, a testid tag, the whole script tree mounted).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { LADDER, PROFILE_TIMING } from "../../k6/runner/ladder.ts";
import {
  buildConfigMap,
  buildLadderTestRun,
  CONFIGMAP_NAME,
  type ConfigMap,
  clusterSteps,
  configMapKey,
  GENERATED_DIR,
  importClosure,
  LOAD_GENERATOR_LABEL,
  LOAD_GENERATOR_TAINT,
  mainDurationSeconds,
  PROMETHEUS_REMOTE_WRITE_URL,
  REPO_ROOT,
  renderAll,
  SERVICE_URL,
  SMS_URL,
  TENANTS_SECRET,
  type TestRun,
} from "../generate.ts";

/** What the tests read of kind/cluster.yaml and versions.yaml. */
interface KindNode {
  role: string;
  labels?: Record<string, string>;
  kubeadmConfigPatches?: string[];
}
interface ThirdPartyChart {
  release: string;
  namespace: string;
  chart: string;
  values: string;
}

const GENERATOR = join(REPO_ROOT, "k6-operator", "generate.ts");
const K6_DIR = join(REPO_ROOT, "k6");
const temp = mkdtempSync(join(tmpdir(), "k6-operator-generate-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function node(args: string[]): string {
  return execFileSync(process.execPath, ["--disable-warning=MODULE_TYPELESS_PACKAGE_JSON", GENERATOR, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

const committed = <T = TestRun>(name: string): T => parse(readFileSync(join(GENERATED_DIR, name), "utf8")) as T;
const testRunFiles = readdirSync(GENERATED_DIR)
  .filter((name) => name.startsWith("testrun-"))
  .sort();
const configMap = committed<ConfigMap>("k6-scripts.configmap.yaml");
const envOf = (testRun: TestRun): Record<string, string | undefined> =>
  Object.fromEntries(testRun.spec.runner.env.map((e) => [e.name, e.value]));

/** Relative imports, found independently of the generator (a small TypeScript-aware scan of import declarations). */
function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  for (const match of source.matchAll(/^\s*(?:import|export)\b[^;]*?["']([^"']+)["'];?\s*$/gm)) {
    const specifier = match[1] as string;
    if (specifier.startsWith("./") || specifier.startsWith("../")) specifiers.push(specifier);
  }
  return specifiers;
}

describe("the generator", () => {
  it("is deterministic and the committed files are fresh (re-generated into a temp dir, byte for byte)", () => {
    expect([...renderAll()]).toEqual([...renderAll()]);
    const out = join(temp, "generated");
    node(["--out", out]);
    const fresh = readdirSync(out).sort();
    expect(fresh).toEqual(readdirSync(GENERATED_DIR).sort());
    for (const name of fresh) {
      expect(readFileSync(join(GENERATED_DIR, name), "utf8"), `${name} is stale: run node k6-operator/generate.ts`).toBe(
        readFileSync(join(out, name), "utf8"),
      );
    }
  });

  it("writes one TestRun per ladder step that loads the service (not 01, the bare node:http baseline)", () => {
    const expected = LADDER.filter((step) => step.target === "service").map((step) => `testrun-${step.script}.yaml`);
    expect(testRunFiles).toEqual(expected.sort());
    expect(testRunFiles).toHaveLength(8);
    expect(testRunFiles.some((name) => name.includes("01-bare"))).toBe(false);
  });

  it("lists the scripts and prints one run with a unique name, testid and settings", () => {
    expect(node(["--list"]).trim().split("\n")).toEqual(clusterSteps().map((step) => step.script));
    const docs = parseAllDocuments(
      node(["--print", "11-send-flow", "--run-id", "20261124t101500", "--parallelism", "3", "--profile", "full", "--no-cleanup"]),
    ).map((doc) => doc.toJS() as ConfigMap | TestRun);
    expect(docs.map((doc) => doc.kind)).toEqual(["ConfigMap", "TestRun"]);
    expect(docs[0]).toEqual(configMap);
    const testRun = docs[1] as TestRun;
    expect(testRun.metadata.name).toBe("k6-11-send-flow-20261124t101500");
    expect(testRun.spec.arguments).toContain("--tag testid=11-send-flow-20261124t101500");
    expect(testRun.spec.parallelism).toBe(3);
    expect(testRun.spec.cleanup).toBeUndefined();
    const step = LADDER.find((s) => s.script === "11-send-flow");
    expect(envOf(testRun).RATES).toBe(step?.rates.full.join(","));
    expect(envOf(testRun).PLATEAU_SECONDS).toBe(String(PROFILE_TIMING.full.plateauSeconds));
    expect(() => node(["--print", "01-bare-node-hello"])).toThrow();
    expect(() => buildLadderTestRun(clusterSteps()[0] as (typeof LADDER)[number], { runId: "Bad_Id" })).toThrow(/run id/);
  });
});

describe("the scripts' ConfigMap", () => {
  it("holds every k6/scripts/*.ts and every k6 file they import, byte for byte, under flattened keys", () => {
    expect(configMap).toEqual(buildConfigMap());
    expect(configMap.metadata).toMatchObject({ name: CONFIGMAP_NAME, namespace: "otp" });
    const data = configMap.data;
    const scripts = readdirSync(join(K6_DIR, "scripts")).filter((name) => name.endsWith(".ts"));
    // Walk the imports from every script with the test's own scanner.
    const needed = new Set<string>();
    const visit = (file: string) => {
      if (needed.has(file)) return;
      needed.add(file);
      for (const specifier of importsOf(readFileSync(join(K6_DIR, file), "utf8"))) {
        visit(posix.normalize(posix.join(posix.dirname(file), specifier)));
      }
    };
    for (const script of scripts) visit(`scripts/${script}`);
    expect(needed.size).toBeGreaterThan(scripts.length);
    for (const file of needed) {
      const key = file.split("/").join("__");
      expect(data[key], `${file} missing from the ConfigMap`).toBe(readFileSync(join(K6_DIR, file), "utf8"));
    }
    expect(Object.keys(data).sort()).toEqual([...needed].map((file) => file.split("/").join("__")).sort());
    for (const key of Object.keys(data)) expect(key).toMatch(/^[-._a-zA-Z0-9]+$/);
    // Well under the 1 MiB a ConfigMap may hold (with room for the scripts to grow).
    expect(Buffer.byteLength(JSON.stringify(data))).toBeLessThan(512 * 1024);
  });
});

describe.each(testRunFiles)("%s", (file) => {
  const testRun = committed(file);
  const script = file.replace(/^testrun-/, "").replace(/\.yaml$/, "");
  const step = LADDER.find((s) => s.script === script);
  const runner = testRun.spec.runner;
  const env = envOf(testRun);

  it("is a k6.io/v1alpha1 TestRun in namespace otp with the default parallelism and a testid tag", () => {
    expect(step).toBeDefined();
    expect(testRun).toMatchObject({ apiVersion: "k6.io/v1alpha1", kind: "TestRun", metadata: { namespace: "otp" } });
    expect(testRun.metadata.name).toBe(`k6-${script}-manual`);
    expect(testRun.spec.parallelism).toBe(2);
    expect(testRun.spec.cleanup).toBe("post");
    expect(testRun.spec.arguments).toBe(`-o experimental-prometheus-rw --tag testid=${script}-manual`);
    expect(testRun.metadata.labels["otp-lab/testid"]).toBe(`${script}-manual`);
    expect(testRun.metadata.labels["otp-lab/script"]).toBe(script);
    expect(runner.image).toMatch(/^grafana\/k6:\d+\.\d+\.\d+$/);
  });

  it("pins its runners to the load-generator node (node selector + toleration of its taint)", () => {
    expect(runner.nodeSelector).toEqual({ [LOAD_GENERATOR_LABEL.key]: LOAD_GENERATOR_LABEL.value });
    expect(runner.tolerations).toEqual([
      { key: LOAD_GENERATOR_TAINT.key, operator: "Equal", value: LOAD_GENERATOR_TAINT.value, effect: LOAD_GENERATOR_TAINT.effect },
    ]);
    expect(testRun.spec.separate).toBe(false);
    expect(runner.resources.limits.cpu).toBeUndefined();
  });

  it("sends its metrics to Prometheus by remote write, trends as native histograms", () => {
    expect(env.K6_PROMETHEUS_RW_SERVER_URL).toBe(PROMETHEUS_REMOTE_WRITE_URL);
    expect(env.K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM).toBe("true");
  });

  it("targets the in-cluster Service with the ladder's rates and the bench settings", () => {
    expect(env.BASE_URL).toBe(SERVICE_URL);
    expect(env.RATES).toBe(step?.rates.default.join(","));
    expect(env.WARMUP_SECONDS).toBe(String(PROFILE_TIMING.default.warmupSeconds));
    expect(env.PLATEAU_SECONDS).toBe(String(PROFILE_TIMING.default.plateauSeconds));
    expect(testRun.metadata.annotations?.["otp-lab/main-seconds"]).toBe(
      String(mainDurationSeconds(step as (typeof LADDER)[number], "default")),
    );
    for (const forbidden of ["K6_VUS", "K6_DURATION", "K6_ITERATIONS", "K6_STAGES"]) expect(env[forbidden]).toBeUndefined();
    expect(testRun.spec.arguments).not.toMatch(/--vus|--duration|--iterations|--stage/);
  });

  it("runs a script the mounted tree holds, with every file it imports, each from the ConfigMap", () => {
    const mount = runner.volumeMounts.find((m) => m.name === "bench");
    const volume = runner.volumes.find((v) => v.name === "bench");
    expect(mount).toMatchObject({ mountPath: "/bench", readOnly: true });
    expect(volume?.configMap?.name).toBe(CONFIGMAP_NAME);
    const items = volume?.configMap?.items ?? [];
    expect(items.length).toBeGreaterThan(1);
    const paths = items.map((item) => item.path);
    expect(testRun.spec.script).toEqual({ localFile: `/bench/scripts/${script}.ts` });
    for (const item of items) {
      expect(configMap.data[item.key], `${item.key} is not in the ConfigMap`).toBeDefined();
      expect(item.key).toBe(configMapKey(item.path));
    }
    // Every import of every projected file resolves inside the projected tree.
    for (const path of paths) {
      for (const specifier of importsOf(configMap.data[configMapKey(path)] ?? "")) {
        const target = posix.normalize(posix.join(posix.dirname(path), specifier));
        expect(paths, `${path} imports ${specifier}, not mounted`).toContain(target);
      }
    }
    expect(paths.sort()).toEqual(importClosure(`scripts/${script}.ts`));
  });

  it("mounts the tenants (and the mock SMS URL) exactly when the script needs them", () => {
    const source = readFileSync(join(K6_DIR, "scripts", `${script}.ts`), "utf8");
    const usesTenants = source.includes("loadTenants(");
    const tenantsVolume = runner.volumes.find((v) => v.secret?.secretName === TENANTS_SECRET);
    expect(Boolean(tenantsVolume)).toBe(usesTenants);
    expect(env.TENANTS_FILE === "/tenants/tenants.json").toBe(usesTenants);
    expect(env.SMS_URL === SMS_URL).toBe(script === "12-verify-flow");
  });
});

describe("consistency with the rest of the repository", () => {
  it("the load-generator label and taint are kind/cluster.yaml's", () => {
    const cluster = parse(readFileSync(join(REPO_ROOT, "kind", "cluster.yaml"), "utf8")) as { nodes: KindNode[] };
    const loadGenerators = cluster.nodes.filter((n) => n.labels?.[LOAD_GENERATOR_LABEL.key] === LOAD_GENERATOR_LABEL.value);
    expect(loadGenerators).toHaveLength(1);
    const patch = parse(loadGenerators[0]?.kubeadmConfigPatches?.[0] ?? "") as { kind: string; nodeRegistration: { taints: unknown[] } };
    expect(patch.kind).toBe("JoinConfiguration");
    expect(patch.nodeRegistration.taints).toEqual([LOAD_GENERATOR_TAINT]);
  });

  it("remote-writes to kube-prometheus-stack's Prometheus as versions.yaml installs it", () => {
    const { charts } = parse(readFileSync(join(REPO_ROOT, "charts", "third-party", "versions.yaml"), "utf8")) as {
      charts: ThirdPartyChart[];
    };
    const stack = charts.find((c) => c.chart === "kube-prometheus-stack") as ThirdPartyChart;
    expect(PROMETHEUS_REMOTE_WRITE_URL).toBe(`http://${stack.release}-prometheus.${stack.namespace}.svc.cluster.local:9090/api/v1/write`);
    const values = parse(readFileSync(join(REPO_ROOT, "charts", "third-party", stack.values), "utf8")) as {
      prometheus: { prometheusSpec: { enableRemoteWriteReceiver: boolean } };
    };
    expect(values.prometheus.prometheusSpec.enableRemoteWriteReceiver).toBe(true);
  });

  it("targets the otp-service chart's Service and mock SMS provider for release otp", () => {
    const chart = parse(readFileSync(join(REPO_ROOT, "charts", "otp-service", "Chart.yaml"), "utf8")) as { name: string };
    const values = parse(readFileSync(join(REPO_ROOT, "charts", "otp-service", "values.yaml"), "utf8")) as { service: { port: number } };
    // <release>-<chart> (the chart's otp-service.fullname), port service.port.
    expect(SERVICE_URL).toBe(`http://otp-${chart.name}.otp.svc.cluster.local:${values.service.port}`);
    expect(SMS_URL).toBe(`http://otp-${chart.name}-mock-sms.otp.svc.cluster.local:8090`);
  });

  it("runs the k6 version scripts/versions.env pins", () => {
    const version = /^K6_VERSION=(\S+)$/m.exec(readFileSync(join(REPO_ROOT, "scripts", "versions.env"), "utf8"))?.[1];
    for (const file of testRunFiles) expect(committed(file).spec.runner.image).toBe(`grafana/k6:${version}`);
  });
});
