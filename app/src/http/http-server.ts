// The Node HTTP server with the connection handling graceful shutdown needs.
import { createServer, type RequestListener, type Server, type ServerResponse } from "node:http";
import { traceIncomingRequests } from "../telemetry/http-spans";

export interface HttpServerOptions {
  keepAliveTimeoutMs: number;
  requestTimeoutMs: number;
}

export interface HttpServer {
  readonly server: Server;
  listen(port: number, host: string): Promise<number>;
  /**
   * Stops accepting connections, asks every open response to close its connection when done
   * (`Connection: close`), closes idle keep-alive connections, and resolves once all are gone.
   */
  close(): Promise<void>;
  /** Ends every connection now, answered or not. Only for a shutdown that ran out of time. */
  destroyAll(): void;
  inFlight(): number;
}

export function createHttpServer(handler: RequestListener, options: HttpServerOptions): HttpServer {
  // Every request in a SERVER span (when tracing is on), before anything else sees it.
  const server = createServer(traceIncomingRequests(handler));
  // Longer than a typical load balancer's idle timeout, so the balancer closes first and never
  // sends a request into a socket the service is closing.
  server.keepAliveTimeout = options.keepAliveTimeoutMs;
  server.headersTimeout = options.keepAliveTimeoutMs + 1_000;
  server.requestTimeout = options.requestTimeoutMs;

  const open = new Set<ServerResponse>();
  let closing = false;
  server.prependListener("request", (_req, res) => {
    open.add(res);
    res.once("close", () => open.delete(res));
    if (closing) res.shouldKeepAlive = false;
  });

  return {
    server,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          const address = server.address();
          resolve(typeof address === "object" && address ? address.port : port);
        });
      });
    },
    close() {
      closing = true;
      for (const res of open) if (!res.headersSent) res.shouldKeepAlive = false;
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
    destroyAll() {
      server.closeAllConnections();
    },
    inFlight() {
      return open.size;
    },
  };
}
