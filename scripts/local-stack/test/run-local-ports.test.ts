// `make run` must not attach to another stack that already holds its ports (and seed that one's
// database): it refuses to start, naming the ports, before it starts or writes anything.
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertPortsFree, freePort } from "../ports.ts";

const RUN_LOCAL = join(import.meta.dirname, "..", "run-local.ts");

let occupied: Server;
let occupiedPort: number;

beforeAll(async () => {
  occupied = createServer();
  occupiedPort = await new Promise<number>((resolve) => {
    occupied.listen(0, "127.0.0.1", () => resolve((occupied.address() as { port: number }).port));
  });
});

afterAll(() => {
  occupied.close();
});

describe("ports already in use", () => {
  it("assertPortsFree names every taken port and passes free ones", async () => {
    const free = await freePort();
    await expect(assertPortsFree({ service: free })).resolves.toBeUndefined();
    await expect(assertPortsFree({ service: free, redis: occupiedPort })).rejects.toThrow(
      `ports already in use: redis ${occupiedPort} (another stack running? stop it, or choose other ports)`,
    );
  });

  it("make run's script exits 1 with that message and starts nothing", async () => {
    const [postgresPort, redisPort, mockSmsPort] = [await freePort(), await freePort(), await freePort()];
    const result = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [RUN_LOCAL],
        {
          env: {
            PATH: process.env.PATH ?? "",
            PORT: String(occupiedPort),
            LOCAL_POSTGRES_PORT: String(postgresPort),
            LOCAL_REDIS_PORT: String(redisPort),
            MOCK_SMS_PORT: String(mockSmsPort),
          },
          timeout: 20_000,
        },
        (_error, stdout, stderr) => resolve({ code: child.exitCode, stderr, stdout }),
      );
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      `make run: ports already in use: service ${occupiedPort} (another stack running? stop it, or choose other ports)`,
    );
    expect(result.stdout).toBe("");
    // Nothing was started on the other ports.
    await expect(assertPortsFree({ postgres: postgresPort, redis: redisPort, mockSms: mockSmsPort })).resolves.toBeUndefined();
  });
});
