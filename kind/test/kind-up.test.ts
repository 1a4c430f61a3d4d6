// kind/kind-up.sh and kind-down.sh run against stub docker/kind/kubectl/helm binaries that record their calls
// (no Docker engine or cluster here). What they show is what the calls are, with which arguments and files, and
// only the orderings that are dependencies (an image is loaded before a release uses it, CRDs before their
// resources, versions.yaml's documented install order); it proves nothing about a real cluster. Covered: the
// charts and versions it installs (from versions.yaml), the images it builds and loads (single-platform archives), how it installs the service, the
// prerequisite check (Helm >= 4.1), and which helm `make kind-up` uses.
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { charts, REPO_ROOT, read } from "./repo.ts";

const run = promisify(execFile);
const temp = mkdtempSync(join(tmpdir(), "kind-up-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const pinnedHelm = /^HELM_VERSION=(\S+)$/m.exec(read("scripts/versions.env"))?.[1] as string;
const IMAGE_ID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/** Writes an executable stub that logs "<name> <args>" to `log` (calls.log beside it), then runs `body` (bash). */
function stub(dir: string, name: string, body: string, log = join(dir, "calls.log")): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/usr/bin/env bash\nprintf '%s %s\\n' ${name} "$*" >>${JSON.stringify(log)}\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** A helm stub: `helm version --template …` prints `version`, everything else succeeds silently. */
const helmStub = (dir: string, version: string, name = "helm", log?: string) =>
  stub(dir, name, `if [ "$1" = version ]; then echo "${version}"; fi`, log);

interface StubOptions {
  clusterExists: boolean;
  helmVersion?: string;
  /** What `docker version --format '{{.Client.APIVersion}}'` reports: 1.48 (Docker 28) added `save --platform`. */
  dockerApi?: string;
  /** What `docker version --format '{{.Server.Arch}}'` reports. */
  dockerArch?: string;
  /** The kind Docker network's IPv4 range (`docker network inspect kind`). */
  kindNetwork?: string;
}

/** The files of a helm command's --values flags, in order. */
const valuesFilesOf = (call: string) => [...call.matchAll(/--values (\S+)/g)].map((match) => match[1] as string);

/** The `kind load image-archive` call for the archive `docker save` wrote `ref` to. */
function loadOf(calls: string[], ref: string): string {
  const save = calls.find((call) => /^docker (image )?save /.test(call) && call.endsWith(` ${ref}`));
  const archive = save && / -o (\S+) /.exec(save)?.[1];
  const load = archive && calls.find((call) => call === `kind load image-archive ${archive} --name otp-lab`);
  expect(load, `the kind load of the archive of ${ref}`).toBeTruthy();
  return load as string;
}

function stubs(
  dir: string,
  { clusterExists, helmVersion = "v4.3.1", dockerApi = "1.51", dockerArch = "amd64", kindNetwork = "172.18.0.0/16" }: StubOptions,
) {
  const applied = JSON.stringify(join(dir, "applied.yaml"));
  return {
    DOCKER: stub(
      dir,
      "docker",
      `case "$1 \${2:-} \${3:-}" in
  "image inspect "*) echo "sha256:${IMAGE_ID}" ;;
  "network "*) echo "${kindNetwork} fc00:f853:ccd:e793::/64 " ;;
  "version --format {{.Client.APIVersion}}") echo "${dockerApi}" ;;
  "version --format {{.Server.Arch}}") echo "${dockerArch}" ;;
  "save "* | "image save "*)
    # The archive named by -o, as docker writes it.
    while [ $# -gt 0 ]; do if [ "$1" = -o ]; then echo archive >"$2"; fi; shift; done ;;
esac`,
    ),
    KIND: stub(
      dir,
      "kind",
      `case "$1 \${2:-}" in
  "version "*) echo "kind v0.33.0 go1.26.2 linux/amd64" ;;
  "get clusters") ${clusterExists ? 'echo "otp-lab"' : "true"} ;;
  "load image-archive") if [ -s "$3" ]; then echo "$3" >>${JSON.stringify(join(dir, "archives.log"))}; fi ;;
esac`,
    ),
    KUBECTL: stub(
      dir,
      "kubectl",
      `case " $* " in
  *" create namespace "*) printf 'apiVersion: v1\\nkind: Namespace\\nmetadata:\\n  name: otp\\n' ;;
  *" apply -f - "*) { cat; echo "---"; } >>${applied} ;;
  *"jsonpath={.data.admin-user}"*) printf 'YWRtaW4=' ;;
  *"jsonpath={.data.admin-password}"*) printf 'b3RwLWxhYg==' ;;
esac`,
    ),
    HELM: helmStub(dir, helmVersion),
  };
}

/**
 * Runs kind/kind-up.sh with the stubs of `options` in a new folder, `override` (given that folder) replacing
 * some of them; asserts it exits with `code`, and returns the folder, its output and the calls the stubs logged.
 */
async function kindUp(prefix: string, options: StubOptions, code = 0, override = (_dir: string): NodeJS.ProcessEnv => ({})) {
  const dir = mkdtempSync(join(temp, prefix));
  const env = { ...process.env, ...stubs(dir, options), ...override(dir) };
  const result = await run("bash", [join(REPO_ROOT, "kind", "kind-up.sh")], { env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (failure: { code: number; stdout: string; stderr: string }) => failure,
  );
  expect(result.code, result.stderr).toBe(code);
  const calls = existsSync(join(dir, "calls.log")) ? readFileSync(join(dir, "calls.log"), "utf8").trim().split("\n") : [];
  return { dir, calls, stdout: result.stdout, stderr: result.stderr };
}

describe("kind/kind-up.sh", () => {
  it("installs the charts of versions.yaml in order, builds and loads the images, and installs the service", async () => {
    const { dir, calls, stdout } = await kindUp("up-", { clusterExists: true });
    const index = (pattern: RegExp) => calls.findIndex((call) => pattern.test(call));

    // Reused cluster: no create; every kubectl and helm call names the kind context.
    expect(index(/^kind create/)).toBe(-1);
    for (const call of calls.filter((c) => c.startsWith("kubectl "))) expect(call).toContain("--context kind-otp-lab");
    for (const call of calls.filter((c) => /^helm upgrade/.test(c))) expect(call).toContain("--kube-context kind-otp-lab");

    // Every repository once, then every chart at its pinned version with its values, in the file's order.
    for (const repo of new Set(charts.map((c) => c.repo))) {
      const url = charts.find((c) => c.repo === repo)?.url as string;
      expect(calls.filter((call) => call === `helm repo add ${repo} ${url} --force-update`)).toHaveLength(1);
    }
    const installs = charts.map((c) =>
      index(
        new RegExp(
          `^helm --kube-context kind-otp-lab upgrade --install ${c.release} ${c.repo}/${c.chart} --version ${c.version.replace(/\./g, "\\.")} ` +
            `--namespace ${c.namespace} --create-namespace --values ${REPO_ROOT}/charts/third-party/${c.values} --wait`,
        ),
      ),
    );
    expect(installs.every((position) => position >= 0)).toBe(true);
    expect([...installs].sort((a, b) => a - b)).toEqual(installs);

    // The image: built from the repo root with app/Dockerfile, tagged by version and image id, loaded into kind.
    const build = index(
      new RegExp(`^docker build --platform linux/amd64 -f ${REPO_ROOT}/app/Dockerfile -t otp-capacity-lab/otp-service:0\\.1\\.0 `),
    );
    expect(calls[build]).toMatch(new RegExp(`--build-arg VERSION=0\\.1\\.0 --build-arg REVISION=\\S+ ${REPO_ROOT}$`));
    const tag = `0.1.0-${IMAGE_ID.slice(0, 12)}`;
    const load = calls.indexOf(loadOf(calls, `otp-capacity-lab/otp-service:${tag}`));
    expect(load).toBeGreaterThan(build);

    // The service: the bench values and kind/values-otp-service.yaml (see "the kind values" below), the image just
    // loaded, and nothing else set on the command line (skaffold could not repeat it).
    // After its image is in the cluster, and after the third-party charts (its ServiceMonitor and PrometheusRule
    // are kube-prometheus-stack's CRDs).
    const app = index(/^helm --kube-context kind-otp-lab upgrade --install otp .*\/charts\/otp-service /);
    expect(app).toBeGreaterThan(load);
    expect(app).toBeGreaterThan(Math.max(...installs));
    const install = calls[app] as string;
    expect(valuesFilesOf(install)).toEqual([
      `${REPO_ROOT}/charts/otp-service/values-bench.yaml`,
      `${REPO_ROOT}/kind/values-otp-service.yaml`,
    ]);
    expect(install.match(/--set(-string|-json)? \S+/g)).toEqual([
      "--set image.repository=otp-capacity-lab/otp-service",
      `--set image.tag=${tag}`,
    ]);
    const rollout = index(/rollout status deployment\/otp-otp-service /);
    expect(rollout).toBeGreaterThan(app);
    const helmTest = index(/^helm --kube-context kind-otp-lab test otp --namespace otp /);
    expect(helmTest).toBeGreaterThan(rollout);

    // The otp-operator: its image built and loaded like the service's, its CRDs applied (Helm never upgrades
    // crds/), then its chart, watching otp, PostgreSQL URL from the service's Secret.
    const operatorBuild = index(
      new RegExp(`^docker build --platform linux/amd64 -f ${REPO_ROOT}/operator/Dockerfile -t otp-capacity-lab/otp-operator:0\\.1\\.0 `),
    );
    const operatorLoad = calls.indexOf(loadOf(calls, `otp-capacity-lab/otp-operator:${tag}`));
    expect(operatorLoad).toBeGreaterThan(operatorBuild);
    const crds = index(
      new RegExp(
        `^kubectl --context kind-otp-lab apply --server-side --force-conflicts --field-manager=kind-up -f ${REPO_ROOT}/charts/otp-operator/crds/$`,
      ),
    );
    const operator = index(/^helm --kube-context kind-otp-lab upgrade --install otp-operator .*\/charts\/otp-operator /);
    expect(operator).toBeGreaterThan(crds);
    expect(operator).toBeGreaterThan(operatorLoad);
    for (const set of [
      `image.tag=${tag}`,
      "image.repository=otp-capacity-lab/otp-operator",
      "watchNamespace=otp",
      "database.secretName=otp-otp-service",
      "database.secretKey=DATABASE_URL",
    ]) {
      expect(calls[operator]).toContain(`--set ${set}`);
    }
    expect(index(/rollout status deployment\/otp-operator /)).toBeGreaterThan(operator);

    // The benchmark tenants: OtpTenant resources, no `kubectl exec … seed`.
    const tenants = index(
      new RegExp(`-n otp apply --server-side --field-manager=kind-up -f ${REPO_ROOT}/k6-operator/bench-tenants\\.yaml$`),
    );
    // After their CRD; Ready is awaited once the operator that reconciles them is installed.
    expect(tenants).toBeGreaterThan(crds);
    const tenantsReady = index(/-n otp wait --for=condition=Ready otptenant -l otp-lab\.dev\/benchmark-tenant=true /);
    expect(tenantsReady).toBeGreaterThan(tenants);
    expect(tenantsReady).toBeGreaterThan(operator);
    expect(calls.filter((call) => / exec .* seed/.test(call))).toEqual([]);
    const benchTenants = parseAllDocuments(read("k6-operator/bench-tenants.yaml")).map(
      (doc) => doc.toJS() as { kind: string; metadata: { name: string } },
    );
    expect(benchTenants.map((t) => `${t.kind}/${t.metadata.name}`)).toEqual([1, 2, 3, 4, 5].map((n) => `OtpTenant/bench-${n}`));

    // The NodePort Services behind kind/cluster.yaml's host ports.
    const services = parseAllDocuments(readFileSync(join(dir, "applied.yaml"), "utf8"))
      .map((doc) => doc.toJS() as { kind?: string; metadata?: { name: string }; spec?: { ports: { nodePort: number }[] } })
      .filter((doc) => doc?.kind === "Service");
    expect(Object.fromEntries(services.map((s) => [s.metadata?.name, s.spec?.ports[0]?.nodePort]))).toEqual({
      "jaeger-ui": 30686,
      "otp-service-nodeport": 30080,
    });

    expect(stdout).toContain("http://127.0.0.1:8080");
    expect(stdout).toContain("http://127.0.0.1:3000");
    expect(stdout).toContain("user admin, password otp-lab");
    expect(stdout).toContain("http://127.0.0.1:16686");
    expect(stdout).toContain("port-forward svc/kube-prometheus-stack-prometheus 9090");
  });

  // kind load docker-image fails under Docker's containerd image store ("content digest … not found", kind#3795):
  // build for the nodes' one platform, save that platform to an archive, kind load image-archive.
  it("loads both images from single-platform archives that exist when kind reads them", async () => {
    const refs = ["otp-capacity-lab/otp-service", "otp-capacity-lab/otp-operator"].map((r) => `${r}:0.1.0-${IMAGE_ID.slice(0, 12)}`);
    for (const { dockerApi, dockerArch, save } of [
      { dockerApi: "1.51", dockerArch: "arm64", save: "docker save --platform linux/arm64 -o" },
      { dockerApi: "1.47", dockerArch: "amd64", save: "docker image save -o" }, // Docker 27: no save --platform
    ]) {
      const { dir, calls } = await kindUp("images-", { clusterExists: true, dockerApi, dockerArch });
      expect(calls.filter((call) => / load docker-image /.test(call))).toEqual([]);
      const builds = calls.filter((call) => call.startsWith("docker build "));
      expect(builds).toHaveLength(2);
      for (const build of builds) expect(build).toMatch(new RegExp(`^docker build --platform linux/${dockerArch} `));
      const saves = calls.filter((call) => /^docker (image )?save /.test(call));
      expect(saves.map((call) => call.replace(/ -o \S+ /, " -o ARCHIVE "))).toEqual(refs.map((ref) => `${save} ARCHIVE ${ref}`));
      const loads = refs.map((ref) => loadOf(calls, ref));
      const archives = loads.map((load) => load.split(" ")[3] as string);
      expect(new Set(archives).size).toBe(2);
      // Each archive had content when kind was called (the stub logs it then), and none is left behind.
      expect(readFileSync(join(dir, "archives.log"), "utf8").trim().split("\n")).toEqual(archives);
      for (const archive of archives) expect(existsSync(archive)).toBe(false);
    }
  });

  it("names every missing prerequisite, and how to get it, before doing anything", async () => {
    const { stderr } = await kindUp("missing-", { clusterExists: true }, 1, (dir) => {
      const missing = join(dir, "nope");
      return { DOCKER: missing, KIND: missing, KUBECTL: missing, HELM: missing };
    });
    for (const what of ["docker:", "kind >= v", "kubectl:", "helm >= 4.1:", "scripts/ensure-helm.sh"]) expect(stderr).toContain(what);
  });

  // Helm 3 applies the test hook's delete policy (hook-succeeded) before `helm test --logs` reads the Pod's logs,
  // so a passing test fails (helm/helm#9098): kind-up refuses Helm < 4.1 up front, naming what it found.
  it("refuses Helm 3 with one line naming the version found and the pinned helm, before doing anything", async () => {
    const { stderr, calls } = await kindUp("helm3-", { clusterExists: false, helmVersion: "v3.15.0" }, 1);
    const lines = stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[kind-up\] error: kind-up needs helm >= 4\.1, found v3\.15\.0 at \S+\/helm /);
    expect(lines[0]).toContain("helm/helm#9098");
    expect(lines[0]).toContain(`the pinned helm ${pinnedHelm}`);
    expect(lines[0]).toContain('HELM="$(scripts/ensure-helm.sh)"');
    // Only the read-only prerequisite checks ran: no cluster, no chart, no image, no kubectl.
    expect(calls.filter((call) => !/^(docker info|kind version|helm version)( |$)/.test(call))).toEqual([]);
  });

  it("proceeds with Helm 4.1 or newer and runs the chart's helm test with --logs", async () => {
    for (const version of ["v4.1.0", "v4.3.1+g1234abc"]) {
      const { calls } = await kindUp("helm4-", { clusterExists: true, helmVersion: version });
      expect(calls.filter((call) => /^helm --kube-context kind-otp-lab upgrade --install otp /.test(call))).toHaveLength(1);
      expect(calls.filter((call) => /^helm --kube-context kind-otp-lab test otp .*--logs/.test(call))).toHaveLength(1);
    }
  });

  it("says so when the Docker daemon is not reachable", async () => {
    const { stderr } = await kindUp("daemon-", { clusterExists: true }, 1, (dir) => ({
      DOCKER: stub(dir, "docker-down", 'echo "Cannot connect" >&2; exit 1'),
    }));
    expect(stderr).toContain("a running Docker daemon");
  });
});

// skaffold.yaml deploys the service too (`skaffold dev`): with the same values files as kind-up, so a redeploy keeps
// the NetworkPolicy peers kind-up installs; kind/values-otp-service.yaml is the one place that holds them.
describe("the kind values (kind/values-otp-service.yaml)", () => {
  interface Peer {
    namespaceSelector?: Record<string, unknown>;
    ipBlock?: { cidr: string };
  }
  const kindValues = parse(read("kind/values-otp-service.yaml")) as {
    config: { otel: Record<string, unknown> };
    networkPolicy: { ingressFrom: Peer[] };
  };
  const ipv4 = (address: string) => address.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
  /** Whether the range `inner` lies inside the range `outer` (IPv4 CIDRs). */
  const within = (inner: string, outer: string) => {
    const [innerAddress = "", innerBits] = inner.split("/");
    const [outerAddress = "", outerBits] = outer.split("/");
    const size = 2 ** (32 - Number(outerBits));
    return Number(outerBits) <= Number(innerBits) && Math.floor(ipv4(innerAddress) / size) === Math.floor(ipv4(outerAddress) / size);
  };
  const admits = (cidr: string) => kindValues.networkPolicy.ingressFrom.some((p) => p.ipBlock && within(cidr, p.ipBlock.cidr));

  it("are the values files skaffold.yaml deploys the service with, in kind-up's order", async () => {
    const { calls } = await kindUp("values-", { clusterExists: true });
    const install = calls.find((call) => /^helm --kube-context kind-otp-lab upgrade --install otp .*\/charts\/otp-service /.test(call));
    const skaffold = parse(read("skaffold.yaml")) as {
      deploy: { helm: { releases: { chartPath: string; valuesFiles: string[] }[] } };
    };
    const release = skaffold.deploy.helm.releases.find((r) => r.chartPath === "charts/otp-service");
    expect(valuesFilesOf(install as string)).toEqual(release?.valuesFiles.map((file) => join(REPO_ROOT, file)));
    expect(release?.valuesFiles).toContain("kind/values-otp-service.yaml");
  });

  it("admit every Pod (the chart's default peer, which ingressFrom replaces) and the kind network's usual ranges", () => {
    expect(kindValues.networkPolicy.ingressFrom[0]).toEqual({ namespaceSelector: {} });
    // Docker's default address pools, where the kind network's subnet comes from: 172.18.0.0/16 on most hosts.
    for (const cidr of ["172.18.0.0/16", "172.19.0.0/16", "172.31.0.0/16", "192.168.0.0/20", "192.168.240.0/20"]) {
      expect(admits(cidr), cidr).toBe(true);
    }
    // Not the kind Pod or Service ranges (those are Pods, admitted or not by the selectors), nor everything.
    for (const cidr of ["10.244.0.0/16", "10.96.0.0/12", "0.0.0.0/0"]) expect(admits(cidr), cidr).toBe(false);
    // Traces to Alloy, 1% sampled; the sampler argument a string, as the chart's schema wants.
    expect(kindValues.config.otel).toEqual({
      exporterOtlpEndpoint: "http://alloy.observability.svc.cluster.local:4318",
      tracesSampler: "parentbased_traceidratio",
      tracesSamplerArg: "0.01",
    });
  });

  it("kind-up warns, naming the file, when the cluster's kind network is outside those peers", async () => {
    for (const [kindNetwork, warned] of [
      ["172.18.0.0/16", false],
      ["10.89.0.0/24", true],
    ] as const) {
      const { stderr } = await kindUp("network-", { clusterExists: true, kindNetwork });
      expect(stderr.includes(`warning: the kind network ${kindNetwork} is not among`), kindNetwork).toBe(warned);
      if (warned) expect(stderr).toContain("kind/values-otp-service.yaml");
    }
  });
});

describe("make kind-up", () => {
  /** A tool cache holding the pinned helm (as scripts/ensure-helm.sh leaves it), and a Helm 3 first on PATH. */
  function setUp(name: string) {
    const dir = mkdtempSync(join(temp, name));
    const cache = join(dir, "cache");
    mkdirSync(join(cache, `helm-${pinnedHelm}`), { recursive: true });
    const pinnedLog = join(dir, "pinned-helm.log");
    helmStub(join(cache, `helm-${pinnedHelm}`), `v${pinnedHelm}`, "helm", pinnedLog);
    const bin = join(dir, "bin");
    mkdirSync(bin);
    const pathHelm = helmStub(bin, "v3.15.0");
    const { DOCKER, KIND, KUBECTL } = stubs(dir, { clusterExists: true });
    const { HELM: _unset, ...inherited } = process.env;
    const env = { ...inherited, DOCKER, KIND, KUBECTL, OTP_LAB_CACHE: cache, PATH: `${bin}:${process.env.PATH}` };
    return { dir, env, pinnedLog, pathHelm, pathLog: join(bin, "calls.log") };
  }

  it("uses the pinned helm from the tool cache, not a helm on PATH", async () => {
    const { env, pinnedLog, pathLog } = setUp("make-pinned-");
    await run("make", ["-C", REPO_ROOT, "kind-up"], { env });
    const pinned = readFileSync(pinnedLog, "utf8");
    expect(pinned).toMatch(/^helm --kube-context kind-otp-lab upgrade --install otp /m);
    expect(pinned).toMatch(/^helm --kube-context kind-otp-lab test otp /m);
    expect(existsSync(pathLog)).toBe(false);
  });

  it("uses HELM when it is set, and so refuses a Helm 3 given that way", async () => {
    const { env, pinnedLog, pathHelm } = setUp("make-explicit-");
    const error = await run("make", ["-C", REPO_ROOT, "kind-up"], { env: { ...env, HELM: pathHelm } }).catch(
      (failure: { code: number; stderr: string }) => failure,
    );
    expect(error).toMatchObject({ code: 2 });
    expect((error as { stderr: string }).stderr).toContain(`kind-up needs helm >= 4.1, found v3.15.0 at ${pathHelm} `);
    expect(existsSync(pinnedLog)).toBe(false);
  });
});

describe("kind/kind-down.sh", () => {
  it("deletes the cluster when it exists, and is a no-op otherwise", async () => {
    const dir = mkdtempSync(join(temp, "down-"));
    await run("bash", [join(REPO_ROOT, "kind", "kind-down.sh")], {
      env: { ...process.env, KIND: stubs(dir, { clusterExists: true }).KIND },
    });
    expect(readFileSync(join(dir, "calls.log"), "utf8")).toContain("kind delete cluster --name otp-lab");

    const empty = mkdtempSync(join(temp, "down-none-"));
    const { stderr } = await run("bash", [join(REPO_ROOT, "kind", "kind-down.sh")], {
      env: { ...process.env, KIND: stubs(empty, { clusterExists: false }).KIND },
    });
    expect(stderr).toContain("nothing to delete");
    expect(readFileSync(join(empty, "calls.log"), "utf8")).not.toContain("delete");
  });
});
