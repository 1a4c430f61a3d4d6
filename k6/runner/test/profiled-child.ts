// Starts a Node fixture as the benchmark runner starts the service (inspector port reserved, inspector
// closed) and waits for its first line of output, so that SIGUSR1 only arrives once Node handles it.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { freePort } from "@otp-lab/local-stack/ports";

export interface ProfiledChild {
  child: ChildProcess;
  pid: number;
  inspectPort: number;
  /** The fixture's first line of output. */
  firstLine: string;
  stop(): Promise<void>;
}

export async function startProfiledChild(fixture: string): Promise<ProfiledChild> {
  const inspectPort = await freePort();
  const script = new URL(`./fixtures/${fixture}`, import.meta.url).pathname;
  const child = spawn(process.execPath, [`--inspect-port=127.0.0.1:${inspectPort}`, script], { stdio: ["ignore", "pipe", "pipe"] });
  const stderr: string[] = [];
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const exited = once(child, "exit").then(() => undefined);
  const first = await Promise.race([once(lines, "line").then(([line]) => line as string), exited]);
  if (first === undefined) throw new Error(`${fixture} exited before it was ready: ${stderr.join("")}`);
  const pid = child.pid as number;
  return {
    child,
    pid,
    inspectPort,
    firstLine: first,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await once(child, "exit");
    },
  };
}
