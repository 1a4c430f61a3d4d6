// The other workloads of the service image: the separate SMS worker and the migration hook Job.
import type { Construct } from "constructs";
import { include, tpl, values } from "../helm.ts";
import { clusterIpService } from "./cluster-ip-service.ts";
import {
  CONFIG_ENV,
  CONTAINER_PORT,
  labels,
  MIGRATION_ENV_KEYS,
  metadata,
  secretEnv,
  serviceImagePod,
  WORKER_GRACE_SECONDS,
} from "./common.ts";
import { appDeploymentSpec } from "./service.ts";
import { HelmObject, HelmTemplate } from "./template.ts";

const SOURCE = "cdk8s/src/chart/workloads.ts";

/** `worker`: consumes the SMS stream; serves only probes and /metrics. */
export function worker(scope: Construct): void {
  const enabled = values("worker.enabled");
  const template = new HelmTemplate(scope, "worker", { file: "worker.yaml", source: SOURCE });
  new HelmObject(template, "deployment", {
    condition: enabled,
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata({ suffix: "worker", component: "worker" }),
    spec: {
      replicas: tpl.int(values("worker.replicaCount")),
      ...appDeploymentSpec("worker", {
        container: { name: "worker", args: ["worker"] },
        // No traffic to drain: stop taking jobs at once on SIGTERM.
        env: [{ name: "SHUTDOWN_DRAIN_DELAY_MS", value: "0" }],
        resources: values("worker.resources"),
        terminationGracePeriodSeconds: WORKER_GRACE_SECONDS,
      }),
    },
  });
  // Only for scraping: the ServiceMonitor selects Services.
  clusterIpService(template, { condition: enabled, component: "worker", port: CONTAINER_PORT, portName: "http" });
}

/**
 * `migrate` as a Helm hook Job, before every upgrade and at install (pre- or post-install, see
 * `otp-service.migrationHook`). Its settings are inline, not from the ConfigMap, which does not exist
 * yet when it runs pre-install.
 */
export function migrationJob(scope: Construct): void {
  const template = new HelmTemplate(scope, "migrate", { file: "migrate-job.yaml", source: SOURCE });
  new HelmObject(template, "job", {
    condition: values("migrations.enabled"),
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: metadata({
      suffix: "migrate",
      component: "migrate",
      annotations: {
        "helm.sh/hook": tpl.expr(include("migrationHook")),
        "helm.sh/hook-weight": "0",
        // A failed Job stays for inspection until the next attempt replaces it.
        "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
      },
    }),
    spec: {
      backoffLimit: tpl.int(values("migrations.backoffLimit")),
      activeDeadlineSeconds: tpl.int(values("migrations.activeDeadlineSeconds")),
      template: {
        metadata: { labels: labels("migrate") },
        spec: serviceImagePod(
          {
            name: "migrate",
            args: ["migrate"],
            env: [
              ...MIGRATION_ENV_KEYS.map((key) => ({ name: key, value: CONFIG_ENV[key] })),
              secretEnv("OTP_SECRET"),
              secretEnv("DATABASE_URL"),
              tpl.splice(values("extraEnv")),
            ],
            resources: tpl.block(values("migrations.resources")),
          },
          { serviceAccountName: tpl.expr(include("migrationServiceAccountName")), restartPolicy: "Never" },
        ),
      },
    },
  });
}
