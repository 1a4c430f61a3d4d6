// Generates the k6-operator manifests of the distributed benchmark, deterministically, from the k6 ladder:
//   - generated/k6-scripts.configmap.yaml: every k6/scripts/*.ts and every k6/lib file they import, as one
//     ConfigMap (keys cannot hold "/", so "lib/env.ts" is stored as "lib__env.ts");
//   - generated/testrun-<script>.yaml: one k6.io/v1alpha1 TestRun per ladder step that targets the service
//     (all but 01, the bare node:http baseline), runners pinned to the kind cluster's load-generator node.
//     Each is built by testrun.ts from the typed constructs of the real k6-operator CRD (imports/k6.io.ts, from
//     `cdk8s import`; node k6-operator/import-crd.ts), so a field the CRD does not have does not compile.
//
//   node k6-operator/generate.ts                      rewrite k6-operator/generated/ (committed; a test checks it is fresh)
//   node k6-operator/generate.ts --out DIR            write the same files into DIR
//   node k6-operator/generate.ts --list               print the scripts that have a TestRun
//   node k6-operator/generate.ts --print SCRIPT [--run-id ID] [--parallelism N] [--profile P] [--no-cleanup]
//                                                     print the ConfigMap and one run's TestRun (scripts/bench-cluster.sh)
//
// How a runner gets the script tree back: the ConfigMap is mounted at /bench with `items`, each key at its path
// (lib__env.ts → lib/env.ts), which rebuilds /bench/scripts/… and /bench/lib/…, so the scripts' `../lib/*.ts`
// imports resolve; k6 runs the TypeScript as it is. The TestRun names the entry file with `script.localFile`,
// not `script.configMap`: with configMap the operator mounts the ConfigMap flat at /test and runs
// /test/<file>, where `file` may not have a directory part, so `../lib` would not resolve, and a second mount
// inside /test (read-only) cannot be created. localFile runs a path the runner Pod has, and the initializer Pod
// (a copy of the runner spec) gets the same volumes.
//
// Rates: RATES are the TOTAL offered rate of each plateau. The operator starts every runner with its own
// --execution-segment, and k6 splits each constant-arrival-rate scenario (rate, pre-allocated VUs, max VUs)
// between the segments: parallelism decides how many processes generate the load, not how much load there is.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { LADDER, type LadderStep, PROFILE_TIMING, type Profile } from "../k6/runner/ladder.ts";
import {
  buildTestRun,
  type TestRunManifest,
  TestRunSpecCleanup,
  TestRunSpecRunnerResourcesLimits,
  TestRunSpecRunnerResourcesRequests,
  type TestRunSpecRunnerVolumeMounts,
  type TestRunSpecRunnerVolumes,
} from "./testrun.ts";

export const REPO_ROOT = join(import.meta.dirname, "..");
/** The k6 tree: scripts/ and lib/ under it, mounted at BENCH_MOUNT in the runners. */
const K6_DIR = join(REPO_ROOT, "k6");
export const GENERATED_DIR = join(import.meta.dirname, "generated");

/** Where the service lives: release `otp` of charts/otp-service in namespace `otp` (see kind/kind-up.sh). */
export const NAMESPACE = "otp";
export const SERVICE_URL = "http://otp-otp-service.otp.svc.cluster.local:8080";
/** The chart's mock SMS provider, from which the verify flow reads its codes in setup(). */
export const SMS_URL = "http://otp-otp-service-mock-sms.otp.svc.cluster.local:8090";
/** kube-prometheus-stack's Prometheus (release kube-prometheus-stack, namespace monitoring), remote-write receiver on. */
export const PROMETHEUS_REMOTE_WRITE_URL = "http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090/api/v1/write";

export const CONFIGMAP_NAME = "k6-bench-scripts";
/** The seeded tenants (`otp-service seed` JSON), key tenants.json; scripts/bench-cluster.sh creates it. */
export const TENANTS_SECRET = "k6-tenants";
export const BENCH_MOUNT = "/bench";
export const TENANTS_MOUNT = "/tenants";

/** kind/cluster.yaml's load-generator worker: its label and its taint. */
export const LOAD_GENERATOR_LABEL = { key: "otp-lab/role", value: "load-generator" } as const;
export const LOAD_GENERATOR_TAINT = { key: "otp-lab/load-generator", value: "true", effect: "NoSchedule" } as const;

