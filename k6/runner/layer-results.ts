// Turns one script's k6 summary and the sampled server signals into a LayerResult.
import type { ScriptSummary } from "../lib/summary-format.ts";
import { type CapacityRule, judgePlateau } from "./capacity.ts";
import type { PlateauResult } from "./results.ts";
import { type Snapshot, summariseWindow } from "./sampler.ts";

/** Edges of a plateau left out of its server-side window: the rate change settles first. */
const WINDOW_MARGIN_MS = 750;

export function plateauResults(summary: ScriptSummary, snapshots: Snapshot[], rule: CapacityRule): PlateauResult[] {
  return summary.plateaus.map((plateau) => {
    const from = summary.mainStartedAtMs + plateau.startOffsetS * 1000;
    const to = from + plateau.durationS * 1000;
    const { server, generatorCpuCores } = summariseWindow(snapshots, from + WINDOW_MARGIN_MS, to - WINDOW_MARGIN_MS / 3);
    return judgePlateau(
      {
        name: plateau.name,
        offeredRps: plateau.offeredRps,
        achievedRps: plateau.requests / plateau.durationS,
        durationS: plateau.durationS,
        requests: plateau.requests,
        failedRequests: plateau.failedRequests,
        errorRate: plateau.requests === 0 ? 0 : plateau.failedRequests / plateau.requests,
        droppedIterations: plateau.droppedIterations,
        latencyMs: plateau.latencyMs,
        vusMax: summary.vusMaxObserved,
        vusCap: plateau.vusCap,
        checksPassRate: plateau.checksPassRate,
        server,
        generatorCpuCores,
      },
      rule,
    );
  });
}
