// Slow clients (slowloris) against the real process: a client that trickles its headers or its
// body loses the socket once HTTP_HEADERS_TIMEOUT_MS or HTTP_REQUEST_TIMEOUT_MS has passed.
import { connect, type Socket } from "node:net";
import { type ServiceProcess, startService } from "@otp-lab/local-stack/service-process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testService } from "./support/otp-env";

const HEADERS_TIMEOUT_MS = 600;
const REQUEST_TIMEOUT_MS = 1_500;

let service: ServiceProcess;

beforeAll(async () => {
  service = await startService(
    testService({ HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) }),
  );
});

afterAll(async () => {
  await service.stop("SIGKILL");
});

interface Trickled {
  heldMs: number;
  answer: string;
}

/** Sends `head` at once, then one more byte of `drip` every 100 ms until the server closes the socket. */
function trickle(port: number, head: string, drip: string): Promise<Trickled> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let answer = "";
    const socket: Socket = connect(port, "127.0.0.1", () => socket.write(head));
    let sent = 0;
    const timer = setInterval(() => {
      if (!socket.writable) return;
      socket.write(drip[sent % drip.length] as string);
      sent += 1;
    }, 100);
    socket.setEncoding("utf8").on("data", (chunk: string) => {
      answer += chunk;
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ heldMs: performance.now() - started, answer });
    });
    setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      reject(new Error("the server kept the slow connection open for 20 s"));
    }, 20_000).unref();
  });
}

describe("HTTP timeouts", () => {
  it("answers 408 and closes a connection whose headers do not complete within HTTP_HEADERS_TIMEOUT_MS", async () => {
    const { heldMs, answer } = await trickle(service.port, "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n", "X-Slow: a\r\n".repeat(100));
    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 408 Request Timeout");
    expect(heldMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    // The checking interval is 1 s, so the close comes within a second of the deadline.
    expect(heldMs).toBeLessThan(HEADERS_TIMEOUT_MS + 1_500);
  });

  it("answers 408 and closes a connection whose body does not complete within HTTP_REQUEST_TIMEOUT_MS", async () => {
    const head = "POST /v1/otp/send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
    const { heldMs, answer } = await trickle(service.port, head, " ".repeat(1000));
    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 408 Request Timeout");
    expect(heldMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(heldMs).toBeLessThan(REQUEST_TIMEOUT_MS + 1_500);
  });
});
