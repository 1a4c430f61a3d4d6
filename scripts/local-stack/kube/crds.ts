// The third-party CRDs the charts and the TestRuns are checked against, unchanged from upstream:
//   - k6-operator (TestRun, PrivateLoadZone): ../shared/crds/k6-operator-v<K6_OPERATOR_VERSION>/ beside the
//     repository (present on every machine of the project and in CI; the registries reachable here do not
//     serve the k6-operator module), copied from config/crd/bases/ of the upstream tag;
//   - prometheus-operator (ServiceMonitor, PodMonitor, PrometheusRule, …): example/prometheus-operator-crd/ of
//     the pinned Go module (`go mod download` into the module cache, so a second run is offline). The "-full"
//     folder is left out: it adds AlertmanagerConfig v1beta1, which needs a conversion webhook.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dirname, "..", "..", "..");

/** A pin of scripts/versions.env. */
export function pinnedVersion(name: string): string {
  const versions = readFileSync(join(REPO_ROOT, "scripts", "versions.env"), "utf8");
  const value = new RegExp(`^${name}=(\\S+)$`, "m").exec(versions)?.[1];
  if (!value) throw new Error(`scripts/versions.env has no ${name}`);
  return value;
}

/** ../shared/crds/k6-operator-v<K6_OPERATOR_VERSION> from the repository root. */
export function k6OperatorCrdDir(): string {
  return join(REPO_ROOT, "..", "shared", "crds", `k6-operator-v${pinnedVersion("K6_OPERATOR_VERSION")}`);
}

/** The upstream k6-operator CRDs: k6.io_testruns.yaml and k6.io_privateloadzones.yaml. */
export function k6OperatorCrdFiles(): { testRuns: string; privateLoadZones: string } {
  const dir = k6OperatorCrdDir();
  const files = { testRuns: join(dir, "k6.io_testruns.yaml"), privateLoadZones: join(dir, "k6.io_privateloadzones.yaml") };
  for (const file of Object.values(files)) {
    if (!existsSync(file)) {
      throw new Error(`${file} is missing: the upstream k6-operator CRDs are expected in ../shared/crds/ beside the repository`);
    }
  }
  return files;
}

/** The prometheus-operator CRDs of PROMETHEUS_OPERATOR_VERSION, from the Go module cache (downloaded once). */
export function prometheusOperatorCrdFiles(): string[] {
  const module = `github.com/prometheus-operator/prometheus-operator@v${pinnedVersion("PROMETHEUS_OPERATOR_VERSION")}`;
  let info: string;
  try {
    // From / so that no Go module around the working directory is involved.
    info = execFileSync("go", ["mod", "download", "-json", module], {
      cwd: "/",
      encoding: "utf8",
      env: { ...process.env, GOTOOLCHAIN: "auto" },
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    throw new Error(`cannot download ${module} from the Go module proxy (is Go installed?): ${(error as Error).message}`);
  }
  const dir = join((JSON.parse(info) as { Dir: string }).Dir, "example", "prometheus-operator-crd");
  const files = readdirSync(dir)
    .filter((name) => name.startsWith("monitoring.coreos.com_") && name.endsWith(".yaml"))
    .sort()
    .map((name) => join(dir, name));
  if (files.length === 0) throw new Error(`no CRDs in ${dir}`);
  return files;
}
