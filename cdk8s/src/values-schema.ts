// The chart's values: ONE zod schema. From it come values.yaml (defaults and comments),
// values.schema.json (z.toJSONSchema, which Helm enforces on install, upgrade, template and lint),
// the values reference in the chart's README, and the check of every profile at generation time.
// Bounds of `config.*` mirror app/src/config/schema.ts; a test renders the ConfigMap and feeds it to
// the app's own schema, so the two cannot drift apart unnoticed.
import { z } from "zod";

/**
 * The app's bound on flushing traces at shutdown (TRACING_SHUTDOWN_BUDGET_MS in
 * app/src/telemetry/shutdown-budget.ts, rounded up; a test keeps the two equal). Node cannot import
 * the app's CommonJS source from here, hence the copy.
 */
export const TRACING_SHUTDOWN_BUDGET_SECONDS = 3;

const int = (min: number, max: number) => z.int().min(min).max(max);
const milliseconds = (max: number) => int(0, max);
const labels = z.record(z.string(), z.string());
const freeform = z.record(z.string(), z.unknown());
export const quantity = z.union([
  z.string().regex(/^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti|P|Pi|E|Ei)?$/, "must be a Kubernetes quantity"),
  z.number(),
]);
export const resources = z
  .strictObject({ requests: z.record(z.string(), quantity).optional(), limits: z.record(z.string(), quantity).optional() })
  .describe("Container resources (requests/limits), as in a Pod spec.");
const port = int(1, 65535);
const ports = z.array(port).min(1);

/** A tag that is never `latest` (mutable tags make rollouts irreproducible). */
export const tag = z
  .string()
  .max(128)
  .regex(/^([A-Za-z0-9_][A-Za-z0-9_.-]*)?$/, "must be a Docker tag")
  .refine((value) => value !== "latest", "must not be latest: pin a version")
  .meta({ not: { const: "latest" } });
const requiredTag = tag.refine((value) => value.length > 0, "must not be empty").meta({ minLength: 1 });

const dependencyImage = (repository: string, pinned: string) =>
  z
    .strictObject({
      repository: z.string().min(1).default(repository).describe("Image repository."),
      tag: requiredTag.default(pinned).describe("Image tag, pinned (never latest)."),
    })
    .prefault({});

const probe = (periodSeconds: number, failureThreshold: number) =>
  z
    .strictObject({
      initialDelaySeconds: int(0, 3600).default(0).describe("Seconds before the first probe."),
      periodSeconds: int(1, 3600).default(periodSeconds).describe("Seconds between probes."),
      timeoutSeconds: int(1, 3600).default(2).describe("Seconds before a probe counts as failed."),
      failureThreshold: int(1, 1000).default(failureThreshold).describe("Consecutive failures before acting."),
    })
    .prefault({});

const egressTarget = (defaultPorts: number[], what: string) =>
  z
    .strictObject({
      ports: ports.default(defaultPorts).describe(`TCP ports of ${what} when it is outside this release.`),
      to: z
        .array(freeform)
        .default([])
        .describe(`NetworkPolicy peers for ${what} when outside this release (e.g. an ipBlock); empty = any destination on those ports.`),
    })
    .prefault({});

const persistence = (size: string) =>
  z
    .strictObject({
      size: quantity.default(size).describe("Size of the PersistentVolumeClaim."),
      storageClassName: z.string().default("").describe("StorageClass; empty = the cluster default."),
      deleteOnUninstall: z
        .boolean()
        .default(false)
        .describe("Delete the PVC with the StatefulSet (persistentVolumeClaimRetentionPolicy.whenDeleted=Delete)."),
    })
    .prefault({});

