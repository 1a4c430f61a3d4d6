// haproxy, found the way the Makefile provides it: HAPROXY_BIN when set (make passes what
// scripts/ensure-haproxy.sh printed), otherwise on PATH. (k6 is @otp-lab/local-stack/k6's k6Binary.)
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export function haproxyBinary(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HAPROXY_BIN) return env.HAPROXY_BIN;
  for (const candidate of ["/usr/sbin/haproxy", "/usr/bin/haproxy"]) if (existsSync(candidate)) return candidate;
  try {
    return execFileSync("sh", ["-c", "command -v haproxy"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("haproxy is not installed: run scripts/ensure-haproxy.sh (or set HAPROXY_BIN)");
  }
}
