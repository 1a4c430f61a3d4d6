// The tests' own client-node clients, built from the harness's kubeconfig file (nothing else of the
// harness is used), and small helpers: apply the generated CRDs, make a namespace.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ApiextensionsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  loadYaml,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";
import { waitFor } from "@otp-lab/local-stack/wait";

export interface TestKube {
  core: CoreV1Api;
  custom: CustomObjectsApi;
  coordination: CoordinationV1Api;
  extensions: ApiextensionsV1Api;
}

export function testKube(kubeconfigPath: string): TestKube {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath);
  return {
    core: config.makeApiClient(CoreV1Api),
    custom: config.makeApiClient(CustomObjectsApi),
    coordination: config.makeApiClient(CoordinationV1Api),
    extensions: config.makeApiClient(ApiextensionsV1Api),
  };
}

/** Creates every CRD in `dir` and waits until the API server reports it Established. */
export async function installCrds(kube: TestKube, dir: string, only?: string[]): Promise<void> {
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml") && (!only || only.includes(f)))) {
    // loadYaml, not a plain YAML parse: client-node serialises typed models and silently drops keys it
    // does not know by their wire names (x-kubernetes-validations, default) from a plain object.
    const crd = loadYaml<V1CustomResourceDefinition>(readFileSync(join(dir, file), "utf8"));
    await kube.extensions.createCustomResourceDefinition({ body: crd });
    await waitFor(`CRD ${crd.metadata?.name} Established`, async () => {
      const read = await kube.extensions.readCustomResourceDefinition({ name: crd.metadata?.name as string });
      return read.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") || undefined;
    });
    // A new CRD's storage answers 429 "storage is (re)initializing" for a moment after Established.
    const spec = crd.spec;
    const version = spec.versions.find((v) => v.storage)?.name ?? spec.versions[0]?.name ?? "v1";
    await waitFor(`${spec.names.plural}.${spec.group} served`, async () => {
      await kube.custom.listClusterCustomObject({ group: spec.group, version, plural: spec.names.plural });
      return true;
    });
  }
}

export async function createNamespace(kube: TestKube, name: string): Promise<void> {
  await kube.core.createNamespace({ body: { metadata: { name } } });
}
