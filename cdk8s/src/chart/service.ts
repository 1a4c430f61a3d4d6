// The HTTP service: its ServiceAccount, ConfigMap, Secret, Deployment, Service, HPA and PDB.
import type { Construct } from "constructs";
import { include, tpl, values } from "../helm.ts";
import {
  CONFIG_ENV,
  CONTAINER_PORT,
  checksumAnnotations,
  DRAIN_SECONDS,
  HTTP_GRACE_SECONDS,
  httpProbe,
  labels,
  metadata,
  name,
  nameExpr,
  PRESTOP_SLEEP_CONDITION,
  podPlacement,
  SECRET_ENV,
  selectorLabels,
  serviceImagePod,
} from "./common.ts";
import { HelmObject, HelmTemplate } from "./template.ts";

const SOURCE = "cdk8s/src/chart/service.ts";

export function serviceAccount(scope: Construct): void {
  const template = new HelmTemplate(scope, "serviceaccount", { file: "serviceaccount.yaml", source: SOURCE });
  new HelmObject(template, "serviceaccount", {
    condition: values("serviceAccount.create"),
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: {
      ...metadata({ component: "server" }),
      name: tpl.expr(include("serviceAccountName")),
      annotations: tpl.optional(values("serviceAccount.annotations")),
    },
    automountServiceAccountToken: false,
  });
}

export function configMap(scope: Construct): void {
  const template = new HelmTemplate(scope, "configmap", { file: "configmap.yaml", source: SOURCE });
  new HelmObject(template, "configmap", {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: metadata({ component: "server" }),
    data: CONFIG_ENV,
  });
}

// Passwords are generated once (or taken from values) and kept across upgrades by looking up the
// live Secret; each is computed once per render, so DATABASE_URL and POSTGRES_PASSWORD agree. A
// generated value that lookup cannot keep fails the render (otp-service.persistedSecret). With an
// existingSecret for each, nothing is generated and no Secret is rendered.
const persisted = (secret: string, key: string, value: string, field: string, existing: string) =>
  `include "otp-service.persistedSecret" (dict "ctx" $ "secret" (${secret}) "key" "${key}" "value" ${value} "field" "${field}" "existing" "${existing}")`;

const OWN_PASSWORD = (component: string, existing: string) => `and ${values(`${component}.enabled`)} (not ${values(existing)})`;