/** Where runners go and what they may use: shared by these TestRuns and the ones the otp-operator builds. */
export const RUNNER_DEFAULTS = {
  nodeSelector: { [LOAD_GENERATOR_LABEL.key]: LOAD_GENERATOR_LABEL.value },
  tolerations: [
    { key: LOAD_GENERATOR_TAINT.key, operator: "Equal", value: LOAD_GENERATOR_TAINT.value, effect: LOAD_GENERATOR_TAINT.effect },
  ],
  // No CPU limit: a throttled load generator would report its own stalls as the service's latency.
  resources: {
    requests: {
      cpu: TestRunSpecRunnerResourcesRequests.fromString("500m"),
      memory: TestRunSpecRunnerResourcesRequests.fromString("256Mi"),
    },
    limits: { memory: TestRunSpecRunnerResourcesLimits.fromString("2Gi") },
  },
  // The image's own user (k6, uid 12345), stated numerically so runAsNonRoot can be verified.
  securityContext: { runAsNonRoot: true, runAsUser: 12345, runAsGroup: 12345, seccompProfile: { type: "RuntimeDefault" as const } },
  containerSecurityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
};

export const DEFAULT_PARALLELISM = 2;
/** The committed TestRuns use the `make bench` default profile, so cluster figures compare with local ones. */
export const DEFAULT_PROFILE: Profile = "default";
/** The run id of the committed TestRuns; scripts/bench-cluster.sh gives each run its own. */
export const MANUAL_RUN_ID = "manual";

/** Benchmark settings every step gets, as `make bench` passes them (k6/runner/bench.ts). */
const BENCH_ENV = { SLO_P99_MS: "50", SLO_ERROR_RATE: "0.01", CHECK_SAMPLE_RATE: "0.01", MAX_VUS: "400" };

const HEADER = "# Generated by k6-operator/generate.ts; do not edit. Regenerate with: node k6-operator/generate.ts";
const LABELS = { "app.kubernetes.io/part-of": "otp-capacity-lab", "app.kubernetes.io/managed-by": "k6-operator-generate" };

// ---------------------------------------------------------------------------------------------------------------
// The script tree

/** Relative imports of a TypeScript module (static `import … from`, `export … from`, side-effect `import "…"`). */
export function relativeImports(source: string): string[] {
  const found = new Set<string>();
  for (const match of source.matchAll(/\bfrom\s+["'](\.\.?\/[^"']+)["']|\bimport\s+["'](\.\.?\/[^"']+)["']/g)) {
    found.add((match[1] ?? match[2]) as string);
  }
  return [...found].sort();
}

/** The k6 files (paths relative to k6/, e.g. "lib/env.ts") `entry` imports, transitively, `entry` included. */
export function importClosure(entry: string, k6Dir = K6_DIR): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    if (file.startsWith("../") || posix.isAbsolute(file)) throw new Error(`${entry} imports ${file}, outside k6/`);
    seen.add(file);
    const source = readFileSync(join(k6Dir, file), "utf8");
    for (const specifier of relativeImports(source)) visit(posix.normalize(posix.join(posix.dirname(file), specifier)));
  };
  visit(entry);
  return [...seen].sort();
}

/** ConfigMap key of a k6 file: "lib/env.ts" → "lib__env.ts". */
export function configMapKey(file: string): string {
  const key = file.split("/").join("__");
  if (!/^[-._a-zA-Z0-9]+$/.test(key) || key.length > 253) throw new Error(`${file} cannot be a ConfigMap key (${key})`);
  return key;
}

/** Every k6/scripts/*.ts, sorted, as paths relative to k6/. */
export function scriptFiles(k6Dir = K6_DIR): string[] {
  return readdirSync(join(k6Dir, "scripts"))
    .filter((name) => name.endsWith(".ts"))
    .sort()
    .map((name) => `scripts/${name}`);
}

/** The files the ConfigMap holds: every script and everything the scripts import. */
export function bundledFiles(k6Dir = K6_DIR): string[] {
  return [...new Set(scriptFiles(k6Dir).flatMap((script) => importClosure(script, k6Dir)))].sort();
}

// ---------------------------------------------------------------------------------------------------------------
// Manifests

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ConfigMap {
  apiVersion: "v1";
  kind: "ConfigMap";
  metadata: ObjectMeta;
  data: Record<string, string>;
}

type Runner = NonNullable<TestRunManifest["spec"]["runner"]>;
/**
 * A TestRun as this generator makes it (from the typed constructs of the real CRD, testrun.ts): the same type,
 * with the fields it always sets no longer optional.
 */
export type TestRun = Omit<TestRunManifest, "spec"> & {
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  spec: Omit<TestRunManifest["spec"], "runner"> & {
    runner: Omit<Runner, "env"> & {
      image: string;
      nodeSelector: Record<string, string>;
      tolerations: NonNullable<Runner["tolerations"]>;
      env: { name: string; value: string }[];
      resources: { requests: Record<string, number | string>; limits: Record<string, number | string> };
      volumes: NonNullable<Runner["volumes"]>;
      volumeMounts: NonNullable<Runner["volumeMounts"]>;
    };
  };
};

