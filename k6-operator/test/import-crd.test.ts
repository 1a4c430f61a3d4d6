// The typed TestRun constructs (imports/k6.io.ts): fresh from `cdk8s import` of the real CRD, runnable by Node as
// they are, and strict: a field the CRD does not have does not compile (checked by `make typecheck`, through
// the @ts-expect-error lines below: each one fails the type check if its line DOES compile).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { IMPORT_FILE, IMPORTS_DIR, importTestRunConstructs, makeErasable } from "../import-crd.ts";
import { buildTestRun, TestRunSpecCleanup, TestRunSpecRunnerResourcesRequests } from "../testrun.ts";

const temp = mkdtempSync(join(tmpdir(), "k6-operator-import-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe("imports/k6.io.ts", () => {
  it("is what cdk8s import makes of ../shared/crds/k6-operator-v1.6.0/k6.io_testruns.yaml now (committed and fresh)", () => {
    const committed = readFileSync(join(IMPORTS_DIR, IMPORT_FILE), "utf8");
    expect(committed.split("\n")[0]).toContain("../shared/crds/k6-operator-v1.6.0/k6.io_testruns.yaml");
    // Byte for byte, so a changed CRD or cdk8s-cli shows up as a stale file.
    expect(importTestRunConstructs() === committed, "stale: run node k6-operator/import-crd.ts").toBe(true);
  }, 60_000);

  it("rewrites exactly the non-erasable constructs of cdk8s import's output", () => {
    const sample = [
      "import { ApiObject, ApiObjectMetadata, GroupVersionKind } from 'cdk8s';",
      "import { Construct } from 'constructs';",
      "export enum Mode {",
      "  /** post */",
      '  POST = "post",',
      "}",
      "export class Quantity {",
      "  private constructor(public readonly value: number | string) {",
      "  }",
      "}",
      "",
    ].join("\n");
    expect(makeErasable(sample)).toBe(
      [
        "import { ApiObject, type ApiObjectMetadata, type GroupVersionKind } from 'cdk8s';",
        "import type { Construct } from 'constructs';",
        "export const Mode = {",
        "  /** post */",
        '  POST: "post",',
        "} as const;",
        "export type Mode = (typeof Mode)[keyof typeof Mode];",
        "export class Quantity {",
        "  public readonly value: number | string;",
        "  private constructor(value: number | string) {",
        "    this.value = value;",
        "  }",
        "}",
        "",
      ].join("\n"),
    );
    expect(() => makeErasable("export enum Other {\n  A = 1,\n}\n")).toThrow(/enum/);
  });
});

describe("buildTestRun", () => {
  it("synthesizes the typed construct into the plain object the API takes", () => {
    const metadata = {
      name: "k6-probe",
      namespace: "load",
      labels: { "otp-lab/testid": "probe" },
      ownerReferences: [{ apiVersion: "otp-lab.io/v1alpha1", kind: "CapacityBenchmark", name: "b", uid: "u-1", controller: true }],
    };
    const testRun = buildTestRun({
      ...metadata,
      spec: {
        parallelism: 2,
        cleanup: TestRunSpecCleanup.POST,
        script: { configMap: { name: "scripts", file: "probe.ts" } },
        runner: { resources: { requests: { cpu: TestRunSpecRunnerResourcesRequests.fromString("250m") } } },
      },
    });
    expect(testRun).toEqual({
      apiVersion: "k6.io/v1alpha1",
      kind: "TestRun",
      metadata,
      spec: {
        parallelism: 2,
        cleanup: "post",
        script: { configMap: { name: "scripts", file: "probe.ts" } },
        runner: { resources: { requests: { cpu: "250m" } } },
      },
    });
  });

  it("does not compile with a field or a type the CRD does not have (make typecheck checks these lines)", () => {
    const build = () => [
      buildTestRun({
        name: "typo",
        namespace: "load",
        // @ts-expect-error spec.cloud is not a field of the k6-operator 1.6.0 TestRun
        spec: { parallelism: 1, script: { localFile: "/t.js" }, cloud: { token: "x" } },
      }),
      buildTestRun({
        name: "typo",
        namespace: "load",
        // @ts-expect-error a toleration has `effect`, not `efect`
        spec: { parallelism: 1, script: { localFile: "/t.js" }, runner: { tolerations: [{ key: "k", efect: "NoSchedule" }] } },
      }),
      buildTestRun({
        name: "typo",
        namespace: "load",
        // @ts-expect-error runAsUser is a number
        spec: { parallelism: 1, script: { localFile: "/t.js" }, runner: { securityContext: { runAsUser: "1000" } } },
      }),
    ];
    expect(build).toBeTypeOf("function");
  });
});
