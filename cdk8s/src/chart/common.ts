// What every object shares: names derived from the release, the standard labels, the hardened
// Pod and container settings, and the environment the service reads.
import { ceilSeconds, include, tpl, values } from "../helm.ts";

export const CONTAINER_PORT = 8080;
export const MOCK_SMS_PORT = 8090;

/** The expression for `<fullname>` or `<fullname>-<suffix>` (names always derive from the release). */
export const nameExpr = (suffix?: string): string =>
  suffix ? `include "otp-service.componentName" (list $ "${suffix}")` : include("fullname");
export const name = (suffix?: string): string => tpl.expr(nameExpr(suffix));

export const VERSION_EXPR = include("version");

/** The standard labels. `version` is a template expression (the app version unless given). */
export function labels(component: string, version = VERSION_EXPR): Record<string, unknown> {
  return {
    ...selectorLabels(component),
    "app.kubernetes.io/version": tpl.quote(version),
    "app.kubernetes.io/part-of": tpl.quote(values("partOf")),
    "app.kubernetes.io/managed-by": tpl.expr("$.Release.Service"),
    "helm.sh/chart": tpl.expr(include("chart")),
    ...tpl.splice(values("commonLabels")),
  };
}

/** The immutable subset used in selectors: name, instance, component. */
export function selectorLabels(component: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": tpl.expr(include("name")),
    "app.kubernetes.io/instance": tpl.quote("$.Release.Name"),
    "app.kubernetes.io/component": component,
  };
}

export interface MetadataOptions {
  suffix?: string;
  component: string;
  version?: string;
  /** A map, or a marker (tpl.optional) standing for one. */
  annotations?: unknown;
  extraLabels?: Record<string, unknown>;
}

export function metadata(options: MetadataOptions): Record<string, unknown> {
  return {
    name: name(options.suffix),
    namespace: tpl.expr("$.Release.Namespace"),
    labels: { ...labels(options.component, options.version), ...options.extraLabels },
    ...(options.annotations ? { annotations: options.annotations } : {}),
  };
}

/** Runs as the configured non-root UID, with the runtime's default seccomp profile. */
export function podSecurityContext(uid: string | number, gid: string | number): Record<string, unknown> {
  return { runAsNonRoot: true, runAsUser: uid, runAsGroup: gid, fsGroup: gid, seccompProfile: { type: "RuntimeDefault" } };
}

/**
 * No privilege escalation, no capabilities, nothing written outside the mounted volumes; `ids` are the user and
 * group (fixed for PostgreSQL and Redis, from values for the service image).
 */
