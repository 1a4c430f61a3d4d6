// What the benchmark environment runs beside the service: the mock SMS provider, PostgreSQL and
// Redis. Each switches off (mockSms/postgresql/redis.enabled=false) for an external one.
import type { Construct } from "constructs";
import { tpl, values } from "../helm.ts";
import { clusterIpService } from "./cluster-ip-service.ts";
import {
  containerSecurityContext,
  MOCK_SMS_PORT,
  metadata,
  nameExpr,
  PULL_POLICY,
  podBasics,
  podSecurityContext,
  selectorLabels,
  serviceImagePod,
  labels as standardLabels,
} from "./common.ts";
import { HelmObject, HelmTemplate } from "./template.ts";

const SOURCE = "cdk8s/src/chart/dependencies.ts";

/** `mock-sms`: one replica, since its inbox lives in memory. */
export function mockSms(scope: Construct): void {
  const enabled = values("mockSms.enabled");
  const template = new HelmTemplate(scope, "mock-sms", { file: "mock-sms.yaml", source: SOURCE });
  const probe = (failureThreshold: number) => ({
    httpGet: { path: "/health", port: "http" },
    periodSeconds: 10,
    timeoutSeconds: 2,
    failureThreshold,
  });
  const setting = (path: string, type?: "int") => (type ? tpl.intString : tpl.quote)(values(`mockSms.${path}`));
  new HelmObject(template, "deployment", {
    condition: enabled,
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata({ suffix: "mock-sms", component: "mock-sms" }),
    spec: {
      replicas: 1,
      revisionHistoryLimit: 3,
      strategy: { type: "Recreate" },
      selector: { matchLabels: selectorLabels("mock-sms") },
      template: {
        metadata: { labels: standardLabels("mock-sms") },
        spec: serviceImagePod(
          {
            name: "mock-sms",
            args: ["mock-sms"],
            ports: [{ name: "http", containerPort: MOCK_SMS_PORT, protocol: "TCP" }],
            env: [
              { name: "MOCK_SMS_HOST", value: "0.0.0.0" },
              { name: "MOCK_SMS_PORT", value: String(MOCK_SMS_PORT) },
              { name: "MOCK_SMS_LATENCY_MS", value: setting("latencyMs", "int") },
              { name: "MOCK_SMS_LATENCY_JITTER_MS", value: setting("latencyJitterMs", "int") },
              { name: "MOCK_SMS_ERROR_RATE", value: setting("errorRate") },
              { name: "MOCK_SMS_ERROR_STATUS", value: setting("errorStatus", "int") },
              { name: "MOCK_SMS_MAX_STORED", value: setting("maxStored", "int") },
              { name: "LOG_LEVEL", value: tpl.quote(values("config.logLevel")) },
            ],
            readinessProbe: probe(2),
            livenessProbe: probe(3),
            resources: tpl.block(values("mockSms.resources")),
          },
          { terminationGracePeriodSeconds: 15 },
        ),
      },
    },
  });
  clusterIpService(template, { condition: enabled, component: "mock-sms", port: MOCK_SMS_PORT, portName: "http" });
}

interface StatefulDependency {
  component: "postgresql" | "redis";
  port: number;
  /** UID/GID of the official alpine image's user (postgres 70:70, redis 999:1000). */
  uid: number;
  gid: number;
  dataPath: string;
  container: Record<string, unknown>;
  extraVolumes?: { name: string; mountPath: string }[];
}

