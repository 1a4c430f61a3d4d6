// A throwaway Redis server on a loopback port, persistence off.
import { join } from "node:path";
import { type ManagedProcess, startProcess, waitForPort } from "./managed-process.ts";

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly pid: () => number | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function createRedis(options: { dir: string; port: number }): Promise<RedisServer> {
  let server: ManagedProcess | undefined;
  async function start(): Promise<void> {
    server = startProcess({
      name: "redis",
      command: "redis-server",
      args: [
        "--port",
        String(options.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        options.dir,
        "--protected-mode",
        "yes",
      ],
      logFile: join(options.dir, "redis.log"),
      detached: true,
    });
    await waitForPort(options.port, { process: server });
  }
  await start();
  return {
    port: options.port,
    url: `redis://127.0.0.1:${options.port}`,
    pid: () => server?.child.pid,
    start,
    stop: async () => {
      await server?.stop("SIGTERM", 10_000);
    },
  };
}
