// The two profiles, as values files next to values.yaml. Each is checked against the values schema
// (merged over the defaults, as Helm merges it) every time the chart is generated.
import type { ValuesInput } from "./values-schema.ts";

export interface Profile {
  file: string;
  summary: string[];
  values: ValuesInput;
}

export const PROFILES: Record<"bench" | "production", Profile> = {
  bench: {
    file: "values-bench.yaml",
    summary: [
      "The benchmark environment (kind): everything in the release, the layer endpoints on, monitoring on.",
      "  helm install otp charts/otp-service -f charts/otp-service/values-bench.yaml",
    ],
    values: {
      replicaCount: 1,
      autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 4 },
      config: { layerEndpointsEnabled: true },
      // The ladder goes past the knee on purpose: /live then answers late (same event loop as the API),
      // and a restart mid-plateau would make the figure measure restarts. Liveness here fires only on a
      // process that has not answered for a minute (6 × 10 s, each allowed 10 s), i.e. a wedged one.
      probes: { liveness: { periodSeconds: 10, timeoutSeconds: 10, failureThreshold: 6 } },
      mockSms: { enabled: true },
      postgresql: { enabled: true, persistence: { size: "2Gi", deleteOnUninstall: true } },
      redis: { enabled: true, persistence: { size: "1Gi", deleteOnUninstall: true } },
      metrics: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } },
    },
  },
  production: {
    file: "values-production.yaml",
    summary: [
      "Production: external PostgreSQL and Redis, a real SMS provider, at least 3 replicas and a PDB.",
      "Create the Secret first (keys OTP_SECRET, DATABASE_URL, REDIS_URL), and replace the placeholders",
      "image.repository (registry.example.com) and config.sms.providerUrl:",
      "  kubectl create secret generic otp-service-secrets --from-literal=OTP_SECRET=… --from-literal=DATABASE_URL=… --from-literal=REDIS_URL=…",
      "  helm install otp charts/otp-service -f charts/otp-service/values-production.yaml",
    ],
    values: {
      // A full reference: a cluster has no local images. The registry is a placeholder to replace.
      image: { repository: "registry.example.com/otp-capacity-lab/otp-service" },
      replicaCount: 3,
      autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 12 },
      podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
      resources: { requests: { cpu: "500m", memory: "384Mi" }, limits: { memory: "768Mi" } },
      // The OTP API faces tenants' backends, not our own services: their traceparent is not trusted.
      config: {
        layerEndpointsEnabled: false,
        testErrorEndpointEnabled: false,
        otel: { trustInboundTraceContext: false },
        sms: { providerUrl: "https://sms-provider.example.com" },
      },
      secrets: { existingSecret: "otp-service-secrets" },
      mockSms: { enabled: false },
      postgresql: { enabled: false },
      redis: { enabled: false },
      metrics: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } },
    },
  },
};

/** Helm's merge: maps merge key by key, everything else (lists included) is replaced. */
export function mergeValues(base: unknown, override: unknown): unknown {
  if (!isMap(base) || !isMap(override)) return override === undefined ? base : override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) merged[key] = mergeValues(base[key], value);
  return merged;
}

const isMap = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);