/** A single-replica StatefulSet with a PVC, its Service, hardened like the service's own Pods. */
function statefulDependency(scope: Construct, spec: StatefulDependency): void {
  const { component } = spec;
  const enabled = values(`${component}.enabled`);
  const version = values(`${component}.image.tag`);
  const template = new HelmTemplate(scope, component, { file: `${component}.yaml`, source: SOURCE });
  const { uid, gid } = spec;
  const scratch = [{ name: "tmp", mountPath: "/tmp" }, ...(spec.extraVolumes ?? [])];
  clusterIpService(template, { condition: enabled, component, version, port: spec.port, portName: "tcp" });
  // The StatefulSet's governing Service: headless, so its Pod gets a stable DNS name
  // (<pod>.<fullname>-<component>-headless); clients keep using the ClusterIP Service above.
  clusterIpService(template, { condition: enabled, component, version, port: spec.port, portName: "tcp", headless: true });
  new HelmObject(template, "statefulset", {
    condition: enabled,
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: metadata({ suffix: component, component, version }),
    spec: {
      replicas: 1,
      serviceName: tpl.expr(nameExpr(`${component}-headless`)),
      selector: { matchLabels: selectorLabels(component) },
      persistentVolumeClaimRetentionPolicy: {
        whenDeleted: tpl.expr(`ternary "Delete" "Retain" ${values(`${component}.persistence.deleteOnUninstall`)}`),
        whenScaled: "Retain",
      },
      template: {
        metadata: { labels: standardLabels(component, version) },
        spec: {
          ...podBasics(),
          securityContext: podSecurityContext(uid, gid),
          terminationGracePeriodSeconds: 30,
          containers: [
            {
              name: component,
              image: tpl.quote(`printf "%s:%s" ${values(`${component}.image.repository`)} ${values(`${component}.image.tag`)}`),
              imagePullPolicy: PULL_POLICY,
              ports: [{ name: "tcp", containerPort: spec.port, protocol: "TCP" }],
              resources: tpl.block(values(`${component}.resources`)),
              securityContext: containerSecurityContext({ runAsUser: uid, runAsGroup: gid }),
              volumeMounts: [{ name: "data", mountPath: spec.dataPath }, ...scratch],
              ...spec.container,
            },
          ],
          volumes: scratch.map((volume) => ({ name: volume.name, emptyDir: {} })),
        },
      },
      // Only the immutable selector labels: a StatefulSet's claim templates cannot change later.
      volumeClaimTemplates: [
        {
          metadata: { name: "data", labels: selectorLabels(component) },
          spec: {
            accessModes: ["ReadWriteOnce"],
            storageClassName: tpl.optional(values(`${component}.persistence.storageClassName`)),
            resources: { requests: { storage: tpl.quote(values(`${component}.persistence.size`)) } },
          },
        },
      ],
    },
  });
}

/** The password's Secret: the component's existingSecret when set, else the generated one. */
const passwordFrom = (component: string) => ({
  secretKeyRef: {
    name: tpl.expr(`include "otp-service.passwordSecretName" (list $ "${component}")`),
    key: tpl.expr(`include "otp-service.passwordSecretKey" (list $ "${component}")`),
  },
});

export function postgresql(scope: Construct): void {
  const ready = [
    "pg_isready",
    "-h",
    "127.0.0.1",
    "-U",
    tpl.quote(values("postgresql.auth.username")),
    "-d",
    tpl.quote(values("postgresql.auth.database")),
  ];
  statefulDependency(scope, {
    component: "postgresql",
    port: 5432,
    uid: 70,
    gid: 70,
    dataPath: "/var/lib/postgresql/data",
    extraVolumes: [{ name: "run", mountPath: "/var/run/postgresql" }],
    container: {
      args: tpl.block(values("postgresql.args")),
      env: [
        { name: "POSTGRES_USER", value: tpl.quote(values("postgresql.auth.username")) },
        { name: "POSTGRES_DB", value: tpl.quote(values("postgresql.auth.database")) },
        { name: "POSTGRES_PASSWORD", valueFrom: passwordFrom("postgresql") },
        // A subdirectory, so the volume's lost+found does not stop initdb.
        { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" },
      ],
      startupProbe: { exec: { command: ready }, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 90 },
      readinessProbe: { exec: { command: ready }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
      livenessProbe: { exec: { command: ready }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
    },
  });
}

export function redis(scope: Construct): void {
  // REDISCLI_AUTH lets redis-cli authenticate without the password on its command line.
  const ping = { exec: { command: ["redis-cli", "ping"] } };
  statefulDependency(scope, {
    component: "redis",
    port: 6379,
    uid: 999,
    gid: 1000,
    dataPath: "/data",
    container: {
      args: ["--port", "6379", "--dir", "/data", "--requirepass", "$(REDIS_PASSWORD)", tpl.splice(values("redis.args"))],
      env: [
        { name: "REDIS_PASSWORD", valueFrom: passwordFrom("redis") },
        { name: "REDISCLI_AUTH", valueFrom: passwordFrom("redis") },
      ],
      startupProbe: { ...ping, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 30 },
      readinessProbe: { ...ping, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
      livenessProbe: { ...ping, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
    },
  });
}
