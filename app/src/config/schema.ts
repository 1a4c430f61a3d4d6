// The one description of every setting the service reads from its environment.
// Empty variables count as unset, so `FOO=` falls back to the default instead of failing.
import { z } from "zod";

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const milliseconds = (max: number) => integer(0, max);
const flag = z.stringbool({ truthy: ["true", "1", "yes", "on"], falsy: ["false", "0", "no", "off"] });

export const environmentSchema = z
  .object({
    NODE_ENV: z.enum(["production", "development", "test"]).default("production"),
    HOST: z.string().min(1).default("0.0.0.0"),
    PORT: integer(1, 65535).default(8080),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    ACCESS_LOG_ENABLED: flag.default(true),
    OTEL_SERVICE_NAME: z.string().min(1).default("otp-service"),
    // Head sampling, with the standard OpenTelemetry names and meaning. By default a new trace is
    // kept with probability OTEL_TRACES_SAMPLER_ARG, and a request that arrives with a traceparent
    // follows its caller's decision. Spans that are not sampled still have ids, so every log line
    // keeps its trace_id and span_id; always_on records every request (as the SDK default did).
    OTEL_TRACES_SAMPLER: z
      .enum(["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"])
      .default("parentbased_traceidratio"),
    OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(0.1),
    // A traceparent sent by a caller decides the trace id and, with a parent-based sampler, whether
    // the request is recorded. Off: every request starts its own trace and links to the caller's.
    TRUST_INBOUND_TRACE_CONTEXT: flag.default(true),

    HTTP_KEEP_ALIVE_TIMEOUT_MS: milliseconds(600_000).default(65_000),
    // Headers must arrive within HTTP_HEADERS_TIMEOUT_MS and the whole request within
    // HTTP_REQUEST_TIMEOUT_MS; an OTP request is a few hundred bytes, so both are short.
    HTTP_HEADERS_TIMEOUT_MS: integer(100, 600_000).default(5_000),
    HTTP_REQUEST_TIMEOUT_MS: integer(100, 600_000).default(10_000),
    HTTP_BODY_LIMIT_BYTES: integer(256, 1_048_576).default(16_384),

    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
      .default("postgres://otp@127.0.0.1:5432/otp"),
    PG_POOL_MAX: integer(1, 1000).default(10),
    PG_CONNECT_TIMEOUT_MS: milliseconds(60_000).default(2_000),
    PG_STATEMENT_TIMEOUT_MS: milliseconds(600_000).default(5_000),
    PG_IDLE_TIMEOUT_MS: milliseconds(3_600_000).default(30_000),

    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
      .default("redis://127.0.0.1:6379"),
    REDIS_CONNECT_TIMEOUT_MS: milliseconds(60_000).default(2_000),
    REDIS_COMMAND_TIMEOUT_MS: milliseconds(60_000).default(1_000),

    READINESS_CHECK_INTERVAL_MS: integer(100, 60_000).default(2_000),
    READINESS_CHECK_TIMEOUT_MS: integer(50, 30_000).default(1_000),
    READINESS_MAX_AGE_MS: integer(100, 300_000).default(6_000),

    SHUTDOWN_DRAIN_DELAY_MS: milliseconds(300_000).default(5_000),
    SHUTDOWN_TIMEOUT_MS: integer(100, 600_000).default(10_000),

    // Keys every OTP and phone HMAC and seals SMS jobs at rest. Required in production.
    OTP_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    // The first lockout after a tenant's max_verify_attempts failures; each further lockout of the
    // same number doubles it, up to OTP_LOCKOUT_MAX_SECONDS.
    OTP_LOCKOUT_SECONDS: integer(60, 86_400).default(900),
    OTP_LOCKOUT_MAX_SECONDS: integer(60, 604_800).default(86_400),
    TENANT_CACHE_TTL_MS: milliseconds(3_600_000).default(0),
    // Unauthenticated endpoints for benchmarks and alert drills: off unless asked for.
    LAYER_ENDPOINTS_ENABLED: flag.default(false),
    TEST_ERROR_ENDPOINT_ENABLED: flag.default(false),

    SMS_PROVIDER_URL: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).default("http://127.0.0.1:8090"),
    SMS_PROVIDER_TIMEOUT_MS: integer(50, 60_000).default(3_000),
    SMS_RETRY_BASE_MS: integer(1, 60_000).default(200),
    SMS_RETRY_MAX_MS: integer(1, 300_000).default(5_000),
    SMS_WORKER_ENABLED: flag.default(true),
    SMS_WORKER_CONCURRENCY: integer(1, 1_000).default(16),
    SMS_STREAM_KEY: z.string().min(1).default("otp:sms:jobs"),
    SMS_DEAD_LETTER_KEY: z.string().min(1).default("otp:sms:dead"),
    SMS_CONSUMER_GROUP: z.string().min(1).default("sms-workers"),
    SMS_RECLAIM_IDLE_MS: integer(100, 3_600_000).default(30_000),
    SMS_RECLAIM_INTERVAL_MS: integer(50, 600_000).default(5_000),
    // Load shedding: a send is refused (503 + Retry-After) rather than accepted when its SMS could
    // not arrive while the code is valid: the oldest job still waiting has waited more than this
    // share of the tenant's code TTL, or the backlog holds SMS_MAX_BACKLOG jobs.
    SMS_SHED_BACKLOG_AGE_RATIO: z.coerce.number().gt(0).max(1).default(0.5),
    SMS_MAX_BACKLOG: integer(1, 10_000_000).default(100_000),
    SMS_SHED_RETRY_AFTER_SECONDS: integer(1, 3_600).default(30),
    // Dead letters are trimmed (approximately) to this many entries; the send log keeps every outcome.
    SMS_DEAD_LETTER_MAX_LENGTH: integer(100, 10_000_000).default(100_000),

    SEND_LOG_BATCH_SIZE: integer(1, 10_000).default(100),
    SEND_LOG_FLUSH_INTERVAL_MS: integer(1, 60_000).default(200),
    SEND_LOG_MAX_BUFFERED: integer(1, 1_000_000).default(10_000),
  })
  .superRefine((env, context) => {
    if (env.NODE_ENV === "production" && !env.OTP_SECRET) {
      context.addIssue({ code: "custom", path: ["OTP_SECRET"], message: "is required when NODE_ENV=production" });
    }
    // Node applies headersTimeout only while it is below requestTimeout.
    if (env.HTTP_HEADERS_TIMEOUT_MS >= env.HTTP_REQUEST_TIMEOUT_MS) {
      context.addIssue({ code: "custom", path: ["HTTP_HEADERS_TIMEOUT_MS"], message: "must be below HTTP_REQUEST_TIMEOUT_MS" });
    }
    if (env.OTP_LOCKOUT_MAX_SECONDS < env.OTP_LOCKOUT_SECONDS) {
      context.addIssue({ code: "custom", path: ["OTP_LOCKOUT_MAX_SECONDS"], message: "must be at least OTP_LOCKOUT_SECONDS" });
    }
  });