export function buildConfigMap(k6Dir = K6_DIR): ConfigMap {
  const data: Record<string, string> = {};
  for (const file of bundledFiles(k6Dir)) data[configMapKey(file)] = readFileSync(join(k6Dir, file), "utf8");
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: CONFIGMAP_NAME, namespace: NAMESPACE, labels: { ...LABELS, "app.kubernetes.io/component": "load-generator" } },
    data,
  };
}

/** The ladder steps that get a TestRun: every script that loads the service (01 loads a bare node:http server). */
export function clusterSteps(): LadderStep[] {
  return LADDER.filter((step) => step.target === "service");
}

export function k6Image(): string {
  const versions = readFileSync(join(REPO_ROOT, "scripts", "versions.env"), "utf8");
  const version = /^K6_VERSION=(\S+)$/m.exec(versions)?.[1];
  if (!version) throw new Error("scripts/versions.env has no K6_VERSION");
  return `grafana/k6:${version}`;
}

export interface LadderTestRunOptions {
  runId?: string;
  parallelism?: number;
  profile?: Profile;
  /** Let the operator delete the TestRun and its Jobs once finished (spec.cleanup: post). Default true. */
  cleanup?: boolean;
}

export function testId(script: string, runId: string): string {
  return `${script}-${runId}`;
}

export function testRunName(script: string, runId: string): string {
  return `k6-${testId(script, runId)}`;
}

/** Warm-up plus every plateau, in seconds: how long the main phase of one step lasts. */
export function mainDurationSeconds(step: LadderStep, profile: Profile): number {
  const timing = PROFILE_TIMING[profile];
  return timing.warmupSeconds + step.rates[profile].length * timing.plateauSeconds;
}

/**
 * What a runner needs to run `script`, here and in the TestRuns the otp-operator builds: the entry file, the
 * script tree from the ConfigMap (and the tenants Secret when the script reads tenants), and the environment:
 * `stepEnv`, where the tenants and the mock SMS provider are when the script needs them, k6's remote write.
 */
export function scriptRunner(script: string, stepEnv: Record<string, string>, remoteWriteUrl: string) {
  const entry = `scripts/${script}.ts`;
  const files = importClosure(entry);
  const needsTenants = files.includes("lib/tenants.ts");
  const env: Record<string, string> = {
    ...stepEnv,
    ...(needsTenants ? { TENANTS_FILE: `${TENANTS_MOUNT}/tenants.json` } : {}),
    ...(files.includes("lib/otp-codes.ts") ? { SMS_URL } : {}),
    K6_PROMETHEUS_RW_SERVER_URL: remoteWriteUrl,
    // Trends as native histograms: they add up across runners, so one PromQL gives the p99 of all of them.
    K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM: "true",
    K6_PROMETHEUS_RW_PUSH_INTERVAL: "1s",
    K6_PROMETHEUS_RW_STALE_MARKERS: "true",
    K6_NO_USAGE_REPORT: "true",
  };
  const volumes: TestRunSpecRunnerVolumes[] = [
    { name: "bench", configMap: { name: CONFIGMAP_NAME, items: files.map((file) => ({ key: configMapKey(file), path: file })) } },
  ];
  const volumeMounts: TestRunSpecRunnerVolumeMounts[] = [{ name: "bench", mountPath: BENCH_MOUNT, readOnly: true }];
  if (needsTenants) {
    volumes.push({ name: "tenants", secret: { secretName: TENANTS_SECRET, items: [{ key: "tenants.json", path: "tenants.json" }] } });
    volumeMounts.push({ name: "tenants", mountPath: TENANTS_MOUNT, readOnly: true });
  }
  return {
    localFile: `${BENCH_MOUNT}/${entry}`,
    env: Object.entries(env).map(([name, value]) => ({ name, value })),
    volumes,
    volumeMounts,
  };
}