export function secrets(scope: Construct): void {
  const appSecret = `not ${values("secrets.existingSecret")}`;
  const template = new HelmTemplate(scope, "secret", {
    file: "secret.yaml",
    source: SOURCE,
    prelude: [
      // The app Secret's URLs carry the passwords: a password the chart cannot read needs URLs the user writes.
      `{{- if and ${values("postgresql.enabled")} ${values("postgresql.auth.existingSecret")} (${appSecret}) }}`,
      `{{- fail "postgresql.auth.existingSecret needs secrets.existingSecret too (with a DATABASE_URL carrying that password): the chart cannot read a password it does not manage" }}`,
      "{{- end }}",
      `{{- if and ${values("redis.enabled")} ${values("redis.existingSecret")} (${appSecret}) }}`,
      `{{- fail "redis.existingSecret needs secrets.existingSecret too (with a REDIS_URL carrying that password): the chart cannot read a password it does not manage" }}`,
      "{{- end }}",
      `{{- if and ${values("secrets.existingSecret")} ${values("postgresql.enabled")} (not ${values("postgresql.auth.existingSecret")}) (not ${values("postgresql.auth.password")}) }}`,
      `{{- fail "secrets.existingSecret with the in-cluster PostgreSQL needs postgresql.auth.existingSecret (or auth.password): its DATABASE_URL must carry a password known in advance" }}`,
      "{{- end }}",
      `{{- if and ${values("secrets.existingSecret")} ${values("redis.enabled")} (not ${values("redis.existingSecret")}) (not ${values("redis.password")}) }}`,
      `{{- fail "secrets.existingSecret with the in-cluster Redis needs redis.existingSecret (or redis.password): its REDIS_URL must carry a password known in advance" }}`,
      "{{- end }}",
      `{{- $postgresPassword := "" }}`,
      `{{- if ${OWN_PASSWORD("postgresql", "postgresql.auth.existingSecret")} }}`,
      `{{- $postgresPassword = ${persisted(nameExpr("postgresql"), "POSTGRES_PASSWORD", values("postgresql.auth.password"), "The PostgreSQL password", "postgresql.auth.existingSecret and secrets.existingSecret (or postgresql.auth.password)")} }}`,
      "{{- end }}",
      `{{- $redisPassword := "" }}`,
      `{{- if ${OWN_PASSWORD("redis", "redis.existingSecret")} }}`,
      `{{- $redisPassword = ${persisted(nameExpr("redis"), "REDIS_PASSWORD", values("redis.password"), "The Redis password", "redis.existingSecret and secrets.existingSecret (or redis.password)")} }}`,
      "{{- end }}",
    ],
  });
  const secretData = (expr: string) => tpl.quote(`${expr} | b64enc`);
  new HelmObject(template, "app", {
    condition: appSecret,
    apiVersion: "v1",
    kind: "Secret",
    metadata: metadata({ component: "server" }),
    type: "Opaque",
    data: {
      OTP_SECRET: secretData(
        persisted(nameExpr(), "OTP_SECRET", values("secrets.otpSecret"), "OTP_SECRET", "secrets.existingSecret (or secrets.otpSecret)"),
      ),
      DATABASE_URL: secretData(`include "otp-service.databaseUrl" (dict "ctx" $ "password" $postgresPassword)`),
      REDIS_URL: secretData(`include "otp-service.redisUrl" (dict "ctx" $ "password" $redisPassword)`),
    },
  });
  new HelmObject(template, "postgresql", {
    condition: OWN_PASSWORD("postgresql", "postgresql.auth.existingSecret"),
    apiVersion: "v1",
    kind: "Secret",
    metadata: metadata({ suffix: "postgresql", component: "postgresql", version: values("postgresql.image.tag") }),
    type: "Opaque",
    data: { POSTGRES_PASSWORD: secretData("$postgresPassword") },
  });
  new HelmObject(template, "redis", {
    condition: OWN_PASSWORD("redis", "redis.existingSecret"),
    apiVersion: "v1",
    kind: "Secret",
    metadata: metadata({ suffix: "redis", component: "redis", version: values("redis.image.tag") }),
    type: "Opaque",
    data: { REDIS_PASSWORD: secretData("$redisPassword") },
  });
}

/** One spread constraint per configured topology key, over the Pods of one component. */
function topologySpread(component: string): Record<string, unknown> {
  return tpl.when(values("topologySpread.enabled"), {
    topologySpreadConstraints: [
      tpl.each(`$key := ${values("topologySpread.topologyKeys")}`, {
        topologyKey: tpl.expr("$key"),
        maxSkew: tpl.int(values("topologySpread.maxSkew")),
        whenUnsatisfiable: tpl.expr(values("topologySpread.whenUnsatisfiable")),
        labelSelector: { matchLabels: selectorLabels(component) },
        matchLabelKeys: ["pod-template-hash"],
      }),
    ],
  });
}

export interface AppDeploymentOptions {
  /** The container: name and args, and what else differs (lifecycle, leading env entries). */
  container: { name: string; args: string[] } & Record<string, unknown>;
  env?: unknown[];
  resources: string;
  terminationGracePeriodSeconds: string;
}

/**
 * The Deployment spec the service and the worker share (without replicas): the service image with the
 * ConfigMap, the Secret and extraEnv, probes on /live and /ready, rolled by the checksums.
 */
export function appDeploymentSpec(component: string, options: AppDeploymentOptions): Record<string, unknown> {
  return {
    revisionHistoryLimit: 5,
    minReadySeconds: tpl.int(values("minReadySeconds")),
    selector: { matchLabels: selectorLabels(component) },
    template: {
      metadata: {
        labels: { ...labels(component), ...tpl.splice(values("podLabels")) },
        annotations: { ...checksumAnnotations(["configmap.yaml", "secret.yaml"]), ...tpl.splice(values("podAnnotations")) },
      },
      spec: serviceImagePod(
        {
          ports: [{ name: "http", containerPort: CONTAINER_PORT, protocol: "TCP" }],
          envFrom: [{ configMapRef: { name: name() } }],
          env: [...(options.env ?? []), ...SECRET_ENV, tpl.splice(values("extraEnv"))],
          startupProbe: httpProbe("/live", "startup"),
          livenessProbe: httpProbe("/live", "liveness"),
          readinessProbe: httpProbe("/ready", "readiness"),
          resources: tpl.block(options.resources),
          ...options.container,
        },
        { ...podPlacement(), ...topologySpread(component), terminationGracePeriodSeconds: options.terminationGracePeriodSeconds },
      ),
    },
  };
}

