// The contract between the benchmark runner and the report: what results.json holds.
// Versioned: bump RESULTS_SCHEMA_VERSION and k6/report/results.schema.json together.

export const RESULTS_SCHEMA_VERSION = 1;

/** One stable plateau of one script: a constant arrival rate held for a fixed time. */
export interface PlateauResult {
  /** Scenario name in k6, e.g. "p03". */
  name: string;
  offeredRps: number;
  achievedRps: number;
  durationS: number;
  requests: number;
  failedRequests: number;
  errorRate: number;
  droppedIterations: number;
  latencyMs: { avg: number; p50: number; p95: number; p99: number; max: number };
  /** Highest VUs the plateau used, against the cap it was given. */
  vusMax: number;
  vusCap: number;
  checksPassRate: number | null;
  /** Server-side signals averaged (or maxed, where named) over the plateau, from /metrics and /proc. */
  server: ServerSignals;
  /** The load generator's own CPU over the plateau, in cores (1.0 = one core busy). */
  generatorCpuCores: number;
  generatorSaturated: boolean;
  meetsSlo: boolean;
  /** Why the plateau fails the capacity rule, empty when it meets it. */
  failedBecause: string[];
}

export interface ServerSignals {
  eventLoopLagP99Ms: number | null;
  pgPoolWaitingMax: number | null;
  redisCommandP99Ms: number | null;
  streamLagMax: number | null;
  streamPendingMax: number | null;
  /** CPU in cores and resident memory in MiB, per process. */
  cpuCores: { service: number | null; postgres: number | null; redis: number | null };
  rssMiB: { service: number | null; postgres: number | null; redis: number | null };
}

export type LimitedBy =
  | "slo_latency"
  | "slo_errors"
  | "dropped_iterations"
  | "load_generator"
  | "highest_rate_tested"
  | "no_plateau_met_slo";

export interface LayerResult {
  /** Script id, e.g. "07-otp-code-capacity". */
  script: string;
  /** Human name of the layer, e.g. "CPU (code generation)". */
  name: string;
  layer: "framework" | "concurrency" | "cpu" | "redis" | "postgres-select" | "postgres-insert" | "full-send" | "full-verify" | "baseline";
  endpoint: string;
  /** Highest offered rate whose plateau met the SLO with zero dropped iterations and an unsaturated generator. */
  capacity_rps: number | null;
  limited_by: LimitedBy;
  p99_ms_at_capacity: number | null;
  error_rate_at_capacity: number | null;
  dropped_iterations_at_capacity: number | null;
  /** Index into plateaus of the knee: where latency starts rising steeply with offered rate. */
  knee_index: number | null;
  /** Physical limit this layer is compared with (key into baselines), and the ratio. */
  baseline: string | null;
  ratio_to_baseline: number | null;
  plateaus: PlateauResult[];
  /** True when the generator, not the service, was the limit: no capacity is claimed then. */
  generator_limited: boolean;
}

export interface Baseline {
  /** e.g. "node-http-hello", "redis-set", "redis-get", "pgbench-select", "pgbench-insert". */
  name: string;
  tool: "k6" | "redis-benchmark" | "pgbench";
  ops_per_second: number;
  p99_ms: number | null;
  detail: string;
}

export interface Recommendation {
  id: string;
  title: string;
  /** Why, in figures from this run. */
  evidence: string;
  /** Expected gain, in figures, e.g. "send-flow capacity ×1.8 (from 420 to ~760 req/s)". */
  expected_gain: string;
  severity: "high" | "medium" | "low";
}

export interface ValidityCheck {
  id: string;
  passed: boolean;
  detail: string;
}

export interface BenchResults {
  schema_version: typeof RESULTS_SCHEMA_VERSION;
  run_id: string;
  profile: "smoke" | "default" | "full";
  started_at: string;
  finished_at: string;
  environment: {
    host: { cores: number; memory_gib: number; kernel: string; cpu_model: string };
    versions: Record<string, string>;
    config: Record<string, string | number | boolean>;
  };
  slo: { p99_ms: number; error_rate: number };
  target_rps: number;
  baselines: Baseline[];
  layers: LayerResult[];
  /** The full send flow set against the layers it is made of. */
  bottleneck: { flow: string; bounded_by: string | null; headroom_ratio: number | null; explanation: string };
  recommendations: Recommendation[];
  validity: ValidityCheck[];
}
