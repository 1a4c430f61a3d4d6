// Raw HTTP helpers for assertions fetch() hides: the Connection header and whether a TCP connect is refused.
import { request } from "node:http";
import { connect } from "node:net";

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
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${name} `) || candidate.startsWith(`${name}{`));
  if (line === undefined) throw new Error(`metric ${name} not found`);
  return Number(line.slice(line.lastIndexOf(" ") + 1));
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
