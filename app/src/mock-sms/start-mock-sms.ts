// The programmatic entry point: tests, benchmarks and the standalone command all start the mock here.
import pino from "pino";
import { z } from "zod";
import { createHttpServer } from "../http/http-server";
import type { Logger } from "../telemetry/logger";
import { createRegistry } from "../telemetry/metrics";
import { createMockSmsApp } from "./create-mock-sms-app";
import { createFaultControl, type Faults } from "./faults";
import { createMessageStore, type StoredMessage } from "./message-store";
import { createSendMetrics, type MockSmsStats } from "./send-metrics";

export type { Faults } from "./faults";
export type { StoredMessage } from "./message-store";
export type { MockSmsStats } from "./send-metrics";

export interface MockSmsOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: an ephemeral port, read it back from `port`. */
  port?: number;
  latencyMs?: number;
  latencyJitterMs?: number;
  errorRate?: number;
  /** Default 503. */
  errorStatus?: number;
  /** Default 100 000; the oldest messages are evicted beyond it. */
  maxStored?: number;
  /** Default: silent. */
  logger?: Logger;
}

export interface MockSms {
  /** Base URL, e.g. http://127.0.0.1:41234 (a wildcard host is given as loopback). */
  url: string;
  port: number;
  close(): Promise<void>;
  /** Every stored message, newest first; only those to one number when `to` is given. */
  messages(to?: string): StoredMessage[];
  stats(): MockSmsStats;
  /** Throws a ZodError on an invalid value; the settings are unchanged then. */
  setFaults(faults: Partial<Faults>): void;
  /** Forgets every stored message and seen reference. Counters keep counting, as Prometheus counters must. */
  clear(): void;
}

const serverOptions = z.object({
  host: z.string().min(1).default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(0),
  maxStored: z.number().int().min(1).max(10_000_000).default(100_000),
});

/** Long enough to outlast any client's keep-alive pool, so the client always closes first. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
const REQUEST_TIMEOUT_MS = 30_000;

export async function startMockSms(options: MockSmsOptions = {}): Promise<MockSms> {
  const { host, port, maxStored } = serverOptions.parse({ host: options.host, port: options.port, maxStored: options.maxStored });
  const faults = createFaultControl({
    latencyMs: options.latencyMs,
    latencyJitterMs: options.latencyJitterMs,
    errorRate: options.errorRate,
    errorStatus: options.errorStatus,
  });
  const logger = options.logger ?? pino({ level: "silent" });
  const registry = createRegistry("mock-sms");
  const store = createMessageStore(maxStored);
  const metrics = createSendMetrics(registry, () => store.size);
  const app = createMockSmsApp({ logger, registry, store, faults, metrics });
  const server = createHttpServer(app, {
    keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    trustInboundTraceContext: true,
  });
  const boundPort = await server.listen(port, host);
  return {
    url: `http://${reachableHost(host)}:${boundPort}`,
    port: boundPort,
    close: () => server.close(),
    messages: (to) => store.newestFirst({ to }),
    stats: metrics.stats,
    setFaults: (patch) => {
      faults.update(patch);
    },
    clear: () => store.clear(),
  };
}

/** A wildcard address accepts connections but cannot be dialled; hand out loopback instead. */
function reachableHost(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}
