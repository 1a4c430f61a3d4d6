// What a scenario is, what it gets to run with, and what it hands back.
import type { Cleanup } from "./cleanup.ts";

export type Mode = "fast" | "full";

export type Figure = number | string | boolean | null | Figure[] | { [key: string]: Figure };

/** One goal, checked against a measured figure. */
export interface Check {
  name: string;
  goal: string;
  measured: string;
  passed: boolean;
}

export interface ScenarioContext {
  mode: Mode;
  /** A scratch directory for this scenario's servers and logs, removed afterwards unless kept. */
  workDir: string;
  cleanup: Cleanup;
  /** The fast or the full size of a parameter. */
  size<T>(fast: T, full: T): T;
  log(message: string): void;
}

export interface ScenarioOutcome {
  figures: Record<string, Figure>;
  checks: Check[];
  notes: string[];
}

export interface Scenario {
  name: string;
  /** One line: what is done and what must hold. */
  summary: string;
  run(context: ScenarioContext): Promise<ScenarioOutcome>;
}

/** The JSON written to reports/reliability/<scenario>.json. */
export interface ScenarioReport {
  scenario: string;
  mode: Mode;
  passed: boolean;
  figures: Record<string, Figure>;
  checks: Check[];
  notes: string[];
  startedAt: string;
  durationS: number;
  error?: string;
}

/** Collects checks while a scenario runs: `expect(name, goal, measured, passed)`. */
export class Checks {
  readonly list: Check[] = [];

  add(name: string, goal: string, measured: unknown, passed: boolean): boolean {
    this.list.push({ name, goal, measured: describe(measured), passed });
    return passed;
  }

  /** measured must equal expected. */
  equal(name: string, measured: unknown, expected: unknown): boolean {
    return this.add(name, `= ${describe(expected)}`, measured, measured === expected);
  }

  atMost(name: string, measured: number | null, limit: number, unit = ""): boolean {
    return this.add(name, `≤ ${limit}${unit}`, measured === null ? "n/a" : `${measured}${unit}`, measured !== null && measured <= limit);
  }

  atLeast(name: string, measured: number | null, limit: number, unit = ""): boolean {
    return this.add(name, `≥ ${limit}${unit}`, measured === null ? "n/a" : `${measured}${unit}`, measured !== null && measured >= limit);
  }
}

function describe(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "n/a";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}
