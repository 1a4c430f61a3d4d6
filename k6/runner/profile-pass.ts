// A CPU profile of the service during one plateau of a flow: the runner opens the service's inspector
// (SIGUSR1 with --inspect-port set at start), starts V8's sampling profiler, drives one plateau with k6,
// stops the profiler and keeps the plateau's window of it. A run of its own, after the flow's ladder,
// so the profiler's overhead never touches the figures the capacity and the cost model come from.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CpuProfile, sliceProfile, summariseProfile } from "./cpu-profile.ts";
import { profileProcess } from "./inspector-profiler.ts";
import type { ProfileResult } from "./results.ts";

/** Edges of the plateau left out of the profile: the rate change settles first. */
const EDGE_MS = 500;

export interface ProfilePassOptions {
  script: string;
  layer: ProfileResult["layer"];
  pid: number;
  inspectPort: number;
  outDir: string;
  offeredRps: number;
  /** Runs k6 for one plateau at offeredRps; resolves with when its main phase started and how its plateau went. */
  runPlateau: () => Promise<{ mainStartedAtMs: number; plateau: { startOffsetS: number; durationS: number; requests: number } } | null>;
}

export async function profilePass(options: ProfilePassOptions): Promise<ProfileResult | null> {
  const session = await profileProcess({ pid: options.pid, inspectPort: options.inspectPort });
  let run: Awaited<ReturnType<ProfilePassOptions["runPlateau"]>>;
  let profile: CpuProfile;
  try {
    run = await options.runPlateau();
  } finally {
    profile = await session.stop();
  }
  if (!run || run.plateau.requests === 0) return null;
  // The profile's clock is the service's monotonic one (µs); startedAtMs is ours at the moment it started.
  const toProfileUs = (wallMs: number) => profile.startTime + (wallMs - session.startedAtMs) * 1000;
  const fromMs = run.mainStartedAtMs + run.plateau.startOffsetS * 1000 + EDGE_MS;
  const toMs = fromMs - EDGE_MS + run.plateau.durationS * 1000 - EDGE_MS;
  const sliced = sliceProfile(profile, toProfileUs(fromMs), toProfileUs(toMs));
  const dir = join(options.outDir, "profiles");
  mkdirSync(dir, { recursive: true });
  const file = `profiles/${options.script}.cpuprofile`;
  writeFileSync(join(options.outDir, file), JSON.stringify(sliced));
  const summary = summariseProfile(sliced);
  const achievedRps = run.plateau.requests / run.plateau.durationS;
  return {
    script: options.script,
    layer: options.layer,
    file,
    offered_rps: options.offeredRps,
    achieved_rps: Math.round(achievedRps * 10) / 10,
    duration_ms: Math.round(summary.durationMs),
    samples: summary.sampleCount,
    busy_ms: Math.round(summary.busyMs),
    // Busy time per request while profiled: the profiler's own overhead included.
    busy_ms_per_request: Math.round((summary.busyMs / (achievedRps * (summary.durationMs / 1000))) * 1000) / 1000,
    categories: summary.categories.map((c) => ({
      id: c.id,
      label: c.label,
      self_ms: Math.round(c.selfMs * 10) / 10,
      share_of_busy: Math.round(c.shareOfBusy * 1000) / 1000,
    })),
    top_functions: summary.topFunctions.slice(0, 15).map((f) => ({
      function_name: f.functionName,
      url: f.url,
      line: f.lineNumber,
      category: f.category,
      self_ms: Math.round(f.selfMs * 10) / 10,
      share_of_busy: Math.round(f.shareOfBusy * 1000) / 1000,
    })),
  };
}

/** The rate a flow is profiled at: the highest plateau the cost model used (below saturation), else its lowest. */
export function profileRate(plateausRps: number[], fallback: number): number {
  return plateausRps.length > 0 ? Math.max(...plateausRps) : fallback;
}
