// The cost targets the project holds itself to, checked against this run's figures: each is met,
// missed by a stated factor, or not measured by this kind of run (with the command that measures it).
import { atCapacity } from "./analysis.ts";
import type { BenchResults, LayerCost, Target } from "./results.ts";

type Inputs = Pick<BenchResults, "layers" | "cost_model" | "comparison" | "profiles">;

const ms = (value: number) => `${value.toFixed(value < 1 ? 3 : 2)} ms`;

function variantCost(results: Inputs, comparison: string, variant: string, layer: string): LayerCost | undefined {
  if (results.comparison?.id !== comparison) return undefined;
  return results.comparison.variants.find((v) => v.id === variant)?.costs.find((c) => c.layer === layer);
}

function target(
  base: Omit<Target, "met" | "measured_text" | "measured" | "why_missed">,
  measured: number | null,
  text: (value: number) => string,
  meets: (value: number) => boolean,
  missing: string,
  why: () => string | null = () => null,
): Target {
  if (measured === null) return { ...base, measured: null, measured_text: missing, met: null, why_missed: null };
  const met = meets(measured);
  return { ...base, measured: Math.round(measured * 1000) / 1000, measured_text: text(measured), met, why_missed: met ? null : why() };
}

/** Where a profiled flow's time went, largest first: the reason a CPU target is missed. */
function profileWhy(results: Inputs, layer: string): () => string | null {
  return () => {
    const profile = results.profiles.find((p) => p.layer === layer);
    if (!profile) return null;
    const top = profile.categories
      .filter((c) => c.id !== "idle")
      .slice(0, 4)
      .map((c) => `${c.label.split(":")[0]} ${Math.round(c.share_of_busy * 100)}%`)
      .join(", ");
    return `its CPU profile at ${Math.round(profile.offered_rps)} req/s: ${top} of the busy time`;
  };
}

export function checkTargets(results: Inputs): Target[] {
  const cost = (layer: string) => results.cost_model.layers.find((c) => c.layer === layer);
  const targets: Target[] = [];

  const rates = (layer: string) => cost(layer)?.plateaus_rps.join("/") ?? "?";
  const bare = cost("baseline")?.ms_per_request.service;
  const hello = cost("framework")?.ms_per_request.service;
  targets.push(
    target(
      {
        id: "hello-vs-bare",
        title: "Express /hello CPU per request vs bare node:http",
        target_text: "≤ ×2.0",
        how: "make bench (scripts 01 and 02)",
      },
      bare && hello ? hello / bare : null,
      // The rates each was read at: CPU per request falls with the rate, so a ratio across different rates flatters or harms.
      (r) => `×${r.toFixed(2)} (${ms(hello ?? 0)} at ${rates("framework")} vs ${ms(bare ?? 0)} at ${rates("baseline")} req/s)`,
      (r) => r <= 2,
      "not measured in this run (needs 01-bare-node-hello and 02-express-hello)",
      profileWhy(results, "framework"),
    ),
  );

  // The API process alone: only a run with the worker in its own process can tell.
  const split = variantCost(results, "worker-split", "separate-worker", "full-send");
  targets.push(
    target(
      {
        id: "send-api-cpu",
        title: "Send flow CPU per request in the API process (worker in its own process)",
        target_text: "≤ 0.5 ms",
        how: "make bench-worker-split",
      },
      split?.ms_per_request.service ?? null,
      ms,
      (v) => v <= 0.5,
      "measured by make bench-worker-split",
      profileWhy(results, "full-send"),
    ),
  );

  // The whole send: the service with its in-process worker, or API + worker when they are split.
  const inProcess = cost("full-send");
  const whole =
    split && split.ms_per_request.service !== null
      ? split.ms_per_request.service + (split.ms_per_request.worker ?? 0)
      : results.comparison?.id === "worker-split" || inProcess?.ms_per_request.worker === null
        ? (inProcess?.ms_per_request.service ?? null)
        : null;
  targets.push(
    target(
      {
        id: "send-whole-cpu",
        title: "The whole send's CPU per request (API + SMS worker + provider call + send log)",
        target_text: "≤ 0.9 ms",
        how: "make bench (worker in process) or make bench-worker-split (both processes)",
      },
      whole,
      ms,
      (v) => v <= 0.9,
      "not measured in this run (needs 11-send-flow)",
      profileWhy(results, "full-send"),
    ),
  );

  const on = variantCost(results, "telemetry", "on", "full-send")?.ms_per_request.service;
  const off = variantCost(results, "telemetry", "off", "full-send")?.ms_per_request.service;
  targets.push(
    target(
      {
        id: "telemetry-tax",
        title: "Send throughput per CPU with telemetry on, relative to off (tracing + access log)",
        target_text: "≥ ×0.85",
        how: "make bench-telemetry",
      },
      on && off ? off / on : null,
      (r) => `×${r.toFixed(2)} (${ms(on ?? 0)} on vs ${ms(off ?? 0)} off per request)`,
      (r) => r >= 0.85,
      "measured by make bench-telemetry",
      () => {
        const tracingOff = variantCost(results, "telemetry", "tracing-off", "full-send")?.ms_per_request.service;
        const logOff = variantCost(results, "telemetry", "access-log-off", "full-send")?.ms_per_request.service;
        if (!on || !tracingOff || !logOff) return null;
        return `tracing alone costs ${ms(Math.max(0, on - tracingOff))} per send and the access log ${ms(Math.max(0, on - logOff))}`;
      },
    ),
  );

  const send = results.layers.find((l) => l.layer === "full-send");
  const at = atCapacity(send);
  const rss = at?.server.serviceRssMiB ?? null;
  targets.push(
    target(
      {
        id: "service-memory",
        title: "Service RSS at the send flow's capacity",
        target_text: "≤ 150 MiB",
        how: "make bench (11-send-flow)",
      },
      rss,
      (v) =>
        `${Math.round(v)} MiB RSS (PSS ${Math.round(at?.server.pssMiB.service ?? 0)} MiB, heap used ${Math.round(at?.server.serviceHeapMiB.used ?? 0)} MiB) at ${Math.round(at?.offeredRps ?? 0)} req/s`,
      (v) => v <= 150,
      "not measured in this run (the send flow has no capacity here)",
      () => {
        const heap = at?.server.serviceHeapMiB;
        if (!heap || heap.total === null || rss === null) return null;
        return `the V8 heap reserves ${Math.round(heap.total)} MiB (${Math.round(heap.used ?? 0)} used) and the rest of the ${Math.round(rss)} MiB is code, modules and buffers outside the heap`;
      },
    ),
  );
  return targets;
}
