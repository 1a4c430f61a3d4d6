// The failure modes the mock injects: how long a send waits and how often it fails. Changeable at
// runtime (admin API, setFaults) and overridable per request by headers.
import { z } from "zod";

export interface Faults {
  latencyMs: number;
  latencyJitterMs: number;
  /** Probability, 0..1, that a send is answered with errorStatus instead of being accepted. */
  errorRate: number;
  errorStatus: number;
}

export const DEFAULT_FAULTS: Faults = { latencyMs: 0, latencyJitterMs: 0, errorRate: 0, errorStatus: 503 };

/** Longer than the largest SMS_PROVIDER_TIMEOUT_MS the service accepts, so every client timeout can be provoked. */
export const MAX_LATENCY_MS = 120_000;
export const ERROR_STATUS_RANGE = { min: 400, max: 599 } as const;

const latency = z.number().int("must be a whole number of milliseconds").min(0).max(MAX_LATENCY_MS);
const errorRate = z.number().min(0).max(1);
const errorStatus = z.number().int().min(ERROR_STATUS_RANGE.min).max(ERROR_STATUS_RANGE.max);

/** A partial update; unknown keys are refused so a typo never silently changes nothing. */
export const faultsPatchSchema = z.strictObject({
  latencyMs: latency.optional(),
  latencyJitterMs: latency.optional(),
  errorRate: errorRate.optional(),
  errorStatus: errorStatus.optional(),
});

export type FaultsPatch = z.infer<typeof faultsPatchSchema>;

/** Header values are strings; an empty or non-numeric one is an error, not a silent zero. */
const numericHeader = (schema: z.ZodNumber) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, "must be a non-negative number")
    .transform(Number)
    .pipe(schema)
    .optional();

export const faultHeadersSchema = z.object({
  "x-mock-latency-ms": numericHeader(latency),
  "x-mock-error-rate": numericHeader(errorRate),
  "x-mock-error-status": numericHeader(errorStatus),
});

export type FaultHeaders = z.infer<typeof faultHeadersSchema>;

export interface FaultControl {
  current(): Faults;
  update(patch: Partial<Faults>): Faults;
}

/** Throws a ZodError on an invalid value. */
export function createFaultControl(initial: Partial<Faults> = {}): FaultControl {
  let faults: Faults = applyPatch(DEFAULT_FAULTS, initial);
  return {
    current: () => ({ ...faults }),
    update(patch) {
      faults = applyPatch(faults, patch);
      return { ...faults };
    },
  };
}

function applyPatch(faults: Faults, patch: Partial<Faults>): Faults {
  const parsed = faultsPatchSchema.parse(patch);
  // An explicit `undefined` (an unset option passed through) leaves the setting as it was.
  const given = Object.entries(parsed).filter(([, value]) => value !== undefined);
  return { ...faults, ...Object.fromEntries(given) };
}

/** A latency header fixes this request's wait exactly (no jitter), so a test can rely on it. */
export function faultsForRequest(configured: Faults, headers: FaultHeaders): Faults {
  const latencyMs = headers["x-mock-latency-ms"];
  return {
    latencyMs: latencyMs ?? configured.latencyMs,
    latencyJitterMs: latencyMs === undefined ? configured.latencyJitterMs : 0,
    errorRate: headers["x-mock-error-rate"] ?? configured.errorRate,
    errorStatus: headers["x-mock-error-status"] ?? configured.errorStatus,
  };
}

export interface FaultPlan {
  delayMs: number;
  fail: boolean;
}

/** Latency is the base plus a uniform whole number of milliseconds in [0, jitter]. */
export function planFaults(faults: Faults, random: () => number): FaultPlan {
  const jitterMs = faults.latencyJitterMs > 0 ? Math.floor(random() * (faults.latencyJitterMs + 1)) : 0;
  return { delayMs: faults.latencyMs + jitterMs, fail: random() < faults.errorRate };
}
