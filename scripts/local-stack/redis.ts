// A Redis server on a loopback port, started like the chart starts it: an append-only file fsync'd every
// second (`--appendonly yes --appendfsync everysec`) and no RDB snapshots (`--save ""`), so a restart on
// the same data directory keeps the SMS stream, the pending codes and the counters. `persistence: false`
// gives throwaway state for the few callers that need a restart to forget everything.
import { mkdirSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { type ManagedProcess, startProcess } from "./managed-process.ts";
import { untilExited, waitFor } from "./wait.ts";

export interface RedisOptions {
  /** The caller's state directory: the log goes to <dir>/redis.log, the data to <dir>/redis-data. */
  dir: string;
  port: number;
  /** Append-only file, fsync every second, as the chart runs it (default true). */
  persistence?: boolean;
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Where the append-only file lives (kept across restarts). */
  readonly dataDir: string;
  readonly persistence: boolean;
  readonly pid: () => number | undefined;
  /** Starts (again) on the same port and data directory; resolves once it answers PING (AOF loaded). */
  start(): Promise<void>;
  /** SIGTERM (Redis flushes the AOF and exits), SIGKILL after 10 s. */
  stop(): Promise<void>;
  /** SIGKILL: no shutdown, nothing flushed beyond what Redis already wrote to the kernel. */
  kill(): Promise<void>;
}

/** The redis-server arguments of the chart's Redis (or without persistence). */
export function redisServerArgs(options: { port: number; dataDir: string; persistence: boolean }): string[] {
  return [
    "--port",
    String(options.port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    options.persistence ? "yes" : "no",
    ...(options.persistence ? ["--appendfsync", "everysec"] : []),
    "--dir",
    options.dataDir,
    "--protected-mode",
    "yes",
  ];
}

export async function createRedis(options: RedisOptions): Promise<RedisServer> {
  const persistence = options.persistence ?? true;
  const dataDir = join(options.dir, "redis-data");
  mkdirSync(dataDir, { recursive: true });
  let server: ManagedProcess | undefined;
  async function start(): Promise<void> {
    server = startProcess({
      name: "redis",
      command: "redis-server",
      args: redisServerArgs({ port: options.port, dataDir, persistence }),
      logFile: join(options.dir, "redis.log"),
      detached: true,
    });
    // PING answers only once the port is open and the AOF is loaded; a Redis that dies meanwhile ends the wait.
    const started = server;
    await waitFor(`redis on port ${options.port} to answer PING`, async () => (await ping(options.port)).startsWith("+PONG"), {
      timeoutMs: 40_000,
      intervalMs: 50,
      giveUpIf: untilExited(started.name, started.child),
    });
  }
  await start();
  return {
    port: options.port,
    url: `redis://127.0.0.1:${options.port}`,
    dataDir,
    persistence,
    pid: () => server?.child.pid,
    start,
    stop: async () => {
      await server?.stop("SIGTERM", 10_000);
    },
    kill: async () => {
      await server?.stop("SIGKILL", 5_000);
    },
  };
}

/** Redis's answer to PING: +PONG, -LOADING while it loads the AOF, or nothing while the port is closed. */
function ping(port: number): Promise<string> {
  return new Promise<string>((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let text = "";
    const done = () => {
      socket.destroy();
      resolve(text);
    };
    socket.setTimeout(1_000, done);
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes("\r\n")) done();
    });
    socket.once("error", done);
  });
}
