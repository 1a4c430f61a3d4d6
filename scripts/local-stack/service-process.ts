// The service (app/dist/main.js serve, worker …) as a child process, as production runs it: on its own
// loopback port, started until it answers its probe (failing fast, with its stderr, when it exits
// first), stopped with a signal and SIGKILL after a grace period, and started again on the same port.
// The lab's other Node.js server, the operator, is launched the same way (`main`, `readyPath`).
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { APP_MAIN } from "./app-cli.ts";
import { portOpen, startProcess } from "./managed-process.ts";
import { freePort } from "./ports.ts";
import { waitFor } from "./wait.ts";

export interface ServiceOptions {
  /** In errors and the log file's exit lines (default otp-service). */
  name?: string;
  /** The script to run instead of the service's app/dist/main.js. */
  main?: string;
  /** The command and its arguments (default serve). */
  args?: string[];
  /** Node.js options, e.g. --inspect-port for the profiler. */
  nodeArgs?: string[];
  /** The settings; PATH, HOST=127.0.0.1 and PORT are set here. */
  env?: Record<string, string>;
  /** Default: a free one. */
  port?: number;
  logFile: string;
  /** Also copy the output to our stdout (make run). */
  echo?: boolean;
  /**
   * Keep stdout in memory for logText() and logLines() (default). Long runs (make run, the benchmark)
   * turn it off and read the log file instead.
   */
  keepOutput?: boolean;
  /** What start() waits for: readyPath answering 200 (default), or only the open port. */
  waitFor?: "ready" | "port";
  /** Default /ready, the service's. */
  readyPath?: string;
}

export interface ServiceProcess {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  /** The current run (start() replaces it). */
  readonly child: ChildProcess;
  /** The current run's exit code, once all its output has been read. */
  readonly exited: Promise<number | null>;
  pid(): number | undefined;
  alive(): boolean;
  /** stdout, then stderr, of every run. */
  logText(): string;
  /** stdout's JSON log lines, every run. */
  logLines(): Array<Record<string, unknown>>;
  /** Starts again, after stop(), on the same port and waits as configured. */
  start(): Promise<void>;
  /** Sends the signal, waits up to graceMs for the exit, then SIGKILL; resolves with the exit code. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

/** Starts the service and waits until it answers. */
export async function startService(options: ServiceOptions): Promise<ServiceProcess> {
  const name = options.name ?? "otp-service";
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const timeoutMs = 30_000;
  let stdout = "";
  let stderr = "";
  const launch = () => {
    const started = startProcess({
      name,
      command: process.execPath,
      args: [...(options.nodeArgs ?? []), options.main ?? APP_MAIN, ...(options.args ?? ["serve"])],
      env: { PATH: process.env.PATH ?? "", HOST: "127.0.0.1", ...options.env, PORT: String(port) },
      logFile: options.logFile,
      echo: options.echo ?? false,
      detached: true,
    });
    started.child.stdout?.setEncoding("utf8");
    started.child.stderr?.setEncoding("utf8");
    if (options.keepOutput ?? true) {
      started.child.stdout?.on("data", (chunk: string) => {
        stdout += chunk;
      });
    }
    started.child.stderr?.on("data", (chunk: string) => {
      stderr += chunk;
    });
    // "close", not "exit": by then every line the process wrote has been read.
    return { process: started, closed: once(started.child, "close").then(([code]) => code as number | null) };
  };
  const answers = async (): Promise<boolean> => {
    if (options.waitFor === "port") return portOpen(port);
    try {
      return (await fetch(`${url}${options.readyPath ?? "/ready"}`, { signal: AbortSignal.timeout(2_000) })).status === 200;
    } catch {
      return false;
    }
  };
  let run = launch();
  const waitUntilUp = async () => {
    let exited = false;
    void run.closed.then(() => {
      exited = true;
    });
    try {
      await waitFor(`${name} to answer`, answers, { timeoutMs, intervalMs: 50, giveUpIf: () => (exited ? "exited" : undefined) });
      return;
    } catch {
      // said below, with the service's own words
    }
    await run.process.stop("SIGKILL");
    const why = exited ? "exited during start-up" : `did not answer within ${timeoutMs} ms`;
    throw new Error(`${name} ${why} (log ${options.logFile}): ${stderr.slice(-2_000)}`);
  };

  const service: ServiceProcess = {
    name,
    port,
    url,
    get child() {
      return run.process.child;
    },
    get exited() {
      return run.closed;
    },
    pid: () => run.process.child.pid,
    alive: () => run.process.child.exitCode === null && run.process.child.signalCode === null,
    logText: () => stdout + stderr,
    logLines: () =>
      stdout
        .split("\n")
        .slice(0, -1)
        .flatMap((line) => (line.startsWith("{") ? [JSON.parse(line) as Record<string, unknown>] : [])),
    async start() {
      run = launch();
      await waitUntilUp();
    },
    async stop(signal = "SIGTERM", graceMs = 30_000) {
      await run.process.stop(signal, graceMs);
      return run.closed;
    },
  };
  await waitUntilUp();
  return service;
}
