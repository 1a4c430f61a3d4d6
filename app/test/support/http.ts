// HTTP helpers: raw requests for what fetch() hides (the Connection header, a refused TCP connect), and
// reading answers and metrics.
import { request } from "node:http";
import { connect } from "node:net";
import { expect } from "vitest";
import { scrape } from "./metrics";

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function rawGet(url: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { Connection: "keep-alive" } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** "open" when a TCP connection succeeds, otherwise the error code (ECONNREFUSED…). */
export function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve("open");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
  });
}

export async function statusOf(url: string): Promise<number> {
  try {
    return (await fetch(url)).status;
  } catch {
    return 0;
  }
}

/** The value of a single-series gauge or counter on the service's /metrics page (labels, if any, ignored). */
export async function metricValue(baseUrl: string, name: string): Promise<number> {
  const value = await scrape(baseUrl, name);
  if (value === undefined) throw new Error(`metric ${name} not found`);
  return value;
}

/** A problem+json answer's body. */
export async function problemBody(response: Response): Promise<Record<string, unknown>> {
  expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  return (await response.json()) as Record<string, unknown>;
}

/**
 * Starts a request and resolves once the service counts it in flight (`http_server_requests_in_flight`
 * rose above what it was before), so a signal sent next finds it under way rather than maybe not yet arrived.
 */
export async function startInFlight<T>(baseUrl: string, send: () => Promise<T>): Promise<{ response: Promise<T> }> {
  const idle = await metricValue(baseUrl, "http_server_requests_in_flight");
  const response = send();
  // Reported with the other failures by whoever awaits it.
  response.catch(() => undefined);
  const deadline = performance.now() + 5_000;
  while ((await metricValue(baseUrl, "http_server_requests_in_flight")) <= idle) {
    if (performance.now() > deadline) throw new Error("the request never showed as in flight");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { response };
}