export function containerSecurityContext(ids: Record<string, unknown>): Record<string, unknown> {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    ...ids,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** An id of `securityContext.*`, written only when set (null unsets it, e.g. for OpenShift's assigned UIDs). */
const optionalId = (key: string) => tpl.when(values(`securityContext.${key}`), { [key]: tpl.int(values(`securityContext.${key}`)) });

/** The Pod security context of the service image's Pods: fixed hardening, ids and extensions from values. */
export function servicePodSecurityContext(): Record<string, unknown> {
  return {
    runAsNonRoot: true,
    ...optionalId("runAsUser"),
    ...optionalId("runAsGroup"),
    ...optionalId("fsGroup"),
    ...tpl.when(values("securityContext.fsGroupChangePolicy"), {
      fsGroupChangePolicy: tpl.expr(values("securityContext.fsGroupChangePolicy")),
    }),
    supplementalGroups: tpl.optional(values("securityContext.supplementalGroups")),
    seLinuxOptions: tpl.optional(values("securityContext.seLinuxOptions")),
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Pod-spec fields every Pod of the release shares. */
export function podBasics(): Record<string, unknown> {
  return {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    serviceAccountName: tpl.expr(include("serviceAccountName")),
    imagePullSecrets: tpl.optional(values("imagePullSecrets")),
    nodeSelector: tpl.optional(values("nodeSelector")),
    tolerations: tpl.optional(values("tolerations")),
  };
}

/** Scheduling settings of the service and worker Pods. */
export function podPlacement(): Record<string, unknown> {
  return {
    affinity: tpl.optional(values("affinity")),
    ...tpl.when(values("priorityClassName"), { priorityClassName: tpl.expr(values("priorityClassName")) }),
  };
}

export const PULL_POLICY = tpl.expr(values("image.pullPolicy"));

/** The Pod spec of one container of the service image: hardened, /tmp its only writable path. `pod` adds Pod-spec fields. */
export function serviceImagePod(container: { name: string } & Record<string, unknown>, pod: Record<string, unknown> = {}) {
  return {
    ...podBasics(),
    securityContext: servicePodSecurityContext(),
    ...pod,
    containers: [
      {
        image: tpl.quote(include("image")),
        imagePullPolicy: PULL_POLICY,
        ...container,
        securityContext: containerSecurityContext({ ...optionalId("runAsUser"), ...optionalId("runAsGroup") }),
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
      },
    ],
    volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
  };
}

const SECRET_KEY_VALUES: Record<string, string> = { OTP_SECRET: "otpSecret", DATABASE_URL: "databaseUrl", REDIS_URL: "redisUrl" };
/** The key in secrets.existingSecret when set (secrets.existingSecretKeys), else the generated Secret's. */
const secretKey = (key: string) =>
  tpl.expr(
    `ternary ${values(`secrets.existingSecretKeys.${SECRET_KEY_VALUES[key]}`)} "${key}" (ne ${values("secrets.existingSecret")} "")`,
  );
export const secretEnv = (key: string) => ({
  name: key,
  valueFrom: { secretKeyRef: { name: tpl.expr(include("secretName")), key: secretKey(key) } },
});
export const SECRET_ENV = [secretEnv("OTP_SECRET"), secretEnv("DATABASE_URL"), secretEnv("REDIS_URL")];

// Shutdown arithmetic, in one place. The app's sequence after SIGTERM: drain delay, then up to
// SHUTDOWN_TIMEOUT_MS for in-flight requests, then up to SHUTDOWN_TIMEOUT_MS again to stop
// background work and close clients (app/src/lifecycle/graceful-shutdown.ts). The grace period
// covers all three plus a margin, whether the drain happens in the preStop sleep or in the app.

/** Whether the drain runs as a native preStop sleep (Kubernetes ≥ 1.30) rather than in the app. */
export const PRESTOP_SLEEP_CONDITION = `and ${values("shutdown.preStopSleep")} (gt (int64 ${values("shutdown.drainDelayMs")}) 0)`;
export const DRAIN_SECONDS = ceilSeconds(values("shutdown.drainDelayMs"));
const TIMEOUT_SECONDS = ceilSeconds(values("shutdown.timeoutMs"));

/** SHUTDOWN_DRAIN_DELAY_MS for the HTTP Pods: 0 when the preStop sleep already drained. */
function shutdownDrainDelayMsExpr(): string {
  return `ternary "0" (toString (int64 ${values("shutdown.drainDelayMs")})) (${PRESTOP_SLEEP_CONDITION})`;
}

/** terminationGracePeriodSeconds of the HTTP Pods: drain + 2 × timeout + margin, each rounded up. */
export const HTTP_GRACE_SECONDS = tpl.expr(
  `add ${DRAIN_SECONDS} (mul 2 ${TIMEOUT_SECONDS}) (int64 ${values("shutdown.graceMarginSeconds")})`,
);
/** The worker has nothing to drain: 2 × timeout + margin. */
export const WORKER_GRACE_SECONDS = tpl.expr(`add (mul 2 ${TIMEOUT_SECONDS}) (int64 ${values("shutdown.graceMarginSeconds")})`);

const text = (path: string) => tpl.quote(values(path));
const integer = (path: string) => tpl.intString(values(path));
const fixed = (value: string) => value;

/**
 * Every non-secret variable of app/src/config/schema.ts, as the ConfigMap holds it. OTP_SECRET,
 * DATABASE_URL and REDIS_URL come from the Secret. A test checks this list against the app's schema.
 */
export const CONFIG_ENV: Record<string, string> = {
  NODE_ENV: fixed("production"),
  HOST: fixed("0.0.0.0"),
  PORT: fixed(String(CONTAINER_PORT)),
  LOG_LEVEL: text("config.logLevel"),
  ACCESS_LOG_ENABLED: text("config.accessLogEnabled"),
  OTEL_SERVICE_NAME: text("config.otel.serviceName"),
  OTEL_EXPORTER_OTLP_ENDPOINT: text("config.otel.exporterOtlpEndpoint"),
  OTEL_TRACES_SAMPLER: text("config.otel.tracesSampler"),
  OTEL_TRACES_SAMPLER_ARG: text("config.otel.tracesSamplerArg"),
  TRUST_INBOUND_TRACE_CONTEXT: text("config.otel.trustInboundTraceContext"),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: integer("config.http.keepAliveTimeoutMs"),
  HTTP_HEADERS_TIMEOUT_MS: integer("config.http.headersTimeoutMs"),
  HTTP_REQUEST_TIMEOUT_MS: integer("config.http.requestTimeoutMs"),
  HTTP_BODY_LIMIT_BYTES: integer("config.http.bodyLimitBytes"),
  PG_POOL_MAX: integer("config.postgres.poolMax"),
  PG_CONNECT_TIMEOUT_MS: integer("config.postgres.connectTimeoutMs"),
  PG_STATEMENT_TIMEOUT_MS: integer("config.postgres.statementTimeoutMs"),
  PG_IDLE_TIMEOUT_MS: integer("config.postgres.idleTimeoutMs"),
  REDIS_CONNECT_TIMEOUT_MS: integer("config.redis.connectTimeoutMs"),
  REDIS_COMMAND_TIMEOUT_MS: integer("config.redis.commandTimeoutMs"),
  READINESS_CHECK_INTERVAL_MS: integer("config.readiness.checkIntervalMs"),
  READINESS_CHECK_TIMEOUT_MS: integer("config.readiness.checkTimeoutMs"),
  READINESS_MAX_AGE_MS: integer("config.readiness.maxAgeMs"),
  // The drain happens in the preStop sleep unless that is off (see shutdownDrainDelayMs).
  SHUTDOWN_DRAIN_DELAY_MS: tpl.quote(shutdownDrainDelayMsExpr()),
  SHUTDOWN_TIMEOUT_MS: integer("shutdown.timeoutMs"),
  OTP_LOCKOUT_SECONDS: integer("config.otp.lockoutSeconds"),
  OTP_LOCKOUT_MAX_SECONDS: integer("config.otp.lockoutMaxSeconds"),
  TENANT_CACHE_TTL_MS: integer("config.otp.tenantCacheTtlMs"),
  LAYER_ENDPOINTS_ENABLED: text("config.layerEndpointsEnabled"),
  TEST_ERROR_ENDPOINT_ENABLED: text("config.testErrorEndpointEnabled"),
  SMS_PROVIDER_URL: tpl.quote(include("smsProviderUrl")),
  SMS_PROVIDER_TIMEOUT_MS: integer("config.sms.providerTimeoutMs"),
  SMS_RETRY_BASE_MS: integer("config.sms.retryBaseMs"),
  SMS_RETRY_MAX_MS: integer("config.sms.retryMaxMs"),
  // A separate worker Deployment takes the stream; the HTTP Pods then only enqueue.
  SMS_WORKER_ENABLED: tpl.quote(`ternary "false" "true" ${values("worker.enabled")}`),
  SMS_WORKER_CONCURRENCY: integer("config.sms.workerConcurrency"),
  SMS_STREAM_KEY: text("config.sms.streamKey"),
  SMS_DEAD_LETTER_KEY: text("config.sms.deadLetterKey"),
  SMS_CONSUMER_GROUP: text("config.sms.consumerGroup"),
  SMS_RECLAIM_IDLE_MS: integer("config.sms.reclaimIdleMs"),
  SMS_RECLAIM_INTERVAL_MS: integer("config.sms.reclaimIntervalMs"),
  SMS_SHED_BACKLOG_AGE_RATIO: text("config.sms.shedBacklogAgeRatio"),
  SMS_MAX_BACKLOG: integer("config.sms.maxBacklog"),
  SMS_SHED_RETRY_AFTER_SECONDS: integer("config.sms.shedRetryAfterSeconds"),
  SMS_DEAD_LETTER_MAX_LENGTH: integer("config.sms.deadLetterMaxLength"),
  SEND_LOG_BATCH_SIZE: integer("config.sendLog.batchSize"),
  SEND_LOG_FLUSH_INTERVAL_MS: integer("config.sendLog.flushIntervalMs"),
  SEND_LOG_MAX_BUFFERED: integer("config.sendLog.maxBuffered"),
};

/** The variables the `migrate` command reads (the Job cannot rely on the ConfigMap existing yet). */
export const MIGRATION_ENV_KEYS = [
  "NODE_ENV",
  "LOG_LEVEL",
  "OTEL_SERVICE_NAME",
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_TRACES_SAMPLER",
  "OTEL_TRACES_SAMPLER_ARG",
  "PG_CONNECT_TIMEOUT_MS",
  "PG_STATEMENT_TIMEOUT_MS",
  "PG_IDLE_TIMEOUT_MS",
];

/** An HTTP probe on the named container port, with timings from `probes.<kind>`. */
export function httpProbe(path: string, kind: "startup" | "liveness" | "readiness"): Record<string, unknown> {
  const timing = (field: string) => tpl.int(values(`probes.${kind}.${field}`));
  return {
    httpGet: { path, port: "http" },
    initialDelaySeconds: timing("initialDelaySeconds"),
    periodSeconds: timing("periodSeconds"),
    timeoutSeconds: timing("timeoutSeconds"),
    failureThreshold: timing("failureThreshold"),
  };
}

/** Annotations that roll the Pods when their configuration changes. */
export function checksumAnnotations(files: string[]): Record<string, unknown> {
  return Object.fromEntries(
    files.map((file) => [
      `checksum/${file.replace(/\.yaml$/, "")}`,
      tpl.quote(`include (print $.Template.BasePath "/${file}") $ | sha256sum`),
    ]),
  );
}
