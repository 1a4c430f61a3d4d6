// The Node HTTP server with the connection handling graceful shutdown needs.
import { createServer, type RequestListener, type Server, type ServerResponse } from "node:http";
import { traceIncomingRequests } from "../telemetry/http-spans";

export interface HttpServerOptions {
  keepAliveTimeoutMs: number;
  /** Must be below requestTimeoutMs: Node applies headersTimeout only then. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** Whether a caller's traceparent is continued (true) or only linked from a new trace (false). */
  trustInboundTraceContext: boolean;
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
  // Node enforces the timeouts below only when it checks its connections, every 30 s by default:
  // a slow client would hold its socket up to 30 s past them. Once a second bounds that.
  const server = createServer(
    { connectionsCheckingInterval: 1_000 },
    traceIncomingRequests(handler, { trustInboundContext: options.trustInboundTraceContext }),
  );
  // Longer than a typical load balancer's idle timeout, so the balancer closes first and never
  // sends a request into a socket the service is closing.
  server.keepAliveTimeout = options.keepAliveTimeoutMs;
  // A client that trickles its headers or body (slowloris) gets 408 and loses its socket after these.
  server.headersTimeout = options.headersTimeoutMs;
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
