// Starts and stops the V8 CPU profiler of a running Node process from outside, through the inspector.
// The process is started with --inspect-port=127.0.0.1:<port> (the inspector closed); SIGUSR1 makes
// Node open it on that port, where it stays open afterwards (a second SIGUSR1 is a no-op, so a second
// profile of the same process works the same way). We then speak the Chrome DevTools Protocol over the
// built-in WebSocket: a handful of JSON requests and their answers. chrome-remote-interface was
// considered and is not used: it would bring a WebSocket library and a protocol description to do what
// the small client below does.
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { CpuProfile } from "./cpu-profile.ts";

export interface ProfileProcessOptions {
  pid: number;
  inspectPort: number;
  /** V8's sampling interval: 1000 µs is about a sample per millisecond (fewer on a saturated machine). */
  samplingIntervalUs?: number;
  /** How long to wait for the inspector to answer after SIGUSR1. */
  openTimeoutMs?: number;
  /** Bound on each protocol call but Profiler.stop. */
  callTimeoutMs?: number;
  /** Bound on Profiler.stop, which serialises the whole profile. */
  stopTimeoutMs?: number;
}

export interface ProfilingHandle {
  /** Date.now() right after Profiler.start answered: the wall-clock moment of profile.startTime. */
  startedAtMs: number;
  /** Stops the profiler and returns the profile; the session is closed whatever happens. */
  stop(): Promise<CpuProfile>;
}

interface Target {
  type: string;
  webSocketDebuggerUrl?: string;
}

interface CdpSession {
  call<T = unknown>(method: string, params?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  close(): void;
}

/** Refuses a pid that is not a Node process: SIGUSR1's default action would terminate it. */
function assertNodeProcess(pid: number): void {
  let argv0: string;
  try {
    argv0 = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] ?? "";
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new Error(`cannot profile pid ${pid}: no such process`);
    return; // No /proc to look in (not Linux): the pid check over the protocol below still applies.
  }
  if (!/(^|\/)node[^/]*$/.test(argv0)) throw new Error(`cannot profile pid ${pid}: it runs ${argv0 || "nothing"}, not node`);
}

async function waitForTarget(pid: number, port: number, timeoutMs: number): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  let lastProblem = "no answer yet";
  while (performance.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/json/list`, {
        signal: AbortSignal.timeout(Math.max(1, Math.ceil(deadline - performance.now()))),
      });
      const targets = (await response.json()) as Target[];
      const url = targets.find((target) => target.type === "node")?.webSocketDebuggerUrl;
      if (url) return url;
      lastProblem = "it lists no node target with a WebSocket URL";
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      lastProblem = cause?.code ?? (error as Error).message;
    }
    await sleep(50);
  }
  throw new Error(
    `the inspector of pid ${pid} did not answer on 127.0.0.1:${port} within ${timeoutMs} ms (${lastProblem}); ` +
      `was the process started with --inspect-port=127.0.0.1:${port}?`,
  );
}

async function connect(url: string, timeoutMs: number): Promise<CdpSession> {
  const socket = new WebSocket(url);
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let closedBecause: string | undefined;

  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { code: number; message: string } };
    const waiter = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiter) return; // An event: none is enabled that we need.
    pending.delete(message.id as number);
    if (message.error) waiter.reject(new Error(`inspector error ${message.error.code}: ${message.error.message}`));
    else waiter.resolve(message.result);
  });
  socket.addEventListener("close", () => {
    closedBecause ??= "the inspector closed the connection (did the process exit?)";
    for (const waiter of pending.values()) waiter.reject(new Error(closedBecause));
    pending.clear();
  });

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no WebSocket connection to ${url} within ${timeoutMs} ms`)), timeoutMs);
      const settle = (error?: Error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      socket.addEventListener("open", () => settle(), { once: true });
      socket.addEventListener("error", () => settle(new Error(`cannot open a WebSocket to ${url}`)), { once: true });
    });
  } catch (error) {
    socket.close();
    throw error;
  }

  return {
    call<T>(method: string, params: Record<string, unknown> = {}, callTimeoutMs = timeoutMs): Promise<T> {
      if (closedBecause) return Promise.reject(new Error(`${method}: ${closedBecause}`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${method}: no answer from the inspector within ${callTimeoutMs} ms`));
        }, callTimeoutMs);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value as T);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(new Error(`${method}: ${error.message}`));
          },
        });
        socket.send(JSON.stringify({ id, method, params }));
      });
    },
    close() {
      closedBecause = "the session was closed";
      socket.close();
    },
  };
}

/** Opens the inspector of a running Node process (pid, started with --inspect-port) and starts its CPU profiler. */
export async function profileProcess(options: ProfileProcessOptions): Promise<ProfilingHandle> {
  const { pid, inspectPort, samplingIntervalUs = 1000, openTimeoutMs = 5000, callTimeoutMs = 5000, stopTimeoutMs = 30_000 } = options;
  assertNodeProcess(pid);
  try {
    process.kill(pid, "SIGUSR1");
  } catch (error) {
    throw new Error(`cannot signal pid ${pid} to open its inspector: ${(error as Error).message}`);
  }
  const session = await connect(await waitForTarget(pid, inspectPort, openTimeoutMs), callTimeoutMs);
  try {
    // The port may belong to another Node process (a leftover from an earlier run): profile only ours.
    const answer = await session.call<{ result: { value?: unknown } }>("Runtime.evaluate", {
      expression: "process.pid",
      returnByValue: true,
    });
    if (answer.result.value !== pid) {
      throw new Error(`the inspector on 127.0.0.1:${inspectPort} belongs to pid ${String(answer.result.value)}, not ${pid}`);
    }
    await session.call("Profiler.enable");
    await session.call("Profiler.setSamplingInterval", { interval: samplingIntervalUs });
    await session.call("Profiler.start");
  } catch (error) {
    session.close();
    throw error;
  }
  const startedAtMs = Date.now();
  return {
    startedAtMs,
    async stop() {
      try {
        const { profile } = await session.call<{ profile: CpuProfile }>("Profiler.stop", {}, stopTimeoutMs);
        await session.call("Profiler.disable");
        return profile;
      } finally {
        session.close();
      }
    },
  };
}