export type Environment = z.input<typeof environmentSchema>;

export function toConfig(env: z.output<typeof environmentSchema>) {
  return {
    environment: env.NODE_ENV,
    serviceName: env.OTEL_SERVICE_NAME,
    log: { level: env.LOG_LEVEL, accessLog: env.ACCESS_LOG_ENABLED },
    tracing: {
      sampler: { name: env.OTEL_TRACES_SAMPLER, ratio: env.OTEL_TRACES_SAMPLER_ARG },
      trustInboundContext: env.TRUST_INBOUND_TRACE_CONTEXT,
    },
    http: {
      host: env.HOST,
      port: env.PORT,
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      bodyLimitBytes: env.HTTP_BODY_LIMIT_BYTES,
    },
    postgres: {
      url: env.DATABASE_URL,
      poolMax: env.PG_POOL_MAX,
      connectTimeoutMs: env.PG_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: env.PG_STATEMENT_TIMEOUT_MS,
      idleTimeoutMs: env.PG_IDLE_TIMEOUT_MS,
    },
    redis: {
      url: env.REDIS_URL,
      connectTimeoutMs: env.REDIS_CONNECT_TIMEOUT_MS,
      commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
    },
    readiness: {
      intervalMs: env.READINESS_CHECK_INTERVAL_MS,
      timeoutMs: env.READINESS_CHECK_TIMEOUT_MS,
      maxAgeMs: env.READINESS_MAX_AGE_MS,
    },
    shutdown: {
      drainDelayMs: env.SHUTDOWN_DRAIN_DELAY_MS,
      timeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    },
    otp: {
      // Outside production a fixed development secret keeps local runs and tests zero-config.
      secret: env.OTP_SECRET ?? "development-only-secret-never-use-in-production",
      lockoutSeconds: env.OTP_LOCKOUT_SECONDS,
      lockoutMaxSeconds: env.OTP_LOCKOUT_MAX_SECONDS,
      tenantCacheTtlMs: env.TENANT_CACHE_TTL_MS,
    },
    layerEndpointsEnabled: env.LAYER_ENDPOINTS_ENABLED,
    testErrorEndpointEnabled: env.TEST_ERROR_ENDPOINT_ENABLED,
    sms: {
      providerUrl: env.SMS_PROVIDER_URL,
      timeoutMs: env.SMS_PROVIDER_TIMEOUT_MS,
      retryBaseMs: env.SMS_RETRY_BASE_MS,
      retryMaxMs: env.SMS_RETRY_MAX_MS,
      workerEnabled: env.SMS_WORKER_ENABLED,
      concurrency: env.SMS_WORKER_CONCURRENCY,
      streamKey: env.SMS_STREAM_KEY,
      deadLetterKey: env.SMS_DEAD_LETTER_KEY,
      consumerGroup: env.SMS_CONSUMER_GROUP,
      reclaimIdleMs: env.SMS_RECLAIM_IDLE_MS,
      reclaimIntervalMs: env.SMS_RECLAIM_INTERVAL_MS,
      shedBacklogAgeRatio: env.SMS_SHED_BACKLOG_AGE_RATIO,
      maxBacklog: env.SMS_MAX_BACKLOG,
      shedRetryAfterSeconds: env.SMS_SHED_RETRY_AFTER_SECONDS,
      deadLetterMaxLength: env.SMS_DEAD_LETTER_MAX_LENGTH,
    },
    sendLog: {
      batchSize: env.SEND_LOG_BATCH_SIZE,
      flushIntervalMs: env.SEND_LOG_FLUSH_INTERVAL_MS,
      maxBuffered: env.SEND_LOG_MAX_BUFFERED,
    },
  };
}

export type Config = ReturnType<typeof toConfig>;
