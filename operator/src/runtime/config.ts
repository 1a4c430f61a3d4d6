// The operator's settings, parsed once from the environment: a bad value stops start-up with one line
// naming the variable, instead of a controller that fails later.
import { hostname } from "node:os";
import { z } from "zod";
import type { LeaseSettings } from "./leader-election.ts";

const seconds = (fallback: number) => z.coerce.number().positive().default(fallback);

const schema = z.object({
  /** One namespace to watch; empty watches all namespaces (needs cluster-wide RBAC). */
  WATCH_NAMESPACE: z.string().default(""),
  LEADER_ELECTION: z.enum(["true", "false"]).default("true"),
  LEASE_NAME: z.string().min(1).default("otp-operator"),
  LEASE_NAMESPACE: z.string().min(1).optional(),
  POD_NAMESPACE: z.string().min(1).optional(),
  /** Who holds the Lease: the Pod's name in a cluster, host and pid elsewhere. */
  POD_NAME: z.string().min(1).optional(),
  LEASE_DURATION_SECONDS: seconds(15),
  LEASE_RENEW_DEADLINE_SECONDS: seconds(10),
  LEASE_RETRY_PERIOD_SECONDS: seconds(2),
  METRICS_HOST: z.string().default("0.0.0.0"),
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  /** The controllers this process runs (comma-separated): otptenant, capacitybenchmark. */
  CONTROLLERS: z
    .string()
    .default("otptenant,capacitybenchmark")
    .transform((value) =>
      value
        .split(",")
        .map((name) => name.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(["otptenant", "capacitybenchmark"])).min(1)),
  /** Required by the OtpTenant controller only. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(4),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
  RESYNC_SECONDS: seconds(300),
  /** Reconciles running at once per controller (never two for the same resource). */
  CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  SHUTDOWN_TIMEOUT_SECONDS: seconds(20),
});

export interface OperatorConfig {
  watchNamespace: string | undefined;
  leaderElection: { enabled: false } | ({ enabled: true } & LeaseSettings);
  metrics: { host: string; port: number };
  controllers: { otpTenant: boolean; capacityBenchmark: boolean };
  /** Present when the OtpTenant controller runs. */
  database: { url: string; poolMax: number } | undefined;
  logLevel: string;
  resyncMs: number;
  concurrency: number;
  shutdownTimeoutMs: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  const e = parsed.data;
  if (e.LEASE_RENEW_DEADLINE_SECONDS >= e.LEASE_DURATION_SECONDS) {
    throw new Error("invalid configuration: LEASE_RENEW_DEADLINE_SECONDS must be below LEASE_DURATION_SECONDS");
  }
  const otpTenant = e.CONTROLLERS.includes("otptenant");
  if (otpTenant && !e.DATABASE_URL) {
    throw new Error("invalid configuration: DATABASE_URL: required by the otptenant controller (or leave it out of CONTROLLERS)");
  }
  return {
    watchNamespace: e.WATCH_NAMESPACE || undefined,
    leaderElection:
      e.LEADER_ELECTION === "false"
        ? { enabled: false }
        : {
            enabled: true,
            name: e.LEASE_NAME,
            namespace: e.LEASE_NAMESPACE ?? e.POD_NAMESPACE ?? e.WATCH_NAMESPACE ?? "default",
            identity: e.POD_NAME ?? `${hostname()}-${process.pid}`,
            durationMs: e.LEASE_DURATION_SECONDS * 1000,
            renewDeadlineMs: e.LEASE_RENEW_DEADLINE_SECONDS * 1000,
            retryPeriodMs: e.LEASE_RETRY_PERIOD_SECONDS * 1000,
          },
    metrics: { host: e.METRICS_HOST, port: e.METRICS_PORT },
    controllers: { otpTenant, capacityBenchmark: e.CONTROLLERS.includes("capacitybenchmark") },
    database: otpTenant && e.DATABASE_URL ? { url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX } : undefined,
    logLevel: e.LOG_LEVEL,
    resyncMs: e.RESYNC_SECONDS * 1000,
    concurrency: e.CONCURRENCY,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_SECONDS * 1000,
  };
}
