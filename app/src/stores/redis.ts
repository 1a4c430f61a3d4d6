import { once } from "node:events";
// Redis client with fail-fast behaviour (no offline queue) and per-command latency metrics.
import { Redis, ReplyError } from "ioredis";
import { Histogram, type Registry } from "prom-client";
import type { Config } from "../config/schema";
import { DependencyUnavailableError } from "../domain/errors";
import type { Logger } from "../telemetry/logger";

export type RedisClient = Redis;

const REDIS_BUCKETS_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export interface RedisClientOptions {
  logger: Logger;
  registry?: Registry;
  name: string;
}

export function createRedisClient(config: Config["redis"], options: RedisClientOptions): RedisClient {
  const client = new Redis(config.url, {
    connectionName: `otp-service/${options.name}`,
    connectTimeout: config.connectTimeoutMs,
    commandTimeout: config.commandTimeoutMs,
    // Fail fast while disconnected instead of queueing requests until Redis returns.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Reconnect forever, at most every 2 s, so the service heals itself when Redis returns.
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
  });
  let lastErrorLog = 0;
  client.on("error", (error) => {
    // A down Redis errors on every reconnect attempt; one line every 10 s is enough.
    if (Date.now() - lastErrorLog < 10_000) return;
    lastErrorLog = Date.now();
    options.logger.warn({ err: error, client: options.name }, "redis connection error");
  });
  if (options.registry) instrumentCommands(client, options.registry, options.name);
  return client;
}

function instrumentCommands(client: Redis, registry: Registry, name: string): void {
  const existing = registry.getSingleMetric("redis_command_duration_seconds") as Histogram<"client" | "command" | "outcome"> | undefined;
  const duration =
    existing ??
    new Histogram({
      name: "redis_command_duration_seconds",
      help: "Redis command round trip as seen by the service.",
      labelNames: ["client", "command", "outcome"],
      buckets: REDIS_BUCKETS_SECONDS,
      registers: [registry],
    });
  const send = client.sendCommand.bind(client);
  client.sendCommand = (command, stream) => {
    const started = performance.now();
    // Command names come from this codebase, never from callers, so the label stays bounded.
    const labels = { client: name, command: command.name.toLowerCase() };
    command.promise.then(
      () => duration.observe({ ...labels, outcome: "ok" }, (performance.now() - started) / 1000),
      () => duration.observe({ ...labels, outcome: "error" }, (performance.now() - started) / 1000),
    );
    return send(command, stream);
  };
}

/** Runs a Redis operation, turning "not connected / timed out" into DependencyUnavailableError. */
export async function withRedis<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    // A ReplyError is Redis answering "no" (a bug or a script error), not Redis being away.
    if (error instanceof ReplyError) throw error;
    throw new DependencyUnavailableError("redis", { cause: error });
  }
}

export function pingRedis(client: RedisClient): (signal: AbortSignal) => Promise<unknown> {
  return async (signal) => {
    // Right after start-up the client is still connecting: wait for it rather than report "down".
    if (client.status === "connecting" || client.status === "connect" || client.status === "wait") {
      await once(client, "ready", { signal });
    }
    return client.ping();
  };
}
