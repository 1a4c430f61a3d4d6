// Runs the compiled service as a real child process, as it runs in production, and collects
// its JSON log lines for assertions.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "@otp-lab/local-stack/ports";
import { inject } from "vitest";
import { MAIN_JS } from "./paths";

export interface ServiceProcess {
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcess;
  readonly logLines: () => Array<Record<string, unknown>>;
  readonly stderr: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export interface StartOptions {
  env?: Record<string, string>;
  args?: string[];
  /** Wait for /ready to answer 200 (default) or only for /live. */
  waitFor?: "ready" | "live";
}

export async function startService(options: StartOptions = {}): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN_JS, ...(options.args ?? [])], {
    env: {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "test",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: inject("postgresUrl"),
      REDIS_URL: inject("redisUrl"),
      LOG_LEVEL: "info",
      READINESS_CHECK_INTERVAL_MS: "250",
      READINESS_MAX_AGE_MS: "1500",
      SHUTDOWN_DRAIN_DELAY_MS: "0",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Array<Record<string, unknown>> = [];
  let stdoutBuffer = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdoutBuffer += chunk;
    const parts = stdoutBuffer.split("\n");
    stdoutBuffer = parts.pop() ?? "";
    for (const line of parts) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  const url = `http://127.0.0.1:${port}`;
  const service: ServiceProcess = {
    port,
    url,
    child,
    logLines: () => lines,
    stderr: () => stderr,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      return exited;
    },
  };
  await waitUntil(url, options.waitFor ?? "ready", exited, () => stderr);
  return service;
}

async function waitUntil(url: string, probe: "ready" | "live", exited: Promise<number | null>, stderr: () => string): Promise<void> {
  let dead = false;
  exited.then(() => {
    dead = true;
  });
  const deadline = performance.now() + 20_000;
  while (performance.now() < deadline) {
    if (dead) throw new Error(`service exited during start-up: ${stderr()}`);
    try {
      const response = await fetch(`${url}/${probe}`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`service did not become ${probe} within 20 s: ${stderr()}`);
}
