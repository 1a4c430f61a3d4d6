// The tests' own client-node clients, built from the harness's kubeconfig file, with the harness's
// client for server-side apply, and small helpers: apply the generated CRDs, make a namespace.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { createKubeClient, type KubeClient } from "@otp-lab/local-stack/kube/api";

export interface TestKube {
  core: CoreV1Api;
  custom: CustomObjectsApi;
  coordination: CoordinationV1Api;
  harness: KubeClient;
}

export function testKube(kubeconfigPath: string): TestKube {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath);
  return {
    core: config.makeApiClient(CoreV1Api),
    custom: config.makeApiClient(CustomObjectsApi),
    coordination: config.makeApiClient(CoordinationV1Api),
    harness: createKubeClient(kubeconfigPath),
  };
}

/** Applies every CRD in `dir` (or the `only` files) with the harness's apply, which waits until each is served. */
export async function installCrds(kube: TestKube, dir: string, only?: string[]): Promise<void> {
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml") && (!only || only.includes(f))))
    await kube.harness.apply(readFileSync(join(dir, file), "utf8"));
}

export async function createNamespace(kube: TestKube, name: string): Promise<void> {
  await kube.core.createNamespace({ body: { metadata: { name } } });
}
