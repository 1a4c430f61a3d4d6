// What the CapacityBenchmark controller needs from the world, as narrow interfaces: the runtime (informers,
// work queue, leader election — another branch) wires real implementations (kube-access.ts with
// @kubernetes/client-node, prometheus.ts) and tests wire fakes. Nothing here knows about HTTP.

import type { BenchResults } from "../../../k6/runner/results.ts";
import type { TestRunManifest } from "../../../k6-operator/testrun.ts";
import type { PrometheusQuery } from "./prometheus.ts";
import type { HpaObservation, TestRunStage } from "./reconcile.ts";
import type { CapacityBenchmark, Status } from "./schema.ts";

export interface KubeAccess {
  getBenchmark(namespace: string, name: string): Promise<CapacityBenchmark | null>;
  /** null when the HPA does not exist. */
  getHpa(namespace: string, name: string): Promise<HpaObservation | null>;
  /** Merge-patch spec.minReplicas/maxReplicas (null min: remove it, the API's default of 1). */
  patchHpa(namespace: string, name: string, minReplicas: number | null, maxReplicas: number): Promise<void>;
  /** The Deployment's status.readyReplicas; null when the Deployment does not exist. */
  readyReplicas(namespace: string, deployment: string): Promise<number | null>;
  getTestRun(namespace: string, name: string): Promise<{ name: string; stage?: TestRunStage } | null>;
  /** Names of TestRuns whose controller ownerReference has this UID: the only ones the controller may delete. */
  listOwnedTestRuns(namespace: string, ownerUid: string): Promise<string[]>;
  /** Create; AlreadyExists counts as success (names are deterministic). */
  createTestRun(testRun: TestRunManifest): Promise<void>;
  /** Delete (background propagation: its Jobs and Pods go too); NotFound counts as success. */
  deleteTestRun(namespace: string, name: string): Promise<void>;
  /** The status subresource. */
  patchStatus(namespace: string, name: string, status: Status): Promise<void>;
  setFinalizers(namespace: string, name: string, finalizers: string[]): Promise<void>;
  deleteBenchmark(namespace: string, name: string): Promise<void>;
  recordEvent(benchmark: CapacityBenchmark, type: "Normal" | "Warning", reason: string, message: string): Promise<void>;
}

export interface Clock {
  now(): Date;
}

/** Where a finished benchmark's results.json goes (a ConfigMap, a file, object storage: the runtime decides). */
export interface ResultsSink {
  /** Stores it; returns where (status.resultsConfigMap). Throws ResultsTooLargeError when it cannot hold it. */
  write(benchmark: CapacityBenchmark, results: BenchResults): Promise<string>;
}

export interface Ports {
  kube: KubeAccess;
  clock: Clock;
  /** One client per Prometheus URL (spec.prometheus.url). */
  prometheus(url: string): PrometheusQuery;
  results: ResultsSink;
}
