// The ResultsSink of a cluster: a finished benchmark's results.json in the ConfigMap `<benchmark>-results`
// (key `results.json`), owned by the CapacityBenchmark (garbage-collected with it). Written with create, or
// replace when it exists (a controller restarted between writing it and the status does it again).
// A ConfigMap holds at most 1 MiB of data: a larger results.json is refused with ResultsTooLargeError,
// which the controller turns into a failed benchmark with a condition — never a half-written ConfigMap.
import { ApiException, type CoreV1Api, type V1ConfigMap } from "@kubernetes/client-node";
import type { BenchResults } from "../../../k6/runner/results.ts";
import type { ResultsSink } from "./ports.ts";
import type { CapacityBenchmark } from "./schema.ts";
import { BENCHMARK_LABEL, ownerReference } from "./testrun.ts";

export const RESULTS_KEY = "results.json";
/** The API server's limit on a ConfigMap's data (keys and values together). */
export const CONFIGMAP_DATA_LIMIT = 1024 * 1024;

export class ResultsTooLargeError extends Error {
  readonly bytes: number;
  constructor(bytes: number) {
    super(`results.json is ${bytes} bytes; a ConfigMap holds at most ${CONFIGMAP_DATA_LIMIT - RESULTS_KEY.length} in one key`);
    this.name = "ResultsTooLargeError";
    this.bytes = bytes;
  }
}

export const resultsConfigMapName = (benchmark: string) => `${benchmark}-results`;

/** The ConfigMap of a benchmark's results; throws ResultsTooLargeError above the API server's limit. */
export function resultsConfigMap(benchmark: CapacityBenchmark, results: BenchResults): V1ConfigMap {
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const bytes = Buffer.byteLength(json, "utf8");
  if (bytes + RESULTS_KEY.length > CONFIGMAP_DATA_LIMIT) throw new ResultsTooLargeError(bytes);
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: resultsConfigMapName(benchmark.metadata.name),
      namespace: benchmark.metadata.namespace,
      labels: { "app.kubernetes.io/managed-by": "otp-operator", [BENCHMARK_LABEL]: benchmark.metadata.name },
      ownerReferences: [ownerReference(benchmark)],
    },
    data: { [RESULTS_KEY]: json },
  };
}

export function configMapResultsSink(core: CoreV1Api): ResultsSink {
  return {
    async write(benchmark, results) {
      const body = resultsConfigMap(benchmark, results);
      const namespace = benchmark.metadata.namespace as string;
      const name = body.metadata?.name as string;
      try {
        await core.createNamespacedConfigMap({ namespace, body, fieldManager: "otp-operator" });
      } catch (error) {
        if (!(error instanceof ApiException && error.code === 409)) throw error;
        const existing = await core.readNamespacedConfigMap({ namespace, name });
        // Never overwrite a ConfigMap someone else owns under that name.
        if (!existing.metadata?.ownerReferences?.some((o) => o.uid === benchmark.metadata.uid && o.controller)) {
          throw new Error(`ConfigMap ${namespace}/${name} exists and is not owned by this CapacityBenchmark`);
        }
        await core.replaceNamespacedConfigMap({
          namespace,
          name,
          body: { ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion } },
          fieldManager: "otp-operator",
        });
      }
      return name;
    },
  };
}
