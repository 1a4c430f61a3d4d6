// What every k6 script's handleSummary writes to SUMMARY_PATH, and the runner reads.
// Pure types: imported by the k6 scripts (bundled by k6) and by the Node-side runner.

export interface PlateauSummary {
  /** Scenario name, "p01", "p02", … in rate order. */
  name: string;
  offeredRps: number;
  /** Seconds from the start of the main phase (end of setup) to the plateau's start. */
  startOffsetS: number;
  durationS: number;
  requests: number;
  failedRequests: number;
  droppedIterations: number;
  latencyMs: { avg: number; p50: number; p95: number; p99: number; max: number };
  /** Preallocated/max VUs the plateau was given. */
  vusCap: number;
  checksPassRate: number | null;
}

export interface ScriptSummary {
  script: string;
  /** Epoch ms at which setup() finished and the main phase (warm-up, then plateaus) began. */
  mainStartedAtMs: number;
  warmup: { rate: number; durationS: number; requests: number; p99Ms: number } | null;
  plateaus: PlateauSummary[];
  /** Names of thresholds that failed, e.g. "http_req_duration{phase:main,scenario:p04}". */
  thresholdsCrossed: string[];
  /** True when an abort threshold stopped the run early (later plateaus have no data). */
  aborted: boolean;
  /** Highest VUs seen over the whole run (k6's vus_max). */
  vusMaxObserved: number;
}
