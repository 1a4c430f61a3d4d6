// A child process the dev stack owns: started with its output captured to a log file,
// waited on until its port answers, and stopped politely (SIGTERM, then SIGKILL).
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { untilExited, waitFor } from "./wait.ts";

export interface ManagedProcessOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
  /** Also copy the output to this process's stdout (for the service in `make run`). */
  echo?: boolean;
  /**
   * Own process group: a Ctrl-C in the terminal then reaches only the orchestrator, which stops
   * the children in order (service first, databases last) instead of all at once.
   */
  detached?: boolean;
}

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

export function startProcess(options: ManagedProcessOptions): ManagedProcess {
  const log: WriteStream = createWriteStream(options.logFile, { flags: "a" });
  const spawnOptions: SpawnOptions = {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached ?? false,
  };
  if (options.uid !== undefined) spawnOptions.uid = options.uid;
  if (options.gid !== undefined) spawnOptions.gid = options.gid;
  const child = spawn(options.command, options.args, spawnOptions);
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  if (options.echo) {
    child.stdout?.pipe(process.stdout, { end: false });
    child.stderr?.pipe(process.stderr, { end: false });
  }
  if (options.detached) {
    // Outside our process group nothing else will stop it if this process dies first.
    const killOnExit = () => child.kill("SIGKILL");
    process.once("exit", killOnExit);
    child.once("exit", () => process.off("exit", killOnExit));
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once("error", (error) => {
      log.write(`[devstack] failed to start ${options.command}: ${error.message}\n`);
      resolve(null);
    });
    child.once("exit", (code, signal) => {
      log.write(`[devstack] ${options.name} exited code=${code} signal=${signal}\n`);
      resolve(code);
    });
  });
  exited.finally(() => log.end());

  async function stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<number | null> {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    child.kill(signal);
    // The grace timer is unref'd so a process that exits promptly leaves nothing pending.
    const outcome = await Promise.race([exited.then(() => "exited" as const), sleep(graceMs, "timeout" as const, { ref: false })]);
    if (outcome === "timeout") child.kill("SIGKILL");
    return exited;
  }

  return { name: options.name, child, exited, stop };
}

/** Resolves once a TCP connection to host:port succeeds; rejects on timeout or when the process dies first. */
export async function waitForPort(
  port: number,
  { host = "127.0.0.1", timeoutMs = 20_000, process: owner }: { host?: string; timeoutMs?: number; process?: ManagedProcess } = {},
): Promise<void> {
  await waitFor(`port ${host}:${port}`, () => portOpen(port, host), {
    timeoutMs,
    intervalMs: 50,
    ...(owner ? { giveUpIf: untilExited(owner.name, owner.child) } : {}),
  });
}

/** Whether a TCP connection to host:port succeeds now. */
export function portOpen(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
