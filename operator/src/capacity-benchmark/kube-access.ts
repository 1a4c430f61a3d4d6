// KubeAccess on @kubernetes/client-node: typed APIs for the HPA (autoscaling/v2), the Deployment and Events,
// the CustomObjects API for CapacityBenchmarks and k6-operator TestRuns.
import {
  ApiException,
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import type { KubeAccess } from "./ports.ts";
import type { TestRunStage } from "./reconcile.ts";
import { type CapacityBenchmark, GROUP, PLURAL, VERSION } from "./schema.ts";

const K6 = { group: "k6.io", version: "v1alpha1", plural: "testruns" } as const;
const CB = { group: GROUP, version: VERSION, plural: PLURAL } as const;
const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const jsonPatch = setHeaderOptions("Content-Type", PatchStrategy.JsonPatch);
export const FIELD_MANAGER = "otp-operator";

const code = (error: unknown) => (error instanceof ApiException ? error.code : undefined);
async function orNull<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (error) {
    if (code(error) === 404) return null;
    throw error;
  }
}
async function ignore(call: Promise<unknown>, status: number): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (code(error) !== status) throw error;
  }
}

export function kubeAccess(kc: KubeConfig): KubeAccess {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const autoscaling = kc.makeApiClient(AutoscalingV2Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  return {
    async getBenchmark(namespace, name) {
      return (await orNull(custom.getNamespacedCustomObject({ ...CB, namespace, name }))) as CapacityBenchmark | null;
    },
    async getHpa(namespace, name) {
      const hpa = await orNull(autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace, name }));
      if (!hpa) return null;
      return {
        minReplicas: hpa.spec?.minReplicas ?? null,
        maxReplicas: hpa.spec?.maxReplicas ?? 1,
        currentReplicas: hpa.status?.currentReplicas ?? null,
        desiredReplicas: hpa.status?.desiredReplicas ?? null,
      };
    },
    async patchHpa(namespace, name, minReplicas, maxReplicas) {
      await autoscaling.patchNamespacedHorizontalPodAutoscaler(
        { namespace, name, body: { spec: { minReplicas, maxReplicas } }, fieldManager: FIELD_MANAGER },
        merge,
      );
    },
    async readyReplicas(namespace, deployment) {
      const found = await orNull(apps.readNamespacedDeployment({ namespace, name: deployment }));
      return found ? (found.status?.readyReplicas ?? 0) : null;
    },
    async getTestRun(namespace, name) {
      const found = (await orNull(custom.getNamespacedCustomObject({ ...K6, namespace, name }))) as {
        status?: { stage?: TestRunStage };
      } | null;
      return found ? { name, ...(found.status?.stage ? { stage: found.status.stage } : {}) } : null;
    },
    async listOwnedTestRuns(namespace, ownerUid) {
      const list = (await custom.listNamespacedCustomObject({ ...K6, namespace })) as {
        items: { metadata: { name: string; ownerReferences?: { uid: string; controller?: boolean }[] } }[];
      };
      return list.items
        .filter((tr) => tr.metadata.ownerReferences?.some((o) => o.uid === ownerUid && o.controller))
        .map((tr) => tr.metadata.name);
    },
    async createTestRun(testRun) {
      const namespace = testRun.metadata.namespace;
      await ignore(
        custom.createNamespacedCustomObject({ ...K6, namespace, body: testRun, fieldManager: FIELD_MANAGER, fieldValidation: "Strict" }),
        409,
      );
    },
    async deleteTestRun(namespace, name) {
      await ignore(custom.deleteNamespacedCustomObject({ ...K6, namespace, name, propagationPolicy: "Background" }), 404);
    },
    async patchStatus(namespace, name, status) {
      // The whole status, as a JSON Patch: a merge patch would read the figures' nulls (no capacity, no knee)
      // as "delete this field", which the schema then rejects as a missing required value.
      await custom.patchNamespacedCustomObjectStatus(
        { ...CB, namespace, name, body: [{ op: "add", path: "/status", value: status }], fieldManager: FIELD_MANAGER },
        jsonPatch,
      );
    },
    async setFinalizers(namespace, name, finalizers) {
      await custom.patchNamespacedCustomObject(
        { ...CB, namespace, name, body: { metadata: { finalizers } }, fieldManager: FIELD_MANAGER },
        merge,
      );
    },
    async deleteBenchmark(namespace, name) {
      await ignore(custom.deleteNamespacedCustomObject({ ...CB, namespace, name }), 404);
    },
    async recordEvent(benchmark, type, reason, message) {
      const namespace = benchmark.metadata.namespace ?? "default";
      const now = new Date();
      await core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${benchmark.metadata.name}.`, namespace },
          involvedObject: {
            apiVersion: benchmark.apiVersion,
            kind: benchmark.kind,
            name: benchmark.metadata.name,
            namespace,
            ...(benchmark.metadata.uid ? { uid: benchmark.metadata.uid } : {}),
          },
          type,
          reason,
          message: message.slice(0, 1024),
          source: { component: FIELD_MANAGER },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    },
  };
}
