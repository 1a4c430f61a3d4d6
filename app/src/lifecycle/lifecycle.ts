// The process lifecycle: starting → ready → draining → stopped. Probes and the shutdown read it.
import { Gauge, type Registry } from "prom-client";

export const LIFECYCLE_STATES = ["starting", "ready", "draining", "stopped"] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

const ALLOWED: Record<LifecycleState, readonly LifecycleState[]> = {
  starting: ["ready", "draining", "stopped"],
  ready: ["draining", "stopped"],
  draining: ["stopped"],
  stopped: [],
};

export interface Lifecycle {
  readonly state: LifecycleState;
  transition(to: LifecycleState): void;
  onChange(listener: (state: LifecycleState) => void): void;
}

export function createLifecycle(registry?: Registry): Lifecycle {
  let state: LifecycleState = "starting";
  const listeners: Array<(state: LifecycleState) => void> = [];
  const gauge = registry
    ? new Gauge({
        name: "app_lifecycle_state",
        help: "1 for the lifecycle state the process is in, 0 for the others.",
        labelNames: ["state"],
        registers: [registry],
      })
    : undefined;
  const publish = () => {
    for (const candidate of LIFECYCLE_STATES) gauge?.set({ state: candidate }, candidate === state ? 1 : 0);
  };
  publish();

  return {
    get state() {
      return state;
    },
    transition(to) {
      if (to === state) return;
      if (!ALLOWED[state].includes(to)) throw new Error(`lifecycle cannot go from ${state} to ${to}`);
      state = to;
      publish();
      for (const listener of listeners) listener(state);
    },
    onChange(listener) {
      listeners.push(listener);
    },
  };
}
