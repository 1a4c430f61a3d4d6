// The otp-operator chart's values: only what an installer must choose. One zod schema gives values.yaml,
// values.schema.json (enforced by Helm on install, upgrade, template and lint) and the README's table, as
// for charts/otp-service (cdk8s/src/values-schema.ts). Everything else is a concrete value of the
// cdk8s-plus-28 constructs (operator-chart/chart.ts).
import { z } from "zod";
import { resources, stripDefaults, tag } from "../values-schema.ts";

const dnsLabel = z
  .string()
  .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$/, "must be a DNS label (or empty)")
  .max(63);

export const operatorValuesSchema = z.strictObject({
  global: z.record(z.string(), z.unknown()).optional().describe("Reserved by Helm for parent charts; unused."),
  image: z
    .strictObject({
      repository: z.string().min(1).default("otp-capacity-lab/otp-operator").describe("The operator image (operator/Dockerfile)."),
      tag: tag.default("").describe("Image tag; empty = the chart's appVersion. Never latest."),
      pullPolicy: z.enum(["IfNotPresent", "Always", "Never"]).default("IfNotPresent").describe("imagePullPolicy."),
    })
    .prefault({}),
  replicaCount: z
    .int()
    .min(1)
    .max(5)
    .default(2)
    .describe("Controller replicas. One holds the Lease and reconciles; the others stand by (leader election is always on)."),
  watchNamespace: dnsLabel
    .default("")
    .describe(
      "The one namespace whose OtpTenants and CapacityBenchmarks are reconciled (RBAC: a Role there). Empty = all namespaces (RBAC: a ClusterRole).",
    ),
  database: z
    .strictObject({
      secretName: z
        .string()
        .min(1)
        .default("otp-operator-database")
        .describe("An existing Secret (in the release's namespace) holding the PostgreSQL URL of the tenants table."),
      secretKey: z.string().min(1).default("DATABASE_URL").describe("Its key; the value is a postgres:// URL."),
    })
    .prefault({}),
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info").describe("pino log level (LOG_LEVEL)."),
  nodeOptions: z
    .string()
    .default("--max-semi-space-size=2 --max-old-space-size=96")
    .describe(
      "NODE_OPTIONS. The default keeps V8 from growing the heap during a reconcile burst: 1,000 OtpTenants reconciled at 163 MiB RSS instead of 263 MiB, no slower (operator/README.md).",
    ),
  resources: resources
    .default({ requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "768Mi" } })
    .describe("Container resources. The memory limit is above the 565 MiB measured with 1,000 OtpTenants (operator/README.md)."),
  serviceMonitor: z
    .strictObject({
      enabled: z.boolean().default(false).describe("A ServiceMonitor (monitoring.coreos.com/v1; needs the prometheus-operator CRDs)."),
      interval: z.string().default("30s").describe("Scrape interval."),
      labels: z.record(z.string(), z.string()).default({}).describe("Extra labels, e.g. the one your Prometheus selects on."),
    })
    .prefault({}),
});

export type OperatorValues = z.output<typeof operatorValuesSchema>;

export const defaultOperatorValues = (): OperatorValues => operatorValuesSchema.parse({});

export function operatorValuesJsonSchema(): Record<string, unknown> {
  return stripDefaults(z.toJSONSchema(operatorValuesSchema, { target: "draft-07", io: "input" })) as Record<string, unknown>;
}
