// A real CPU profile for the report's browser tests: 1.5 s of an Express app answering JSON posts,
// profiled from outside through the inspector, as the runner profiles the service.
import { setTimeout as sleep } from "node:timers/promises";
import type { CpuProfile } from "../../runner/cpu-profile.ts";
import { profileProcess } from "../../runner/inspector-profiler.ts";
import { startProfiledChild } from "../../runner/test/profiled-child.ts";

export async function captureExpressProfile(): Promise<CpuProfile> {
  const server = await startProfiledChild("express-server.mjs");
  try {
    const port = Number(server.firstLine.split(" ")[1]);
    const handle = await profileProcess({ pid: server.pid, inspectPort: server.inspectPort });
    const until = Date.now() + 1500;
    const client = async () => {
      for (let i = 0; Date.now() < until; i++) {
        const response = await fetch(`http://127.0.0.1:${port}/echo/t${i % 3}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ i }),
        });
        await response.arrayBuffer();
      }
    };
    await Promise.all([client(), client(), client()]);
    await sleep(50);
    return await handle.stop();
  } finally {
    await server.stop();
  }
}
