// The benchmark ladder: one script per layer, each varying one thing, with its rate steps per profile.
import type { LayerResult } from "./results.ts";

export type Profile = "smoke" | "default" | "full";

export interface ProfileTiming {
  warmupSeconds: number;
  plateauSeconds: number;
  /** Extra plateaus between the last passing and the first failing rate (0 = none). */
  refinementSteps: number;
  redisBenchmarkRequests: number;
  pgbenchSeconds: number;
}

export const PROFILE_TIMING: Record<Profile, ProfileTiming> = {
  smoke: { warmupSeconds: 1, plateauSeconds: 2, refinementSteps: 0, redisBenchmarkRequests: 20_000, pgbenchSeconds: 2 },
  default: { warmupSeconds: 4, plateauSeconds: 7, refinementSteps: 0, redisBenchmarkRequests: 100_000, pgbenchSeconds: 6 },
  full: { warmupSeconds: 15, plateauSeconds: 30, refinementSteps: 3, redisBenchmarkRequests: 500_000, pgbenchSeconds: 30 },
};

export interface LadderStep {
  script: string;
  name: string;
  layer: LayerResult["layer"];
  endpoint: string;
  /** Where the script sends its load: the service, or the bare node:http server. */
  target: "service" | "bare";
  /** Key into the baselines this layer is compared with. */
  baseline: string | null;
  expectedLatencyMs: number;
  /** Latency the endpoint adds on purpose (delayed-hello's sleep): added to the SLO's p99 for this step. */
  sloAllowanceMs?: number;
  rates: Record<Profile, number[]>;
}

const geometric = (from: number, to: number, steps: number) =>
  Array.from({ length: steps }, (_, i) => Math.round(from * (to / from) ** (i / (steps - 1))));

export const LADDER: LadderStep[] = [
  {
    script: "01-bare-node-hello",
    name: "Bare node:http hello",
    layer: "baseline",
    endpoint: "GET / (node:http, no framework)",
    target: "bare",
    baseline: null,
    expectedLatencyMs: 1,
    rates: { smoke: [50, 100], default: [1000, 2000, 3000, 4000, 5000, 6500], full: geometric(250, 10000, 11) },
  },
  {
    script: "02-express-hello",
    name: "Express hello (framework floor)",
    layer: "framework",
    endpoint: "GET /hello",
    target: "service",
    baseline: "node-http-hello",
    expectedLatencyMs: 1,
    rates: { smoke: [50, 100], default: [600, 1200, 1800, 2400, 3000, 3800], full: geometric(200, 6000, 11) },
  },
  {
    script: "03-delayed-hello",
    name: "Delayed hello, 100 ms (concurrency)",
    layer: "concurrency",
    endpoint: "GET /delayed-hello?ms=100",
    target: "service",
    baseline: null,
    expectedLatencyMs: 100,
    sloAllowanceMs: 100,
    rates: { smoke: [20, 40], default: [200, 500, 1000, 1500, 2000], full: geometric(50, 3000, 9) },
  },
  {
    script: "07-otp-code-capacity",
    name: "CPU: code + HMAC",
    layer: "cpu",
    endpoint: "GET /layers/cpu",
    target: "service",
    baseline: "node-http-hello",
    expectedLatencyMs: 1,
    rates: { smoke: [50, 100], default: [600, 1200, 1800, 2400, 3000, 3800], full: geometric(200, 6000, 11) },
  },
  {
    script: "08-redis-capacity",
    name: "Redis SET + GET",
    layer: "redis",
    endpoint: "GET /layers/redis",
    target: "service",
    baseline: "redis-set-get",
    expectedLatencyMs: 2,
    rates: { smoke: [50, 100], default: [500, 1000, 1600, 2200, 2800, 3500], full: geometric(150, 5000, 11) },
  },
  {
    script: "09-tenant-settings-capacity",
    name: "PostgreSQL SELECT (tenant settings)",
    layer: "postgres-select",
    endpoint: "GET /layers/select",
    target: "service",
    baseline: "pgbench-select",
    expectedLatencyMs: 2,
    rates: { smoke: [50, 100], default: [500, 1000, 1600, 2200, 2800, 3500], full: geometric(150, 5000, 11) },
  },
  {
    script: "10-insert-capacity",
    name: "PostgreSQL INSERT (one row, one commit)",
    layer: "postgres-insert",
    endpoint: "POST /layers/insert",
    target: "service",
    baseline: "pgbench-insert",
    expectedLatencyMs: 3,
    rates: { smoke: [50, 100], default: [400, 800, 1200, 1700, 2200, 2800], full: geometric(100, 4000, 11) },
  },
  {
    script: "11-send-flow",
    name: "Full send flow",
    layer: "full-send",
    endpoint: "POST /v1/otp/send",
    target: "service",
    baseline: null,
    expectedLatencyMs: 4,
    rates: { smoke: [20, 40], default: [100, 200, 400, 600, 800, 1100], full: geometric(50, 2500, 10) },
  },
  {
    script: "12-verify-flow",
    name: "Full verify flow",
    layer: "full-verify",
    endpoint: "POST /v1/otp/verify",
    target: "service",
    baseline: null,
    expectedLatencyMs: 4,
    rates: { smoke: [20, 40], default: [100, 200, 400, 700, 1000], full: geometric(50, 2500, 9) },
  },
];
