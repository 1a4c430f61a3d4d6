// The repository files the kind tests read, and the third-party chart pins of charts/third-party/versions.yaml.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export const REPO_ROOT = join(import.meta.dirname, "..", "..");
export const read = (path: string) => readFileSync(join(REPO_ROOT, path), "utf8");

export interface ChartPin {
  release: string;
  namespace: string;
  repo: string;
  url: string;
  chart: string;
  version: string;
  values: string;
  why: string;
}

export const { charts } = parse(read("charts/third-party/versions.yaml")) as { charts: ChartPin[] };
