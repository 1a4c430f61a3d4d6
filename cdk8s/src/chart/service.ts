// The HTTP service: its ServiceAccount, ConfigMap, Secret, Deployment, Service, HPA and PDB.
import type { Construct } from "constructs";
import { include, tpl, values } from "../helm.ts";
import {
  CONFIG_ENV,
  CONTAINER_PORT,
  checksumAnnotations,
  containerSecurityContext,
  DRAIN_SECONDS,
  HTTP_GRACE_SECONDS,
  httpProbe,
  labels,
  metadata,
  name,
  nameExpr,
  PRESTOP_SLEEP_CONDITION,
  PULL_POLICY,
  podBasics,
  podPlacement,
  podSecurityContext,
  SECRET_ENV,
  SERVICE_GID,
  SERVICE_IMAGE,
  SERVICE_UID,
  selectorLabels,
  tmpMount,
  tmpVolume,
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
// live Secret; each is computed once per render, so DATABASE_URL and POSTGRES_PASSWORD agree.
const persisted = (secret: string, key: string, value: string) =>
  `include "otp-service.persistedSecret" (dict "ctx" $ "secret" (${secret}) "key" "${key}" "value" ${value})`;

export function secrets(scope: Construct): void {
  const template = new HelmTemplate(scope, "secret", {
    file: "secret.yaml",
    source: SOURCE,
    prelude: [
      `{{- $postgresPassword := "" }}`,
      `{{- if ${values("postgresql.enabled")} }}`,
      `{{- $postgresPassword = ${persisted(nameExpr("postgresql"), "POSTGRES_PASSWORD", values("postgresql.auth.password"))} }}`,
      "{{- end }}",
      `{{- $redisPassword := "" }}`,
      `{{- if ${values("redis.enabled")} }}`,
      `{{- $redisPassword = ${persisted(nameExpr("redis"), "REDIS_PASSWORD", values("redis.password"))} }}`,
      "{{- end }}",
    ],
  });
  const secretData = (expr: string) => tpl.quote(`${expr} | b64enc`);
  new HelmObject(template, "app", {
    condition: `not ${values("secrets.existingSecret")}`,
    apiVersion: "v1",
    kind: "Secret",
    metadata: metadata({ component: "server" }),
    type: "Opaque",
    data: {
      OTP_SECRET: secretData(persisted(nameExpr(), "OTP_SECRET", values("secrets.otpSecret"))),
      DATABASE_URL: secretData(`include "otp-service.databaseUrl" (dict "ctx" $ "password" $postgresPassword)`),
      REDIS_URL: secretData(`include "otp-service.redisUrl" (dict "ctx" $ "password" $redisPassword)`),
    },
  });
  new HelmObject(template, "postgresql", {
    condition: values("postgresql.enabled"),
    apiVersion: "v1",
    kind: "Secret",
    metadata: metadata({ suffix: "postgresql", component: "postgresql", version: values("postgresql.image.tag") }),
    type: "Opaque",
    data: { POSTGRES_PASSWORD: secretData("$postgresPassword") },
  });
  new HelmObject(template, "redis", {
    condition: values("redis.enabled"),
    apiVersion: "v1",
    kind: "Secret",
    metadata: metadata({ suffix: "redis", component: "redis", version: values("redis.image.tag") }),
    type: "Opaque",
    data: { REDIS_PASSWORD: secretData("$redisPassword") },
  });
}

/** One spread constraint per configured topology key, over the Pods of one component. */
export function topologySpread(component: string): Record<string, unknown> {
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

/** Pod metadata of the service and the worker: standard labels plus podLabels, checksums plus podAnnotations. */
export function podMetadata(component: string): Record<string, unknown> {
  return {
    labels: { ...labels(component), ...tpl.splice(values("podLabels")) },
    annotations: { ...checksumAnnotations(["configmap.yaml", "secret.yaml"]), ...tpl.splice(values("podAnnotations")) },
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
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorLabels("server") },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
      template: {
        metadata: podMetadata("server"),
        spec: {
          ...podBasics(),
          ...podPlacement(),
          ...topologySpread("server"),
          securityContext: podSecurityContext(SERVICE_UID, SERVICE_GID),
          terminationGracePeriodSeconds: HTTP_GRACE_SECONDS,
          containers: [
            {
              name: "otp-service",
              image: SERVICE_IMAGE,
              imagePullPolicy: PULL_POLICY,
              args: ["serve"],
              ports: [{ name: "http", containerPort: CONTAINER_PORT, protocol: "TCP" }],
              envFrom: [{ configMapRef: { name: name() } }],
              env: [...SECRET_ENV, tpl.splice(values("extraEnv"))],
              startupProbe: httpProbe("/live", "startup"),
              livenessProbe: httpProbe("/live", "liveness"),
              readinessProbe: httpProbe("/ready", "readiness"),
              // Endpoints drop a terminating Pod while it sleeps; SIGTERM (and the app's own
              // shutdown, with SHUTDOWN_DRAIN_DELAY_MS=0) follows.
              ...tpl.when(PRESTOP_SLEEP_CONDITION, { lifecycle: { preStop: { sleep: { seconds: tpl.expr(DRAIN_SECONDS) } } } }),
              resources: tpl.block(values("resources")),
              securityContext: containerSecurityContext(SERVICE_UID, SERVICE_GID),
              volumeMounts: [tmpMount],
            },
          ],
          volumes: [tmpVolume],
        },
      },
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
