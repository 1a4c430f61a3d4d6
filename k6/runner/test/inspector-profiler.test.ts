// Profiles real Node processes from outside, as the runner profiles the service: SIGUSR1, the
// inspector's HTTP listing, then the DevTools protocol over a WebSocket.
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "@otp-lab/local-stack/ports";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CpuProfile, summariseProfile } from "../cpu-profile.ts";
import { profileProcess } from "../inspector-profiler.ts";
import { type ProfiledChild, startProfiledChild } from "./profiled-child.ts";

const BURNER = "burnCpuForProfilerTest";

function functionsWithSelfSamples(profile: CpuProfile): Set<string> {
  const sampled = new Set(profile.samples ?? []);
  return new Set(profile.nodes.filter((node) => sampled.has(node.id)).map((node) => node.callFrame.functionName));
}

async function profileFor(child: ProfiledChild, ms: number) {
  const handle = await profileProcess({ pid: child.pid, inspectPort: child.inspectPort });
  await sleep(ms);
  return { handle, profile: await handle.stop() };
}

describe("profileProcess", () => {
  let burner: ProfiledChild;
  let other: ProfiledChild;
  beforeAll(async () => {
    [burner, other] = await Promise.all([startProfiledChild("cpu-burner.mjs"), startProfiledChild("cpu-burner.mjs")]);
  });
  afterAll(async () => {
    await Promise.all([burner?.stop(), other?.stop()]);
  });

  it("profiles a running process, twice: the named hot function has self samples both times", { timeout: 30_000 }, async () => {
    for (const attempt of [1, 2]) {
      const before = Date.now();
      const { handle, profile } = await profileFor(burner, 1000);
      expect(handle.startedAtMs, `attempt ${attempt}`).toBeGreaterThanOrEqual(before);
      expect(profile.samples?.length, `attempt ${attempt}`).toBeGreaterThan(100);
      expect(profile.timeDeltas?.length).toBe(profile.samples?.length);
      expect(profile.endTime - profile.startTime).toBeGreaterThan(900_000);
      expect(functionsWithSelfSamples(profile), `attempt ${attempt}`).toContain(BURNER);
      // Found at its place in the fixture. How much time it gets depends on what else the machine runs.
      const hot = summariseProfile(profile).topFunctions.find((f) => f.functionName === BURNER);
      expect(hot?.url, `attempt ${attempt}`).toMatch(/fixtures\/cpu-burner\.mjs$/);
      expect(hot?.selfMs, `attempt ${attempt}`).toBeGreaterThan(0);
    }
  });

  it("says when no process has the pid", async () => {
    await expect(profileProcess({ pid: 2 ** 30, inspectPort: burner.inspectPort })).rejects.toThrow(/pid 1073741824: no such process/);
  });

  it("refuses to signal a process that is not node (SIGUSR1 would end it)", async () => {
    const sleeper = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      await expect(profileProcess({ pid: sleeper.pid as number, inspectPort: burner.inspectPort })).rejects.toThrow(
        `cannot profile pid ${sleeper.pid}: it runs sleep, not node`,
      );
      expect(sleeper.exitCode).toBeNull();
      expect(sleeper.signalCode).toBeNull();
    } finally {
      sleeper.kill("SIGKILL");
    }
  });

  it("gives up within the bound when nothing answers on the port", async () => {
    const wrongPort = await freePort();
    const started = Date.now();
    await expect(profileProcess({ pid: burner.pid, inspectPort: wrongPort, openTimeoutMs: 1000 })).rejects.toThrow(
      `did not answer on 127.0.0.1:${wrongPort} within 1000 ms`,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("refuses an inspector that belongs to another process", async () => {
    await profileFor(burner, 10); // Opens the burner's inspector, if no test did yet.
    await expect(profileProcess({ pid: other.pid, inspectPort: burner.inspectPort })).rejects.toThrow(
      `belongs to pid ${burner.pid}, not ${other.pid}`,
    );
    // The burner is still fine to profile after that refusal.
    expect((await profileFor(burner, 200)).profile.samples?.length).toBeGreaterThan(0);
  });
});
