// Opt-in comparison runs: the same scripts under two or more service configurations, one variable
// changed, in one run on one host, so their ratio is measured side by side and not across days.
import type { ServiceVariant } from "@otp-lab/local-stack/local-stack";

export type ComparisonId = "worker-split" | "telemetry";

export interface Variant extends ServiceVariant {
  id: string;
  label: string;
}

export interface ComparisonPlan {
  id: ComparisonId;
  title: string;
  /** The question the comparison answers, for the report. */
  question: string;
  /** Ladder scripts run under every variant. */
  scripts: string[];
  /** The first variant is the service's default configuration: the run's main figures come from it. */
  variants: Variant[];
}

export const COMPARISONS: Record<ComparisonId, ComparisonPlan> = {
  "worker-split": {
    id: "worker-split",
    title: "SMS worker in the API process or in its own",
    question:
      "What does running the SMS worker as its own process (SMS_WORKER_ENABLED=false + `otp-service worker`) buy the API, and what does the whole send cost across both processes?",
    scripts: ["11-send-flow"],
    variants: [
      { id: "in-process", label: "worker in the API process (SMS_WORKER_ENABLED=true)" },
      { id: "separate-worker", label: "worker as its own process (SMS_WORKER_ENABLED=false + otp-service worker)", separateWorker: true },
    ],
  },
  telemetry: {
    id: "telemetry",
    title: "The telemetry tax",
    question: "What do tracing (OpenTelemetry, default sampler) and the access log cost per request?",
    scripts: ["02-express-hello", "11-send-flow"],
    variants: [
      { id: "on", label: "tracing and access log on (the defaults)" },
      { id: "tracing-off", label: "tracing off (OTEL_SDK_DISABLED=true)", env: { OTEL_SDK_DISABLED: "true" } },
      { id: "access-log-off", label: "access log off (ACCESS_LOG_ENABLED=false)", env: { ACCESS_LOG_ENABLED: "false" } },
      {
        id: "off",
        label: "both off",
        env: { OTEL_SDK_DISABLED: "true", ACCESS_LOG_ENABLED: "false" },
      },
    ],
  },
};

export function parseComparison(value: string | undefined): ComparisonPlan | null {
  if (value === undefined || value === "" || value === "none") return null;
  if (!(value in COMPARISONS)) {
    throw new Error(`BENCH_COMPARE must be one of ${Object.keys(COMPARISONS).join(", ")} (got "${value}")`);
  }
  return COMPARISONS[value as ComparisonId];
}
