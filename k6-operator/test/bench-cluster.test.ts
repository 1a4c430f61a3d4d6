// scripts/bench-cluster.sh end to end against a stub kubectl (no cluster here): it applies the scripts' ConfigMap,
// applies the benchmark OtpTenants and gathers their operator-written keys into Secret k6-tenants, applies a
// CapacityBenchmark for the step, prints a progress line per status change until Succeeded, fetches results.json
// from the ConfigMap named in status.resultsConfigMap, renders the SAME report as `make bench`, and deletes the
// CapacityBenchmark.
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { buildClusterFixture } from "../../k6/report/test/fixture.ts";
import { specSchema } from "../../operator/src/capacity-benchmark/schema.ts";
import { REPO_ROOT } from "../generate.ts";

const run = promisify(execFile);
const SCRIPT = join(REPO_ROOT, "scripts", "bench-cluster.sh");
const temp = mkdtempSync(join(tmpdir(), "bench-cluster-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** A kubectl that records its calls and answers like a cluster whose otp-operator runs the CapacityBenchmark. */
function stubKubectl(dir: string, phases: string[]): string {
  writeFileSync(join(dir, "results.json"), JSON.stringify(buildClusterFixture()));
  const path = join(dir, "kubectl");
  const key = Buffer.from("otp_bench-1_v1_0123456789abcdef0123456789abcdef").toString("base64");
  writeFileSync(
    path,
    `#!/usr/bin/env bash
set -euo pipefail
dir=${JSON.stringify(dir)}
printf '%s\\n' "$*" >>"$dir/calls.log"
args=" $* "
case "$args" in
  *" get crd "*|*" get deployment otp-otp-service "*) exit 0 ;;
  *" get secret k6-tenants "*) exit 1 ;;
  *" apply --server-side "*" -f "*)
    file="\${*: -1}"; n=$(ls "$dir" | grep -c '^applied-[0-9]' || true); cp "$file" "$dir/applied-$n.yaml" ;;
  *" wait --for=condition=Ready otptenant "*) ;;
  *" get otptenant "*"{.status.tenantId}"*) printf 'tenant-%s' "$(echo "$*" | sed 's/.*otptenant bench-\\([0-9]\\).*/\\1/')" ;;
  *" get otptenant "*"{.status.secretName}"*) printf '%s-api-key' "$(echo "$*" | sed 's/.*otptenant \\(bench-[0-9]\\).*/\\1/')" ;;
  *" get secret bench-"*"-api-key "*) printf '%s' ${JSON.stringify(key)} ;;
  *" create secret generic k6-tenants "*) cp "$(printf '%s\\n' "$@" | sed -n 's/^--from-file=tenants.json=//p')" "$dir/tenants.json"; echo "kind: Secret" ;;
  *" apply -f - "*) cat >"$dir/applied-secret.yaml" ;;
  *" get capacitybenchmark "*" -o jsonpath={.status.phase}"*)
    n=$(cat "$dir/polls" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" >"$dir/polls"
    phases=(${phases.map((p) => JSON.stringify(p)).join(" ")})
    printf '%s' "\${phases[$((n - 1))]:-\${phases[-1]}}" ;;
  *" get capacitybenchmark "*" -o yaml"*) echo "status: {}" ;;
  *" get capacitybenchmark "*"{.status.resultsConfigMap}"*) printf 'the-results' ;;
  *" get configmap the-results "*) cat "$dir/results.json" ;;
  *" delete capacitybenchmark "*) ;;
  *) echo "unexpected kubectl call: $*" >&2; exit 3 ;;
esac
`,
  );
  chmodSync(path, 0o755);
  return path;
}

const RUNNING = [
  "Settling||||",
  "Running|11-send-flow|[100,200]|created|k6-x-1",
  "Running|11-send-flow|[100,200]|started|k6-x-1",
  "Succeeded|11-send-flow|[100,200]|finished|k6-x-1",
];

describe("scripts/bench-cluster.sh", () => {
  it("applies a CapacityBenchmark, follows it, fetches results.json and renders the report", async () => {
    const dir = mkdtempSync(join(temp, "run-"));
    const reports = join(dir, "reports");
    const { stdout, stderr } = await run("bash", [SCRIPT, "11-send-flow"], {
      env: {
        ...process.env,
        KUBECTL: stubKubectl(dir, RUNNING),
        NODE: process.execPath,
        POLL_S: "0",
        PARALLELISM: "3",
        REPORTS_DIR: reports,
      },
    });
    const calls = readFileSync(join(dir, "calls.log"), "utf8");
    expect(calls).not.toMatch(/ exec /);

    // 1. the scripts' ConfigMap, 2. the OtpTenants, 3. the CapacityBenchmark — in that order.
    const applied = [0, 1, 2].map((i) => parseAllDocuments(readFileSync(join(dir, `applied-${i}.yaml`), "utf8")).map((d) => d.toJS()));
    expect(applied.map((docs) => [...new Set(docs.map((d: { kind: string }) => d.kind))])).toEqual([
      ["ConfigMap"],
      ["OtpTenant"],
      ["CapacityBenchmark"],
    ]);
    expect(applied[1]?.map((d: { metadata: { name: string } }) => d.metadata.name)).toEqual([
      "bench-1",
      "bench-2",
      "bench-3",
      "bench-4",
      "bench-5",
    ]);

    // The runners' Secret holds the keys the operator wrote, in the shape k6/lib/otp-data.ts reads.
    expect(readFileSync(join(dir, "applied-secret.yaml"), "utf8")).toContain("kind: Secret");
    expect(calls).toMatch(/create secret generic k6-tenants --from-file=tenants\.json=/);
    expect(calls).toContain("get secret bench-3-api-key -o jsonpath={.data.apiKey}");
    const tenants = JSON.parse(readFileSync(join(dir, "tenants.json"), "utf8")) as {
      tenants: { id: string; name: string; apiKey: string }[];
    };
    expect(tenants.tenants).toHaveLength(5);
    expect(tenants.tenants[2]).toEqual({ id: "tenant-3", name: "bench-3", apiKey: "otp_bench-1_v1_0123456789abcdef0123456789abcdef" });

    const benchmark = applied[2]?.[0] as { metadata: { name: string }; spec: unknown };
    expect(benchmark.metadata.name).toMatch(/^11-send-flow-\d{8}t\d{6}$/);
    const spec = specSchema.parse(benchmark.spec);
    expect(spec.steps).toEqual([{ script: "11-send-flow", profile: "default" }]);
    expect(spec.scaling).toMatchObject({ mode: "Fixed", replicas: 2 });
    expect(spec.load.parallelism).toBe(3);

    // The progress line, one per change.
    expect(stderr).toContain("phase Settling");
    expect(stderr).toMatch(/phase Running {2}step 11-send-flow {2}rates \[100,200\] req\/s {2}TestRun k6-x-1: started/);
    expect(stderr.match(/phase Running/g)).toHaveLength(2);

    // results.json from the ConfigMap of status.resultsConfigMap, and the report beside it.
    expect(calls).toContain("get configmap the-results -o jsonpath={.data.results\\.json}");
    const out = join(reports, benchmark.metadata.name);
    expect(readdirSync(out).sort()).toEqual(["benchmark.yaml", "report.html", "report.md", "results.json", "status.yaml"]);
    expect(readFileSync(join(out, "report.md"), "utf8").length).toBeGreaterThan(200);
    expect(stdout).toContain(`CapacityBenchmark ${benchmark.metadata.name}: Succeeded`);
    expect(calls).toContain(`delete capacitybenchmark ${benchmark.metadata.name}`);
  });

  it("Autoscaled mode, and a Failed benchmark still fetches its results but exits non-zero", async () => {
    const dir = mkdtempSync(join(temp, "failed-"));
    const error = await run("bash", [SCRIPT, "11-send-flow"], {
      env: {
        ...process.env,
        KUBECTL: stubKubectl(dir, ["Running|11-send-flow|[100]|started|k6-y", "Failed|11-send-flow|[100]|error|k6-y"]),
        NODE: process.execPath,
        POLL_S: "0",
        SCALING: "Autoscaled",
        REPORTS_DIR: join(dir, "reports"),
      },
    }).catch((failure: { code: number; stderr: string }) => failure);
    expect(error).toMatchObject({ code: 1 });
    const benchmark = parse(readFileSync(join(dir, "applied-2.yaml"), "utf8")) as {
      metadata: { name: string };
      spec: { scaling: unknown };
    };
    expect(benchmark.spec.scaling).toEqual({ mode: "Autoscaled" });
    expect(existsSync(join(dir, "reports", benchmark.metadata.name, "report.md"))).toBe(true);
    expect((error as { stderr: string }).stderr).toContain("ended Failed");
  });

  it("refuses an unknown step and lists the ones it knows", async () => {
    const error = await run("bash", [SCRIPT, "01-bare-node-hello"], { env: { ...process.env, NODE: process.execPath } }).catch(
      (failure: { code: number; stderr: string }) => failure,
    );
    expect(error).toMatchObject({ code: 2 });
    expect((error as { stderr: string }).stderr).toContain("11-send-flow");
  });
});