/** The TestRun of one ladder step (the committed files, scripts/bench-cluster.sh). */
export function buildLadderTestRun(step: LadderStep, options: LadderTestRunOptions = {}): TestRun {
  const runId = options.runId ?? MANUAL_RUN_ID;
  const parallelism = options.parallelism ?? DEFAULT_PARALLELISM;
  const profile = options.profile ?? DEFAULT_PROFILE;
  if (!/^[a-z0-9]([-a-z0-9]{0,18}[a-z0-9])?$/.test(runId)) throw new Error(`run id "${runId}": 1-20 of [a-z0-9-], no leading/trailing -`);
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > 32) throw new Error(`parallelism ${parallelism}: 1..32`);
  if (!(profile in PROFILE_TIMING)) throw new Error(`profile "${profile}": smoke, default or full`);
  const name = testRunName(step.script, runId);
  // The operator names Jobs <name>-initializer and Services <name>-service-<i>: both must stay within 63 characters.
  if (name.length > 50) throw new Error(`TestRun name ${name} is longer than 50 characters`);

  const id = testId(step.script, runId);
  const timing = PROFILE_TIMING[profile];
  const labels = { ...LABELS, "app.kubernetes.io/component": "load-generator", "otp-lab/script": step.script, "otp-lab/testid": id };
  const rates = step.rates[profile].join(",");
  const { localFile, ...runnerFiles } = scriptRunner(
    step.script,
    {
      BASE_URL: SERVICE_URL,
      RATES: rates,
      WARMUP_SECONDS: String(timing.warmupSeconds),
      PLATEAU_SECONDS: String(timing.plateauSeconds),
      ...BENCH_ENV,
      DELAY_MS: String(step.sloAllowanceMs ?? 100),
    },
    PROMETHEUS_REMOTE_WRITE_URL,
  );

  // As TestRun: every field that type makes required is set here.
  return buildTestRun({
    name,
    namespace: NAMESPACE,
    labels,
    annotations: {
      "otp-lab/profile": profile,
      "otp-lab/offered-rates": `${rates} req/s in total, split between ${parallelism} runners`,
      "otp-lab/main-seconds": String(mainDurationSeconds(step, profile)),
    },
    spec: {
      parallelism,
      // Every runner on the one load-generator node: no anti-affinity.
      separate: false,
      ...(options.cleanup === false ? {} : { cleanup: TestRunSpecCleanup.POST }),
      arguments: `-o experimental-prometheus-rw --tag testid=${id}`,
      script: { localFile },
      runner: { image: k6Image(), metadata: { labels }, ...RUNNER_DEFAULTS, ...runnerFiles },
    },
  }) as TestRun;
}

// ---------------------------------------------------------------------------------------------------------------
// Output

export function toYaml(manifest: ConfigMap | TestRun): string {
  return stringify(manifest, { lineWidth: 0, blockQuote: "literal", aliasDuplicateObjects: false });
}

/** Every generated file, by name, in a fixed order. */
export function renderAll(): Map<string, string> {
  const files = new Map<string, string>();
  files.set("k6-scripts.configmap.yaml", `${HEADER}\n${toYaml(buildConfigMap())}`);
  for (const step of clusterSteps()) {
    const profile = DEFAULT_PROFILE;
    const comment = [
      HEADER,
      `# ${step.script}: ${step.endpoint}, ${step.name}. RATES are the total offered rate, split between the runners;`,
      `# main phase ${mainDurationSeconds(step, profile)} s (profile ${profile}). Apply with the ConfigMap, or run it with`,
      `# scripts/bench-cluster.sh ${step.script} (a unique name and testid per run, waits, links Grafana, cleans up).`,
    ].join("\n");
    files.set(`testrun-${step.script}.yaml`, `${comment}\n${toYaml(buildLadderTestRun(step))}`);
  }
  return files;
}

export function writeAll(outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  for (const name of readdirSync(outDir)) if (name.endsWith(".yaml")) rmSync(join(outDir, name));
  const written: string[] = [];
  for (const [name, content] of renderAll()) {
    writeFileSync(join(outDir, name), content);
    written.push(join(outDir, name));
  }
  return written;
}

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: "string" },
      list: { type: "boolean" },
      print: { type: "string" },
      "run-id": { type: "string" },
      parallelism: { type: "string" },
      profile: { type: "string" },
      "no-cleanup": { type: "boolean" },
    },
    strict: true,
  });
  const scripts = clusterSteps().map((step) => step.script);
  if (values.list) {
    process.stdout.write(`${scripts.join("\n")}\n`);
    return;
  }
  if (values.print !== undefined) {
    const step = clusterSteps().find((candidate) => candidate.script === values.print);
    if (!step) throw new Error(`no TestRun for "${values.print}"; one of: ${scripts.join(", ")}`);
    const testRun = buildLadderTestRun(step, {
      runId: values["run-id"],
      parallelism: values.parallelism === undefined ? undefined : Number(values.parallelism),
      profile: values.profile as Profile | undefined,
      cleanup: !values["no-cleanup"],
    });
    process.stdout.write(`${toYaml(buildConfigMap())}---\n${toYaml(testRun)}`);
    return;
  }
  const outDir = values.out ?? GENERATED_DIR;
  for (const file of writeAll(outDir)) process.stdout.write(`${file}\n`);
}

if (import.meta.main) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(`k6-operator/generate.ts: ${(error as Error).message}`);
    process.exit(2);
  }
}

export type { LadderStep, Profile };
