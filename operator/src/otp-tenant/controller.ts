// The OtpTenant controller: the generic controller loop watching otptenants (one namespace or all)
// with the OtpTenant reconciler.
import type { OperatorConfig } from "../runtime/config.ts";
import { type Controller, createController } from "../runtime/controller.ts";
import type { EventRecorder } from "../runtime/events.ts";
import type { Kube } from "../runtime/kube.ts";
import type { Logger } from "../runtime/logger.ts";
import type { OperatorMetrics } from "../runtime/metrics.ts";
import { createOtpTenantReconciler } from "./reconciler.ts";
import { GROUP, type OtpTenant, PLURAL, VERSION } from "./schema.ts";
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
  return createController<OtpTenant>({
    name: "otptenant",
    kubeConfig: kube.config,
    path,
    list,
    reconcile: createOtpTenantReconciler({ core: kube.core, custom: kube.custom, table: deps.table, events: deps.events }),
    concurrency: config.concurrency,
    resyncMs: config.resyncMs,
    logger: deps.logger,
    metrics: deps.metrics,
  });
}
