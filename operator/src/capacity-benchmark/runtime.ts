// The CapacityBenchmark controller on the operator's runtime: an informer on CapacityBenchmarks and one on
// k6.io TestRuns (a TestRun's changes — its stage — queue its owning benchmark), the work queue calling
// `reconcileOnce` and queueing the key again after the delay it returns; a thrown error is retried by the
// queue with backoff. Ports: client-node (kube-access.ts), Prometheus over fetch, results in a ConfigMap.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { OperatorConfig } from "../runtime/config.ts";
import { type Controller, createController } from "../runtime/controller.ts";
import type { Kube } from "../runtime/kube.ts";
import type { Logger } from "../runtime/logger.ts";
import type { OperatorMetrics } from "../runtime/metrics.ts";
import { createObjectCache } from "../runtime/object-cache.ts";
import { reconcileOnce } from "./controller.ts";
import { kubeAccess } from "./kube-access.ts";
import type { Ports } from "./ports.ts";
import { type PrometheusQuery, prometheusClient } from "./prometheus.ts";
import { configMapResultsSink } from "./results-configmap.ts";
import { API_VERSION, GROUP, KIND, PLURAL, VERSION } from "./schema.ts";

const K6 = { group: "k6.io", version: "v1alpha1", plural: "testruns" } as const;

export function capacityBenchmarkPorts(kube: Kube): Ports {
  const prometheus = new Map<string, PrometheusQuery>();
  return {
    kube: kubeAccess(kube.config),
    clock: { now: () => new Date() },
    prometheus(url) {
      let client = prometheus.get(url);
      if (!client) {
        client = prometheusClient(url);
        prometheus.set(url, client);
      }
      return client;
    },
    results: configMapResultsSink(kube.core),
  };
}

/** The benchmark that controls a TestRun, as a work-queue key; none for TestRuns the controller did not make. */
export function ownerKeys(object: KubernetesObject): string[] {
  const owner = object.metadata?.ownerReferences?.find((o) => o.controller && o.apiVersion === API_VERSION && o.kind === KIND);
  return owner && object.metadata?.namespace ? [`${object.metadata.namespace}/${owner.name}`] : [];
}

export function createCapacityBenchmarkController(
  kube: Kube,
  config: OperatorConfig,
  deps: { logger: Logger; metrics: OperatorMetrics; ports?: Ports },
): Controller {
  const namespace = config.watchNamespace;
  const ports = deps.ports ?? capacityBenchmarkPorts(kube);
  const pathOf = (group: string, version: string, plural: string) =>
    namespace ? `/apis/${group}/${version}/namespaces/${namespace}/${plural}` : `/apis/${group}/${version}/${plural}`;
  const listOf = (group: string, version: string, plural: string) => () =>
    namespace
      ? kube.custom.listNamespacedCustomObject({ group, version, namespace, plural })
      : kube.custom.listClusterCustomObject({ group, version, plural });
  // A TestRun's stage changes (started → finished, error) queue the benchmark that owns it.
  const testRuns = createObjectCache<KubernetesObject>({
    name: "capacitybenchmark-testruns",
    kubeConfig: kube.config,
    path: pathOf(K6.group, K6.version, K6.plural),
    list: listOf(K6.group, K6.version, K6.plural),
    logger: deps.logger,
  });
  return createController<KubernetesObject>({
    name: "capacitybenchmark",
    kubeConfig: kube.config,
    path: pathOf(GROUP, VERSION, PLURAL),
    list: listOf(GROUP, VERSION, PLURAL),
    watches: [{ cache: testRuns, ownerKeys }],
    async reconcile({ namespace: ns, name }) {
      const seconds = await reconcileOnce(ports, ns ?? "default", name);
      return seconds === null ? {} : { requeueAfterMs: seconds * 1000 };
    },
    concurrency: config.concurrency,
    resyncMs: config.resyncMs,
    logger: deps.logger,
    metrics: deps.metrics,
  });
}