export function deployment(scope: Construct): void {
  const template = new HelmTemplate(scope, "deployment", { file: "deployment.yaml", source: SOURCE });
  new HelmObject(template, "deployment", {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata({ component: "server" }),
    spec: {
      // With the HPA on, it owns the replica count; a fixed one would fight it on every upgrade.
      ...tpl.when(`not ${values("autoscaling.enabled")}`, { replicas: tpl.int(values("replicaCount")) }),
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
      ...appDeploymentSpec("server", {
        container: {
          name: "otp-service",
          args: ["serve"],
          // Endpoints drop a terminating Pod while it sleeps; SIGTERM (and the app's own
          // shutdown, with SHUTDOWN_DRAIN_DELAY_MS=0) follows.
          ...tpl.when(PRESTOP_SLEEP_CONDITION, { lifecycle: { preStop: { sleep: { seconds: tpl.expr(DRAIN_SECONDS) } } } }),
        },
        resources: values("resources"),
        terminationGracePeriodSeconds: HTTP_GRACE_SECONDS,
      }),
    },
  });
}

export function service(scope: Construct): void {
  const template = new HelmTemplate(scope, "service", { file: "service.yaml", source: SOURCE });
  new HelmObject(template, "service", {
    apiVersion: "v1",
    kind: "Service",
    metadata: { ...metadata({ component: "server" }), annotations: tpl.optional(values("service.annotations")) },
    spec: {
      type: tpl.expr(values("service.type")),
      selector: selectorLabels("server"),
      ports: [{ name: "http", port: tpl.int(values("service.port")), targetPort: "http", protocol: "TCP" }],
    },
  });
}

export function autoscaling(scope: Construct): void {
  const enabled = values("autoscaling.enabled");
  const template = new HelmTemplate(scope, "hpa", {
    file: "hpa.yaml",
    source: SOURCE,
    prelude: [
      `{{- if and ${enabled} (not ${values("autoscaling.cpu.enabled")}) (not ${values("autoscaling.requestRate.enabled")}) }}`,
      `{{- fail "autoscaling: enable autoscaling.cpu or autoscaling.requestRate (or turn autoscaling off)" }}`,
      "{{- end }}",
      `{{- if and ${enabled} (gt (int64 ${values("autoscaling.minReplicas")}) (int64 ${values("autoscaling.maxReplicas")})) }}`,
      `{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}`,
      "{{- end }}",
    ],
  });
  new HelmObject(template, "hpa", {
    condition: enabled,
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: metadata({ component: "server" }),
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: name() },
      minReplicas: tpl.int(values("autoscaling.minReplicas")),
      maxReplicas: tpl.int(values("autoscaling.maxReplicas")),
      metrics: [
        tpl.item(values("autoscaling.cpu.enabled"), {
          type: "Resource",
          resource: {
            name: "cpu",
            target: { type: "Utilization", averageUtilization: tpl.int(values("autoscaling.cpu.averageUtilization")) },
          },
        }),
        tpl.item(values("autoscaling.requestRate.enabled"), {
          type: "Pods",
          pods: {
            metric: { name: "http_server_requests_per_second" },
            target: { type: "AverageValue", averageValue: tpl.quote(values("autoscaling.requestRate.averageValue")) },
          },
        }),
      ],
      behavior: tpl.optional(values("autoscaling.behavior")),
    },
  });
}

export function disruptionBudget(scope: Construct): void {
  const template = new HelmTemplate(scope, "pdb", { file: "pdb.yaml", source: SOURCE });
  new HelmObject(template, "pdb", {
    // A PDB over a single replica would block every node drain.
    condition: `and ${values("podDisruptionBudget.enabled")} (gt (int64 (${include("minReplicas")})) 1)`,
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: metadata({ component: "server" }),
    spec: {
      maxUnavailable: tpl.expr(values("podDisruptionBudget.maxUnavailable")),
      selector: { matchLabels: selectorLabels("server") },
    },
  });
}
