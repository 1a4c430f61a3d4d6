// scripts/bench-cluster.sh end to end against a stub kubectl (no cluster here): it renders a unique run, seeds
// the tenants when the Secret is missing, applies the ConfigMap and the TestRun server-side, polls the stage to
// `finished`, saves the runners' logs, prints a Grafana link filtered by the testid, and deletes the TestRun.
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT, type TestRun } from "../generate.ts";

const run = promisify(execFile);
const SCRIPT = join(REPO_ROOT, "scripts", "bench-cluster.sh");
const temp = mkdtempSync(join(tmpdir(), "bench-cluster-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** A kubectl that records its calls and answers like a cluster whose TestRun goes through its stages. */
function stubKubectl(dir: string): string {
  const path = join(dir, "kubectl");
  writeFileSync(
    path,
    `#!/usr/bin/env bash
set -euo pipefail
dir=${JSON.stringify(dir)}
printf '%s\\n' "$*" >>"$dir/calls.log"
args=" $* "
case "$args" in
  *" get crd testruns.k6.io "*|*" get deployment otp-otp-service "*) exit 0 ;;
  *" get secret k6-tenants "*) exit 1 ;;
  *" exec deployment/otp-otp-service "*" seed "*)
    echo '{"tenants":[{"id":"t-1","name":"bench-1","apiKey":"kkkkkkkkkkkkkkkkkkkkkkkk"}]}'
    echo '{"level":"info","msg":"tenants seeded"}' >&2 ;;
  *" create secret generic k6-tenants "*) echo "apiVersion: v1"; echo "kind: Secret" ;;
  *" apply --server-side "*)
    file="\${*: -1}"; cp "$file" "$dir/applied.yaml" ;;
  *" apply -f - "*) cat >"$dir/applied-secret.yaml" ;;
  *" get testrun "*" -o jsonpath={.status.stage} "*)
    n=$(cat "$dir/polls" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" >"$dir/polls"
    stages=(initialization initialized created started started finished)
    printf '%s' "\${stages[$((n - 1))]:-finished}" ;;
  *" logs "*) echo "[pod/k6-runner-1/k6] p01 100 req/s ok" ;;
  *" get jobs "*) echo "k6-runner-1 succeeded=1 failed=" ;;
  *" delete testrun "*) ;;
  *) echo "unexpected kubectl call: $*" >&2; exit 3 ;;
esac
`,
  );
  chmodSync(path, 0o755);
  return path;
}

describe("scripts/bench-cluster.sh", () => {
  it("runs one step through its whole life cycle", async () => {
    const dir = mkdtempSync(join(temp, "run-"));
    const reports = join(dir, "reports");
    const { stdout, stderr } = await run("bash", [SCRIPT, "11-send-flow"], {
      env: {
        ...process.env,
        KUBECTL: stubKubectl(dir),
        NODE: process.execPath,
        POLL_S: "0",
        PARALLELISM: "3",
        REPORTS_DIR: reports,
      },
    });
    const calls = readFileSync(join(dir, "calls.log"), "utf8");
    expect(calls).toMatch(
      /--context kind-otp-lab -n otp exec deployment\/otp-otp-service -c otp-service -- \/nodejs\/bin\/node app\/dist\/main\.js seed/,
    );
    expect(readFileSync(join(dir, "applied-secret.yaml"), "utf8")).toContain("kind: Secret");

    const applied = parseAllDocuments(readFileSync(join(dir, "applied.yaml"), "utf8")).map((doc) => doc.toJS() as TestRun);
    expect(applied.map((doc) => doc.kind)).toEqual(["ConfigMap", "TestRun"]);
    const testRun = applied[1] as TestRun;
    const testid = testRun.metadata.labels["otp-lab/testid"] as string;
    expect(testid).toMatch(/^11-send-flow-\d{8}t\d{6}$/);
    expect(testRun.metadata.name).toBe(`k6-${testid}`);
    expect(testRun.spec.parallelism).toBe(3);
    expect(testRun.spec.cleanup).toBeUndefined();

    expect(stderr).toContain("stage: finished");
    expect(calls).toContain(`delete testrun k6-${testid}`);
    expect(readdirSync(join(reports, testid)).sort()).toEqual(["jobs.txt", "manifests.yaml", "runners.log"]);
    expect(stdout).toContain(`testid ${testid}`);
    const link = /(http:\/\/127\.0\.0\.1:3000\/explore\?\S+)/.exec(stdout)?.[1] as string;
    const panes = JSON.parse(new URL(link).searchParams.get("panes") as string) as {
      k6: { queries: { expr: string }[]; range: { from: string; to: string } };
    };
    expect(panes.k6.queries.map((q) => q.expr).join("\n")).toContain(`testid="${testid}"`);
    expect(Number(panes.k6.range.to)).toBeGreaterThan(Number(panes.k6.range.from));
  });

  it("refuses an unknown step and lists the ones it knows", async () => {
    const error = await run("bash", [SCRIPT, "01-bare-node-hello"], { env: { ...process.env, NODE: process.execPath } }).catch(
      (failure: { code: number; stderr: string }) => failure,
    );
    expect(error).toMatchObject({ code: 2 });
    expect((error as { stderr: string }).stderr).toContain("11-send-flow");
  });
});
