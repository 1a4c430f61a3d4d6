// The OtpTenant controller: the generic controller loop watching otptenants (one namespace or all)
// with the OtpTenant reconciler, and a cache of the Secrets it generates.
import type { KubernetesObject, V1Secret } from "@kubernetes/client-node";
import type { OperatorConfig } from "../runtime/config.ts";
import { type Controller, createController } from "../runtime/controller.ts";
import type { EventRecorder } from "../runtime/events.ts";
import type { Kube } from "../runtime/kube.ts";
import type { Logger } from "../runtime/logger.ts";
import type { OperatorMetrics } from "../runtime/metrics.ts";
import { createObjectCache, type ObjectCache } from "../runtime/object-cache.ts";
import { OWNED_SECRET_SELECTOR } from "./api-key-secret.ts";
import { createOtpTenantReconciler } from "./reconciler.ts";
import { GROUP, KIND, type OtpTenant, PLURAL, VERSION } from "./schema.ts";
import type { TenantTable } from "./tenant-table.ts";

export function createOtpTenantController(
  kube: Kube,
  config: OperatorConfig,
  deps: { table: TenantTable; events: EventRecorder; logger: Logger; metrics: OperatorMetrics },
): Controller {
  const namespace = config.watchNamespace;
  const path = namespace ? `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}` : `/apis/${GROUP}/${VERSION}/${PLURAL}`;
  const list = () =>
    namespace
      ? kube.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL })
      : kube.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL });
  // The Secrets this controller generates, cached: no GET per reconcile (needs list/watch on Secrets).
  const secrets = createObjectCache<V1Secret>({
    name: "otptenant-secrets",
    kubeConfig: kube.config,
    path: namespace ? `/api/v1/namespaces/${namespace}/secrets` : "/api/v1/secrets",
    labelSelector: OWNED_SECRET_SELECTOR,
    list: () =>
      namespace
        ? kube.core.listNamespacedSecret({ namespace, labelSelector: OWNED_SECRET_SELECTOR })
        : kube.core.listSecretForAllNamespaces({ labelSelector: OWNED_SECRET_SELECTOR }),
    logger: deps.logger,
  });
  // A generated Secret deleted by someone: reconcile its OtpTenant now (a new key), not at the next resync.
  const ownerKeys = (secret: KubernetesObject) =>
    (secret.metadata?.ownerReferences ?? [])
      .filter((o) => o.controller && o.kind === KIND && o.apiVersion === `${GROUP}/${VERSION}`)
      .map((o) => `${secret.metadata?.namespace}/${o.name}`);
  return createController<OtpTenant>({
    name: "otptenant",
    kubeConfig: kube.config,
    path,
    list,
    // Only a deletion matters: the controller made every other change itself.
    watches: [{ cache: secrets as ObjectCache<KubernetesObject>, ownerKeys, events: ["delete"] }],
    reconcile: createOtpTenantReconciler({ core: kube.core, custom: kube.custom, table: deps.table, events: deps.events, secrets }),
    concurrency: config.concurrency,
    resyncMs: config.resyncMs,
    logger: deps.logger,
    metrics: deps.metrics,
  });
}
