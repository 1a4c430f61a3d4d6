// What the run ran on: host, versions, configuration.
import { execFileSync } from "node:child_process";
import { cpus, release, totalmem } from "node:os";
import { join } from "node:path";
import type { BenchResults } from "./results.ts";

function version(command: string, args: string[], pattern: RegExp): string {
  try {
    const output = execFileSync(command, args, { encoding: "utf8", timeout: 10_000 });
    return pattern.exec(output)?.[1] ?? output.trim().split("\n")[0] ?? "unknown";
  } catch {
    return "unknown";
  }
}

export function describeEnvironment(options: {
  k6Bin: string;
  pgBinDir: string;
  repoRoot: string;
  config: BenchResults["environment"]["config"];
}): BenchResults["environment"] {
  return {
    host: {
      cores: cpus().length,
      memory_gib: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
      kernel: release(),
      cpu_model: cpus()[0]?.model ?? "unknown",
    },
    versions: {
      node: process.version,
      k6: version(options.k6Bin, ["version"], /k6 v?([\d.]+)/),
      postgresql: version(join(options.pgBinDir, "postgres"), ["--version"], /\(PostgreSQL\) ([\d.]+)/),
      redis: version("redis-server", ["--version"], /v=([\d.]+)/),
      service: version("git", ["-C", options.repoRoot, "rev-parse", "--short", "HEAD"], /(\w+)/),
    },
    config: options.config,
  };
}
