// The one launcher every suite (these tests, make run, the benchmark, the reliability scenarios) starts
// the service with: a start that cannot succeed fails at once with the service's stderr, a stopped
// service starts again on its port with its log kept, and a stop that outlasts its grace ends in SIGKILL.
import { startService } from "@otp-lab/local-stack/service-process";
import { describe, expect, it } from "vitest";
import { statusOf } from "./support/http";
import { testService } from "./support/otp-env";

describe("the service as a process", () => {
  it("fails the start as soon as the process exits, with its stderr, not at the 30 s deadline", async () => {
    const startedAt = performance.now();
    await expect(startService(testService({ NODE_ENV: "production" }))).rejects.toThrow(
      /^otp-service exited during start-up \(log .+\.log\): invalid configuration: OTP_SECRET: is required when NODE_ENV=production\n$/,
    );
    expect(performance.now() - startedAt).toBeLessThan(15_000);
  });

  it("starts again on the same port after a graceful stop, keeping the log of both runs", async () => {
    const service = await startService(testService({ SMS_WORKER_ENABLED: "false" }));
    try {
      const firstPid = service.pid();
      expect(await service.stop()).toBe(0);
      expect(service.alive()).toBe(false);
      await service.start();
      expect(service.pid()).not.toBe(firstPid);
      expect(service.alive()).toBe(true);
      expect(await statusOf(`${service.url}/ready`)).toBe(200);
      const count = (msg: string) => service.logLines().filter((line) => line.msg === msg).length;
      // The log line may trail the first /ready answer by a read of the pipe.
      await expect.poll(() => count("listening")).toBe(2);
      expect(count("shutdown complete")).toBe(1);
    } finally {
      await service.stop("SIGKILL");
    }
  });

  it("sends SIGKILL when the process outlasts the grace period", async () => {
    const service = await startService(testService({ SHUTDOWN_DRAIN_DELAY_MS: "10000" }));
    const stoppedAt = performance.now();
    expect(await service.stop("SIGTERM", 300)).toBeNull();
    expect(service.child.signalCode).toBe("SIGKILL");
    expect(performance.now() - stoppedAt).toBeLessThan(5_000);
  });
});
