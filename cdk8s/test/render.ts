// Renders the committed chart with `helm template` and parses the objects. Shared by the chart
// tests here and by anything that applies the chart elsewhere (e.g. to a real kube-apiserver):
//
//   const objects = await renderChart("bench", "otp", "bench-1");
import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";

const run = promisify(execFile);

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
export const CHART_DIR = resolve(REPO_ROOT, "charts/otp-service");
export const OPERATOR_CHART_DIR = resolve(REPO_ROOT, "charts/otp-operator");
/** `helm template` has no cluster to ask; a helm built without version ldflags would assume 1.20. */
export const KUBE_VERSION = "1.34.0";

export type Profile = "default" | "bench" | "production";

import type { KubeObject } from "@otp-lab/local-stack/kube/api";

export type { KubeObject };

export interface RenderOptions {
  /** `--set key=value` pairs (numbers and booleans are typed by Helm). */
  set?: Record<string, string | number | boolean>;
  /** Extra values files, after the profile's. */
  valuesFiles?: string[];
  /** Another chart folder (e.g. one generated into a temp dir). */
  chartDir?: string;
  /**
   * Render as a GitOps tool would: without secrets.allowRandomWithoutCluster, so a secret the chart
   * would generate fails the render. By default tests allow it (helm template has no cluster to keep
   * generated values; the tests only read them).
   */
  gitops?: boolean;
  /** Extra `helm template` flags, e.g. --is-upgrade. */
  flags?: string[];
}

/** What the tests add to `helm template` unless rendering as a GitOps tool would. */
export const RANDOM_SECRETS_FOR_TESTS = ["--set", "secrets.allowRandomWithoutCluster=true"];

let helmPath: string | undefined;

/** HELM_BIN, else what scripts/ensure-helm.sh prints, else `helm` on PATH. */
export function helmBinary(): string {
  if (helmPath) return helmPath;
  const ensure = resolve(REPO_ROOT, "scripts/ensure-helm.sh");
  if (process.env.HELM_BIN) helmPath = process.env.HELM_BIN;
  else if (existsSync(ensure)) {
    const printed = execFileSync(ensure, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })
      .trim()
      .split("\n");
    helmPath = printed[printed.length - 1]?.trim() || "helm";
  } else helmPath = "helm";
  return helmPath;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs helm; a non-zero exit is a result, not an exception. */
export async function helm(args: string[]): Promise<HelmResult> {
  try {
    const { stdout, stderr } = await run(helmBinary(), args, { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, HELM_DEBUG: "" } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof failure.code !== "number") throw error;
    return { code: failure.code, stdout: failure.stdout ?? "", stderr: failure.stderr ?? "" };
  }
}

/** The arguments that select a profile and overrides, for `helm template` or `helm lint`. */
export function valuesArgs(profile: Profile, options: RenderOptions = {}): string[] {
  const chartDir = options.chartDir ?? CHART_DIR;
  const args: string[] = [];
  if (profile !== "default") args.push("-f", resolve(chartDir, `values-${profile}.yaml`));
  for (const file of options.valuesFiles ?? []) args.push("-f", file);
  for (const [key, value] of Object.entries(options.set ?? {})) {
    args.push(typeof value === "string" ? "--set-string" : "--set", `${key}=${value}`);
  }
  return args;
}

/** `helm template` output as raw text; throws with helm's message when rendering fails. */
export async function templateText(profile: Profile, release: string, namespace: string, options: RenderOptions = {}): Promise<string> {
  const chartDir = options.chartDir ?? CHART_DIR;
  const result = await helm([
    "template",
    release,
    chartDir,
    "--namespace",
    namespace,
    "--kube-version",
    KUBE_VERSION,
    ...(options.gitops ? [] : RANDOM_SECRETS_FOR_TESTS),
    ...valuesArgs(profile, options),
    ...(options.flags ?? []),
  ]);
  if (result.code !== 0) throw new Error(`helm template ${release} (${profile}) failed: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Every object `helm template` renders for a profile (hooks and the test Pod included). */
export async function renderChart(
  profile: Profile,
  release: string,
  namespace: string,
  options: RenderOptions = {},
): Promise<KubeObject[]> {
  const text = await templateText(profile, release, namespace, options);
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`invalid YAML from helm template: ${document.errors[0]?.message}`);
      return document.toJS() as KubeObject | null;
    })
    .filter((object): object is KubeObject => object !== null);
}

/** `helm template` of charts/otp-operator with `--set` pairs, parsed. */
export async function renderOperatorChart(release: string, namespace: string, set: Record<string, string | boolean> = {}) {
  const args = ["template", release, OPERATOR_CHART_DIR, "--namespace", namespace, "--kube-version", KUBE_VERSION];
  for (const [key, value] of Object.entries(set)) args.push(typeof value === "string" ? "--set-string" : "--set", `${key}=${value}`);
  const result = await helm(args);
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}
