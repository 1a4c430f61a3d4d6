// The standalone mock's settings, read from the environment once. Empty variables count as unset,
// as in the service's own configuration.
import { z } from "zod";
import { ConfigError } from "../config/load-config";
import { DEFAULT_FAULTS, ERROR_STATUS_RANGE, type Faults, MAX_LATENCY_MS } from "./faults";

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const environmentSchema = z.object({
  MOCK_SMS_HOST: z.string().min(1).default("127.0.0.1"),
  MOCK_SMS_PORT: integer(0, 65535).default(8090),
  MOCK_SMS_LATENCY_MS: integer(0, MAX_LATENCY_MS).default(DEFAULT_FAULTS.latencyMs),
  MOCK_SMS_LATENCY_JITTER_MS: integer(0, MAX_LATENCY_MS).default(DEFAULT_FAULTS.latencyJitterMs),
  MOCK_SMS_ERROR_RATE: z.coerce.number().min(0).max(1).default(DEFAULT_FAULTS.errorRate),
  MOCK_SMS_ERROR_STATUS: integer(ERROR_STATUS_RANGE.min, ERROR_STATUS_RANGE.max).default(DEFAULT_FAULTS.errorStatus),
  MOCK_SMS_MAX_STORED: integer(1, 10_000_000).default(100_000),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export interface MockSmsConfig {
  host: string;
  port: number;
  faults: Faults;
  maxStored: number;
  logLevel: string;
}

/** Throws a ConfigError whose message is one line naming each bad variable (never its value). */
export function loadMockSmsConfig(env: NodeJS.ProcessEnv): MockSmsConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const result = environmentSchema.safeParse(present);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new ConfigError(`invalid mock SMS configuration: ${issues}`);
  }
  const settings = result.data;
  return {
    host: settings.MOCK_SMS_HOST,
    port: settings.MOCK_SMS_PORT,
    faults: {
      latencyMs: settings.MOCK_SMS_LATENCY_MS,
      latencyJitterMs: settings.MOCK_SMS_LATENCY_JITTER_MS,
      errorRate: settings.MOCK_SMS_ERROR_RATE,
      errorStatus: settings.MOCK_SMS_ERROR_STATUS,
    },
    maxStored: settings.MOCK_SMS_MAX_STORED,
    logLevel: settings.LOG_LEVEL,
  };
}
