// One k6-operator TestRun (k6.io/v1alpha1) as a plain object, built with the typed constructs `cdk8s import` made from
// the REAL k6-operator CRD (imports/k6.io.ts, k6-operator 1.6.0): a field the CRD does not have, or a value of the
// wrong type, fails to compile. k6-operator/generate.ts builds the ladder's TestRuns with it; the operator
// (operator/) imports it by path to build the TestRuns it creates:
//
//   import { buildTestRun } from "../k6-operator/testrun.ts";
//   const testRun = buildTestRun({ name, namespace, ownerReferences: [...], spec: { parallelism: 2, script: {...}, runner: {...} } });
//   await objects.patch(testRun, …)   // a plain object: apply it, compare it, serialize it
//
// Quantities and int-or-string fields are classes in the imported types (e.g.
// `TestRunSpecRunnerResourcesRequests.fromString("500m")`); the returned object has their plain values.
import { App, Chart, type OwnerReference } from "cdk8s";
import { TestRun, type TestRunSpec } from "./imports/k6.io.ts";

export * from "./imports/k6.io.ts";
export type { OwnerReference };

export interface TestRunOptions {
  /** metadata.name. The operator names Jobs `<name>-initializer` and Services `<name>-service-<i>`: keep it ≤ 50 characters. */
  name: string;
  /** metadata.namespace: the TestRun's runners, its ConfigMap and its Secrets live there. */
  namespace: string;
  /** metadata.labels (e.g. a testid for the Prometheus series the run writes). */
  labels?: Record<string, string>;
  /** metadata.annotations. */
  annotations?: Record<string, string>;
  /** metadata.ownerReferences: a controller that creates the TestRun names itself here, so deleting it deletes the run. */
  ownerReferences?: OwnerReference[];
  /** spec, typed from the CRD: parallelism and script are required; runner, initializer, starter, cleanup, … as the CRD has them. */
  spec: TestRunSpec;
}

/** A class the import makes for an int-or-string or quantity field: its JSON is the plain value. */
type IntOrStringClass = { readonly value: number | string };

/** The JSON form of an imported type: int-or-string classes become their value, everything else stays as it is. */
export type AsJson<T> = T extends IntOrStringClass
  ? [number | string] extends [T["value"]]
    ? number | string
    : { -readonly [K in keyof T]: AsJson<T[K]> }
  : T extends readonly (infer U)[]
    ? AsJson<U>[]
    : T extends object
      ? { -readonly [K in keyof T]: AsJson<T[K]> }
      : T;

/** A TestRun as the API takes it. */
export interface TestRunManifest {
  apiVersion: "k6.io/v1alpha1";
  kind: "TestRun";
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
  };
  spec: AsJson<TestRunSpec>;
}

/** The TestRun of `options`, synthesized by cdk8s (an App, a Chart, the imported TestRun construct) into a plain object. */
export function buildTestRun(options: TestRunOptions): TestRunManifest {
  const app = new App();
  const chart = new Chart(app, "testrun");
  const testRun = new TestRun(chart, "testrun", {
    metadata: {
      name: options.name,
      namespace: options.namespace,
      ...(options.labels ? { labels: options.labels } : {}),
      ...(options.annotations ? { annotations: options.annotations } : {}),
      ...(options.ownerReferences ? { ownerReferences: options.ownerReferences } : {}),
    },
    spec: options.spec,
  });
  return testRun.toJson() as TestRunManifest;
}