/** autoscaling/v2 HPAScalingRules, checked field by field (the API would only refuse them at apply time). */
const scalingRules = z
  .strictObject({
    stabilizationWindowSeconds: int(0, 3600).optional().describe("Seconds of past recommendations considered (0–3600)."),
    selectPolicy: z.enum(["Max", "Min", "Disabled"]).optional().describe("Which policy wins; Disabled turns this direction off."),
    policies: z
      .array(
        z.strictObject({
          type: z.enum(["Pods", "Percent"]),
          value: int(1, 100_000),
          periodSeconds: int(1, 1800),
        }),
      )
      .optional()
      .describe("Scaling policies."),
    tolerance: quantity.optional().describe("Tolerance (Kubernetes ≥ 1.33, HPAConfigurableTolerance)."),
  })
  .optional();
const hpaBehavior = z.strictObject({ scaleUp: scalingRules, scaleDown: scalingRules });

/** A user or group id; null unsets it (OpenShift's restricted SCC assigns its own from the namespace's range). */
const optionalId = (defaultId: number | null, what: string) =>
  int(1, 2_147_483_647).nullable().default(defaultId).describe(`${what}; null = unset (e.g. OpenShift assigns it).`);

export const valuesSchema = z
  .strictObject({
    global: freeform.optional().describe("Reserved by Helm for parent charts; unused."),
    nameOverride: z.string().max(40).default("").describe("Replaces the chart name in object names."),
    fullnameOverride: z.string().max(40).default("").describe("Replaces <release>-<chart> in object names."),
    partOf: z.string().min(1).max(63).default("otp-capacity-lab").describe("The app.kubernetes.io/part-of label."),
    commonLabels: labels.default({}).describe("Extra labels on every object."),

    image: z
      .strictObject({
        repository: z
          .string()
          .min(1)
          .default("otp-capacity-lab/otp-service")
          .describe("The service image (serve, worker, migrate, mock-sms)."),
        tag: tag.default("").describe("Image tag; empty = the chart's appVersion. Never latest."),
        digest: z
          .string()
          .regex(/^(sha256:[a-f0-9]{64})?$/, "must be sha256:<64 hex>")
          .default("")
          .describe("Optional digest (sha256:…), appended to the tag."),
        pullPolicy: z.enum(["IfNotPresent", "Always", "Never"]).default("IfNotPresent").describe("imagePullPolicy for every container."),
        node: z
          .string()
          .min(1)
          .default("node")
          .describe("The Node.js binary inside the image, used by the helm test Pod (the image has no shell or curl)."),
      })
      .prefault({}),
    imagePullSecrets: z
      .array(z.strictObject({ name: z.string().min(1) }))
      .default([])
      .describe("Pull secrets for every Pod."),
    serviceAccount: z
      .strictObject({
        create: z.boolean().default(true).describe("Create a ServiceAccount for the release (no API token is mounted)."),
        name: z.string().default("").describe("Its name; empty = the release's full name (or `default` when create=false)."),
        annotations: labels.default({}).describe("Annotations, e.g. for workload identity."),
      })
      .prefault({}),

    replicaCount: int(0, 1000).default(2).describe("Replicas of the HTTP service when autoscaling is off."),
    minReadySeconds: int(0, 3600)
      .default(5)
      .describe(
        "minReadySeconds of the service and worker Deployments: a new Pod counts as available (and the rollout moves on) only after staying Ready this long.",
      ),
    autoscaling: z
      .strictObject({
        enabled: z.boolean().default(true).describe("HorizontalPodAutoscaler (autoscaling/v2) for the HTTP service."),
        minReplicas: int(1, 1000).default(2).describe("Lower bound."),
        maxReplicas: int(1, 1000).default(6).describe("Upper bound."),
        cpu: z
          .strictObject({
            enabled: z.boolean().default(true).describe("Scale on CPU utilisation (of the requests)."),
            averageUtilization: int(1, 1000).default(70).describe("Target CPU utilisation, percent of the request."),
          })
          .prefault({}),
        requestRate: z
          .strictObject({
            enabled: z
              .boolean()
              .default(false)
              .describe("Also scale on the Pods metric http_server_requests_per_second (needs prometheus-adapter)."),
            averageValue: quantity.default("100").describe("Target requests per second per Pod."),
          })
          .prefault({}),
        behavior: hpaBehavior.default({}).describe("HPA behavior (scaleUp/scaleDown), as in autoscaling/v2; empty = the API's defaults."),
      })
      .prefault({}),
    podDisruptionBudget: z
      .strictObject({
        enabled: z.boolean().default(true).describe("Create a PDB, only ever when the (minimum) replica count is above 1."),
        maxUnavailable: z
          .union([int(1, 1000), z.string().regex(/^([1-9][0-9]?|100)%$/, "must be a percentage from 1% to 100%")])
          .default(1)
          .describe("Pods that may be down voluntarily; at least 1 (or 1%): 0 would block every node drain."),
      })
      .prefault({}),

    resources: resources.default({ requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "512Mi" } }),
    securityContext: z
      .strictObject({
        runAsUser: optionalId(10001, "UID of the service containers (never root)"),
        runAsGroup: optionalId(10001, "GID of the service containers"),
        fsGroup: optionalId(10001, "fsGroup of the service Pods"),
        fsGroupChangePolicy: z
          .enum(["", "OnRootMismatch", "Always"])
          .default("")
          .describe("fsGroupChangePolicy of the service Pods; empty = unset."),
        supplementalGroups: z.array(int(0, 2_147_483_647)).default([]).describe("supplementalGroups of the service Pods."),
        seLinuxOptions: z
          .strictObject({
            user: z.string().optional(),
            role: z.string().optional(),
            type: z.string().optional(),
            level: z.string().optional(),
          })
          .default({})
          .describe("seLinuxOptions of the service Pods; empty = unset."),
      })
      .prefault({})
      .describe(
        "Security context of the service, worker, migration and mock Pods. runAsNonRoot, seccomp RuntimeDefault, no privilege escalation, a read-only root and no capabilities are fixed.",
      ),
    probes: z
      .strictObject({
        startup: probe(2, 30).describe("Startup probe on /live: the process is up and listening."),
        liveness: probe(10, 3).describe(
          "Liveness probe on /live: restarts a wedged process (event loop blocked for good, deadlock), never one that is only slow. /live runs on the API's event loop, so under overload it answers late: the bench profile tolerates a minute.",
        ),
        readiness: probe(5, 2).describe("Readiness probe on /ready: state ready and PostgreSQL and Redis answering."),
      })
      .prefault({}),
    shutdown: z
      .strictObject({
        drainDelayMs: milliseconds(300_000)
          .default(5_000)
          .describe("Time a terminating Pod keeps serving while endpoints converge (preStop sleep, or SHUTDOWN_DRAIN_DELAY_MS)."),
        timeoutMs: int(100, 600_000)
          .default(10_000)
          .describe("SHUTDOWN_TIMEOUT_MS: budget for in-flight requests, and again for closing clients."),
        graceMarginSeconds: int(TRACING_SHUTDOWN_BUDGET_SECONDS + 1, 300)
          .default(5)
          .describe(
            `Added to the derived terminationGracePeriodSeconds. Covers the trace flush that runs last (bounded at ${TRACING_SHUTDOWN_BUDGET_SECONDS} s in the app) plus a second to exit.`,
          ),
        preStopSleep: z
          .boolean()
          .default(true)
          .describe("Drain in a native preStop sleep (then the app's own delay is 0); false = the app drains after SIGTERM."),
      })
      .prefault({}),
    topologySpread: z
      .strictObject({
        enabled: z.boolean().default(true).describe("Spread service Pods over the topology keys."),
        maxSkew: int(1, 100).default(1).describe("maxSkew of each constraint."),
        whenUnsatisfiable: z
          .enum(["ScheduleAnyway", "DoNotSchedule"])
          .default("ScheduleAnyway")
          .describe("whenUnsatisfiable of each constraint."),
        topologyKeys: z
          .array(z.string().min(1))
          .default(["topology.kubernetes.io/zone", "kubernetes.io/hostname"])
          .describe("One constraint per key."),
      })
      .prefault({}),
    podAnnotations: labels.default({}).describe("Extra annotations on the service and worker Pods."),
    podLabels: labels.default({}).describe("Extra labels on the service and worker Pods."),
    nodeSelector: labels.default({}).describe("nodeSelector for every Pod."),
    tolerations: z.array(freeform).default([]).describe("Tolerations for every Pod."),
    affinity: freeform.default({}).describe("Affinity for the service and worker Pods."),
    priorityClassName: z.string().default("").describe("PriorityClass of the service and worker Pods."),

    service: z
      .strictObject({
        type: z.enum(["ClusterIP", "NodePort", "LoadBalancer"]).default("ClusterIP").describe("Service type."),
        port: port.default(8080).describe("Service port (the container listens on 8080)."),
        annotations: labels.default({}).describe("Service annotations."),
      })
      .prefault({}),

    config: z
      .strictObject({
        logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info").describe("LOG_LEVEL"),
        accessLogEnabled: z.boolean().default(true).describe("ACCESS_LOG_ENABLED"),
        layerEndpointsEnabled: z
          .boolean()
          .default(false)
          .describe("LAYER_ENDPOINTS_ENABLED: the benchmark's /layers/* endpoints. Never in production."),
        testErrorEndpointEnabled: z
          .boolean()
          .default(false)
          .describe("TEST_ERROR_ENDPOINT_ENABLED: /test-error, which anyone can call to fire error alerts. Never in production."),
        http: z
          .strictObject({
            keepAliveTimeoutMs: milliseconds(600_000).default(65_000).describe("HTTP_KEEP_ALIVE_TIMEOUT_MS"),
            headersTimeoutMs: int(100, 600_000).default(5_000).describe("HTTP_HEADERS_TIMEOUT_MS (below requestTimeoutMs)"),
            requestTimeoutMs: int(100, 600_000).default(10_000).describe("HTTP_REQUEST_TIMEOUT_MS"),
            bodyLimitBytes: int(256, 1_048_576).default(16_384).describe("HTTP_BODY_LIMIT_BYTES"),
          })
          .prefault({}),
        postgres: z
          .strictObject({
            poolMax: int(1, 1000).default(10).describe("PG_POOL_MAX (per Pod; plus 3 for the health and send-log pools)"),
            connectTimeoutMs: milliseconds(60_000).default(2_000).describe("PG_CONNECT_TIMEOUT_MS"),
            statementTimeoutMs: milliseconds(600_000).default(5_000).describe("PG_STATEMENT_TIMEOUT_MS"),
            idleTimeoutMs: milliseconds(3_600_000).default(30_000).describe("PG_IDLE_TIMEOUT_MS"),
          })
          .prefault({}),
        redis: z
          .strictObject({
            connectTimeoutMs: milliseconds(60_000).default(2_000).describe("REDIS_CONNECT_TIMEOUT_MS"),
            commandTimeoutMs: milliseconds(60_000).default(1_000).describe("REDIS_COMMAND_TIMEOUT_MS"),
          })
          .prefault({}),
        readiness: z
          .strictObject({
            checkIntervalMs: int(100, 60_000).default(2_000).describe("READINESS_CHECK_INTERVAL_MS"),
            checkTimeoutMs: int(50, 30_000).default(1_000).describe("READINESS_CHECK_TIMEOUT_MS"),
            maxAgeMs: int(100, 300_000).default(6_000).describe("READINESS_MAX_AGE_MS"),
          })
          .prefault({}),
        otp: z
          .strictObject({
            lockoutSeconds: int(60, 86_400).default(900).describe("OTP_LOCKOUT_SECONDS (the first lockout; each further one doubles)"),
            lockoutMaxSeconds: int(60, 604_800).default(86_400).describe("OTP_LOCKOUT_MAX_SECONDS"),
            tenantCacheTtlMs: milliseconds(3_600_000).default(0).describe("TENANT_CACHE_TTL_MS (0 = no cache)"),
          })
          .prefault({}),
        sms: z
          .strictObject({
            providerUrl: z
              .union([z.literal(""), z.url({ protocol: /^https?$/ })])
              .default("")
              .describe("SMS_PROVIDER_URL; empty = the in-chart mock (mockSms.enabled), required otherwise."),
            providerTimeoutMs: int(50, 60_000).default(3_000).describe("SMS_PROVIDER_TIMEOUT_MS"),
            retryBaseMs: int(1, 60_000).default(200).describe("SMS_RETRY_BASE_MS"),
            retryMaxMs: int(1, 300_000).default(5_000).describe("SMS_RETRY_MAX_MS"),
            workerConcurrency: int(1, 1_000).default(16).describe("SMS_WORKER_CONCURRENCY"),
            streamKey: z.string().min(1).default("otp:sms:jobs").describe("SMS_STREAM_KEY"),
            deadLetterKey: z.string().min(1).default("otp:sms:dead").describe("SMS_DEAD_LETTER_KEY"),
            consumerGroup: z.string().min(1).default("sms-workers").describe("SMS_CONSUMER_GROUP"),
            reclaimIdleMs: int(100, 3_600_000).default(30_000).describe("SMS_RECLAIM_IDLE_MS"),
            reclaimIntervalMs: int(50, 600_000).default(5_000).describe("SMS_RECLAIM_INTERVAL_MS"),
            shedBacklogAgeRatio: z
              .number()
              .gt(0)
              .max(1)
              .default(0.5)
              .describe(
                "SMS_SHED_BACKLOG_AGE_RATIO: refuse sends (503) once the oldest waiting SMS is older than this share of the code TTL",
              ),
            maxBacklog: int(1, 10_000_000).default(100_000).describe("SMS_MAX_BACKLOG"),
            shedRetryAfterSeconds: int(1, 3_600).default(30).describe("SMS_SHED_RETRY_AFTER_SECONDS"),
            deadLetterMaxLength: int(100, 10_000_000).default(100_000).describe("SMS_DEAD_LETTER_MAX_LENGTH"),
          })
          .prefault({}),
        sendLog: z
          .strictObject({
            batchSize: int(1, 10_000).default(100).describe("SEND_LOG_BATCH_SIZE"),
            flushIntervalMs: int(1, 60_000).default(200).describe("SEND_LOG_FLUSH_INTERVAL_MS"),
            maxBuffered: int(1, 1_000_000).default(10_000).describe("SEND_LOG_MAX_BUFFERED"),
          })
          .prefault({}),
        otel: z
          .strictObject({
            serviceName: z.string().min(1).default("otp-service").describe("OTEL_SERVICE_NAME (the worker appends -worker)"),
            exporterOtlpEndpoint: z
              .union([z.literal(""), z.url({ protocol: /^https?$/ })])
              .default("")
              .describe("OTEL_EXPORTER_OTLP_ENDPOINT (OTLP/HTTP); empty = no export."),
            tracesSampler: z
              .string()
              .default("")
              .describe("OTEL_TRACES_SAMPLER; empty = the service's default, parentbased_traceidratio (head sampling)."),
            tracesSamplerArg: z.string().default("").describe("OTEL_TRACES_SAMPLER_ARG; empty = the service's default ratio, 0.1."),
            trustInboundTraceContext: z
              .boolean()
              .default(true)
              .describe("TRUST_INBOUND_TRACE_CONTEXT: continue callers' traceparent (true) or start own traces linked to it (false)."),
          })
          .prefault({}),
      })
      .prefault({})
      .describe("The service's non-secret settings, rendered into a ConfigMap (one variable each, see the README)."),
    extraEnv: z
      .array(freeform)
      .default([])
      .describe("Extra env entries (EnvVar objects) for the service, worker and migration containers."),

    secrets: z
      .strictObject({
        existingSecret: z
          .string()
          .default("")
          .describe(
            "Use this Secret (keys: existingSecretKeys) instead of generating one. The safe mode under helm template (Argo CD, Flux, skaffold render); needed for a pre-install migration.",
          ),
        existingSecretKeys: z
          .strictObject({
            otpSecret: z.string().min(1).default("OTP_SECRET").describe("Key of OTP_SECRET in existingSecret."),
            databaseUrl: z.string().min(1).default("DATABASE_URL").describe("Key of DATABASE_URL in existingSecret."),
            redisUrl: z.string().min(1).default("REDIS_URL").describe("Key of REDIS_URL in existingSecret."),
          })
          .prefault({}),
        allowRandomWithoutCluster: z
          .boolean()
          .default(false)
          .describe(
            "Let a render without a cluster (helm template) put fresh random secrets in, for inspection only. Never under GitOps: every sync would rotate them.",
          ),
        otpSecret: z
          .union([z.literal(""), z.string().min(32)])
          .default("")
          .describe("OTP_SECRET (≥32 chars); empty = generated once and kept across upgrades."),
        databaseUrl: z
          .union([z.literal(""), z.string().regex(/^postgres(ql)?:\/\//)])
          .default("")
          .describe("DATABASE_URL when postgresql.enabled=false."),
        redisUrl: z
          .union([z.literal(""), z.string().regex(/^rediss?:\/\//)])
          .default("")
          .describe("REDIS_URL when redis.enabled=false."),
      })
      .prefault({}),

    migrations: z
      .strictObject({
        enabled: z.boolean().default(true).describe("Run `migrate` as a Helm hook Job."),
        hook: z
          .enum(["auto", "pre-install", "post-install"])
          .default("auto")
          .describe(
            "Install phase of the Job (it always runs pre-upgrade). auto = pre-install when the database and the Secret exist before the release (external PostgreSQL and secrets.existingSecret), post-install otherwise.",
          ),
        backoffLimit: int(0, 20).default(6).describe("Retries of the Job."),
        activeDeadlineSeconds: int(30, 86_400).default(600).describe("Deadline of the Job."),
        resources: resources.default({ requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } }),
      })
      .prefault({}),

    worker: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe(
            "A separate SMS worker Deployment (`worker`); the service then runs with SMS_WORKER_ENABLED=false. On by default: `make bench-worker-split` measures how much of a send's CPU the worker takes from the API process (the README's benchmark figures give the last run), and delivery then scales on its own. Off runs the worker inside every API pod.",
          ),
        replicaCount: int(0, 1000).default(1).describe("Worker replicas."),
        resources: resources.default({ requests: { cpu: "100m", memory: "192Mi" }, limits: { memory: "384Mi" } }),
      })
      .prefault({}),

    mockSms: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe("The mock SMS provider (`mock-sms`, port 8090). Turn off and set config.sms.providerUrl for real delivery."),
        latencyMs: int(0, 120_000).default(0).describe("MOCK_SMS_LATENCY_MS"),
        latencyJitterMs: int(0, 120_000).default(0).describe("MOCK_SMS_LATENCY_JITTER_MS"),
        errorRate: z.number().min(0).max(1).default(0).describe("MOCK_SMS_ERROR_RATE (0..1)"),
        errorStatus: int(400, 599).default(503).describe("MOCK_SMS_ERROR_STATUS"),
        maxStored: int(1, 10_000_000).default(100_000).describe("MOCK_SMS_MAX_STORED"),
        resources: resources.default({ requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } }),
      })
      .prefault({}),

    postgresql: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe("In-cluster PostgreSQL (a StatefulSet, for benchmarks). false = external, via secrets.*"),
        image: dependencyImage("postgres", "17.6-alpine"),
        auth: z
          .strictObject({
            username: z
              .string()
              .regex(/^[a-z_][a-z0-9_]{0,62}$/)
              .default("otp")
              .describe("Database user."),
            database: z
              .string()
              .regex(/^[a-z_][a-z0-9_]{0,62}$/)
              .default("otp")
              .describe("Database name."),
            password: z
              .string()
              .regex(/^[A-Za-z0-9._~-]*$/, "URL-safe characters only")
              .default("")
              .describe("Password; empty = generated once and kept across upgrades (needs a cluster: see existingSecret)."),
            existingSecret: z
              .string()
              .default("")
              .describe("Take the password from this Secret instead (then secrets.existingSecret must hold a DATABASE_URL with it)."),
            existingSecretPasswordKey: z.string().min(1).default("POSTGRES_PASSWORD").describe("Its key in existingSecret."),
          })
          .prefault({}),
        args: z.array(z.string()).default(["-c", "max_connections=200"]).describe("Extra postgres arguments."),
        resources: resources.default({ requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "1Gi" } }),
        persistence: persistence("8Gi"),
      })
      .prefault({}),

    redis: z
      .strictObject({
        enabled: z.boolean().default(true).describe("In-cluster Redis (a StatefulSet, for benchmarks). false = external, via secrets.*"),
        image: dependencyImage("redis", "7.4.5-alpine"),
        password: z
          .string()
          .regex(/^[A-Za-z0-9._~-]*$/, "URL-safe characters only")
          .default("")
          .describe("requirepass; empty = generated once and kept across upgrades (needs a cluster: see existingSecret)."),
        existingSecret: z
          .string()
          .default("")
          .describe("Take the password from this Secret instead (then secrets.existingSecret must hold a REDIS_URL with it)."),
        existingSecretPasswordKey: z.string().min(1).default("REDIS_PASSWORD").describe("Its key in existingSecret."),
        args: z.array(z.string()).default(["--appendonly", "yes", "--save", ""]).describe("Extra redis-server arguments."),
        resources: resources.default({ requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } }),
        persistence: persistence("2Gi"),
      })
      .prefault({}),

    metrics: z
      .strictObject({
        serviceMonitor: z
          .strictObject({
            enabled: z
              .boolean()
              .default(false)
              .describe("A ServiceMonitor (monitoring.coreos.com/v1) scraping /metrics; needs the Prometheus Operator CRDs."),
            interval: z
              .string()
              .regex(/^[0-9]+(ms|s|m|h)$/)
              .default("15s")
              .describe("Scrape interval."),
            scrapeTimeout: z
              .string()
              .regex(/^[0-9]+(ms|s|m|h)$/)
              .default("10s")
              .describe("Scrape timeout."),
            labels: labels.default({}).describe("Extra labels, e.g. the release label your Prometheus selects."),
          })
          .prefault({}),
        prometheusRule: z
          .strictObject({
            enabled: z.boolean().default(false).describe("A PrometheusRule with SLO burn-rate and saturation alerts; needs the CRDs."),
            labels: labels.default({}).describe("Extra labels, e.g. the release label your Prometheus selects."),
            routeRegex: z.string().min(1).default("/v1/.*").describe("Routes (templates) the SLOs cover."),
            availabilityObjective: z.number().gt(0).lt(1).default(0.999).describe("Share of requests that must not fail with 5xx."),
            latencyObjective: z
              .number()
              .gt(0)
              .lt(1)
              .default(0.99)
              .describe("Share of requests that must be faster than latencyThresholdSeconds."),
            latencyThresholdSeconds: z
              .enum(["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"])
              .default("0.25")
              .describe("A bucket boundary of http_server_request_duration_seconds."),
            eventLoopLagSeconds: z.number().positive().default(0.1).describe("Alert when nodejs_eventloop_lag_p99_seconds stays above."),
            pgPoolWaiting: z
              .number()
              .min(0)
              .default(0)
              .describe('Alert when pg_pool_connections{state="waiting"} stays above this for 5m.'),
            smsStreamLag: int(0, 100_000_000).default(1000).describe("Alert when sms_stream_lag stays above."),
            podRestarts: int(0, 1000)
              .default(0)
              .describe("Alert when the release's containers restart more often than this in 15m (needs kube-state-metrics)."),
          })
          .prefault({}),
      })
      .prefault({}),

    networkPolicy: z
      .strictObject({
        enabled: z.boolean().default(true).describe("A NetworkPolicy for the service, worker and migration Pods."),
        ingressFrom: z
          .array(freeform)
          .default([])
          .describe(
            "Clients allowed to reach port 8080; empty = any Pod in the cluster (namespaceSelector: {}). metricsFrom and loadGeneratorsFrom are added either way.",
          ),
        metricsFrom: z
          .array(freeform)
          .default([{ namespaceSelector: {}, podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } } }])
          .describe(
            "Scrapers of /metrics (port 8080, shared with the API), always admitted: Prometheus Operator's Prometheus Pods by default.",
          ),
        loadGeneratorsFrom: z
          .array(freeform)
          .default([{ namespaceSelector: {}, podSelector: { matchLabels: { app: "k6" } } }])
          .describe(
            "Load generators, always admitted to port 8080 and to the mock SMS provider (they read codes from its /messages): k6-operator's Pods by default.",
          ),
        postgresqlFrom: z
          .array(freeform)
          .default([{ podSelector: { matchLabels: { "app.kubernetes.io/name": "otp-operator" } } }])
          .describe(
            "Peers admitted to the in-cluster PostgreSQL besides the release's service, worker and migration Pods: the otp-operator in the namespace by default.",
          ),
        egress: z
          .strictObject({
            dns: z
              .strictObject({
                enabled: z.boolean().default(true).describe("Allow DNS (53/UDP+TCP)."),
                to: z
                  .array(freeform)
                  .default([
                    {
                      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
                      podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                    },
                  ])
                  .describe("Where DNS lives."),
              })
              .prefault({}),
            postgresql: egressTarget([5432], "PostgreSQL"),
            redis: egressTarget([6379], "Redis"),
            smsProvider: egressTarget([443], "the SMS provider"),
            otlp: egressTarget([4318], "the OTLP collector (only when config.otel.exporterOtlpEndpoint is set)"),
            extra: z.array(freeform).default([]).describe("Extra egress rules, as in the API."),
          })
          .prefault({}),
      })
      .prefault({}),

    dashboards: z
      .strictObject({
        enabled: z.boolean().default(true).describe("One ConfigMap per dashboards/*.json in the chart, for Grafana's sidecar."),
        label: z.string().min(1).default("grafana_dashboard").describe("The label Grafana's sidecar watches."),
        labelValue: z.string().default("1").describe("Its value."),
        annotations: labels.default({}).describe("Annotations, e.g. grafana_folder."),
      })
      .prefault({}),

    tests: z
      .strictObject({
        enabled: z.boolean().default(true).describe("The `helm test` Pod: /ready and /health through the Service."),
      })
      .prefault({}),
  })
  .meta({ title: "otp-service chart values" });

export type Values = z.output<typeof valuesSchema>;
export type ValuesInput = z.input<typeof valuesSchema>;

/** The defaults, as values.yaml holds them. */
export function defaultValues(): Values {
  return valuesSchema.parse({});
}

/** values.schema.json: draft-07, which every Helm 3 validates. Defaults are dropped (values.yaml holds them). */
export function valuesJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(valuesSchema, { target: "draft-07", io: "input" }) as Record<string, unknown>;
  return stripDefaults(schema) as Record<string, unknown>;
}

export function stripDefaults(node: unknown, isPropertyMap = false): unknown {
  if (Array.isArray(node)) return node.map((child) => stripDefaults(child));
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key]) => isPropertyMap || key !== "default")
      .map(([key, value]) => [key, stripDefaults(value, !isPropertyMap && key === "properties")]),
  );
}
