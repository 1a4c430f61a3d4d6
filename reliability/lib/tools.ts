// The external tools the scenarios drive, found the way the Makefile provides them: K6_BIN and
// HAPROXY_BIN when set (make passes what scripts/ensure-*.sh printed), otherwise the pinned k6 in the
// tool cache and haproxy on PATH.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pinnedVersion, REPO_ROOT, toolCache } from "./paths.ts";

export function k6Binary(env: NodeJS.ProcessEnv = process.env): string {
  if (env.K6_BIN) return env.K6_BIN;
  const version = pinnedVersion(readFileSync(join(REPO_ROOT, "scripts", "versions.env"), "utf8"), "K6_VERSION");
  const pinned = join(toolCache(env), `k6-${version}`, "k6");
  if (existsSync(pinned)) return pinned;
  throw new Error(`k6 ${version} is not at ${pinned}: run scripts/ensure-k6.sh (or set K6_BIN)`);
}

export function haproxyBinary(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HAPROXY_BIN) return env.HAPROXY_BIN;
  for (const candidate of ["/usr/sbin/haproxy", "/usr/bin/haproxy"]) if (existsSync(candidate)) return candidate;
  try {
    return execFileSync("sh", ["-c", "command -v haproxy"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("haproxy is not installed: run scripts/ensure-haproxy.sh (or set HAPROXY_BIN)");
  }
}
