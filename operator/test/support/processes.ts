// The operator and the OTP service as real child processes: the operator from its TypeScript source
// (`node operator/src/main.ts`), the service from app/dist, as each runs in production.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { freePort } from "@otp-lab/local-stack/ports";
import { inject } from "vitest";
import { waitFor } from "./kube.ts";
import { APP_MAIN, OPERATOR_MAIN } from "./paths.ts";

export interface ChildHandle {
  readonly child: ChildProcess;
  readonly url: string;
  readonly logs: () => Array<Record<string, unknown>>;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function track(child: ChildProcess, url: string): ChildHandle {
  const logs: Array<Record<string, unknown>> = [];
  let output = "";
  let buffer = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
    buffer += chunk;
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not JSON: kept in output()
      }
    }
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  const exited = once(child, "exit").then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  return {
    child,
    url,
    logs: () => logs,
    output: () => output,
    exited,
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface OperatorOptions {
  namespace: string;
  identity: string;
  databaseUrl?: string;
  env?: Record<string, string>;
}

export async function startOperator(options: OperatorOptions): Promise<ChildHandle> {
  const port = await freePort();
  const child = spawn(process.execPath, [OPERATOR_MAIN], {
    env: {
      PATH: process.env.PATH ?? "",
      KUBECONFIG: inject("kubeconfigPath"),
      DATABASE_URL: options.databaseUrl ?? inject("postgresUrl"),
      WATCH_NAMESPACE: options.namespace,
      LEASE_NAMESPACE: options.namespace,
      POD_NAME: options.identity,
      METRICS_HOST: "127.0.0.1",
      METRICS_PORT: String(port),
      // Short terms so take-over is observable in seconds.
      LEASE_DURATION_SECONDS: "3",
      LEASE_RENEW_DEADLINE_SECONDS: "2",
      LEASE_RETRY_PERIOD_SECONDS: "0.5",
      LOG_LEVEL: "debug",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const handle = track(child, `http://127.0.0.1:${port}`);
  await waitFor(`operator ${options.identity} /healthz`, async () => {
    if (child.exitCode !== null) throw new Error(`operator exited: ${handle.output()}`);
    return (await fetch(`${handle.url}/healthz`)).ok;
  });
  return handle;
}

export async function startService(databaseUrl = inject("postgresUrl")): Promise<ChildHandle> {
  const port = await freePort();
  const child = spawn(process.execPath, [APP_MAIN], {
    env: {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "test",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: databaseUrl,
      REDIS_URL: inject("redisUrl"),
      LOG_LEVEL: "warn",
      // The test proves the key is accepted; delivering the SMS is the service's own tests' business.
      SMS_WORKER_ENABLED: "false",
      SHUTDOWN_DRAIN_DELAY_MS: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const handle = track(child, `http://127.0.0.1:${port}`);
  await waitFor("service /ready", async () => {
    if (child.exitCode !== null) throw new Error(`service exited: ${handle.output()}`);
    return (await fetch(`${handle.url}/ready`)).ok;
  });
  return handle;
}

let phoneCounter = 0;
/** POST /v1/otp/send with the key; a fresh number each time so per-number limits never interfere. */
export async function sendOtp(service: ChildHandle, apiKey: string): Promise<number> {
  phoneCounter++;
  const phone = `+1555${String((process.pid * 1000 + phoneCounter) % 10_000_000).padStart(7, "0")}`;
  const response = await fetch(`${service.url}/v1/otp/send`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ phone }),
  });
  await response.arrayBuffer();
  return response.status;
}
