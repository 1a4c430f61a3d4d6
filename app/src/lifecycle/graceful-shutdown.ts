// The shutdown sequence. Order matters and is the contract the Helm chart's grace period relies on:
// readiness off → drain delay → stop accepting and finish in-flight requests (bounded) →
// stop background work → close clients → flush telemetry last.
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../telemetry/logger";
import type { Lifecycle } from "./lifecycle";

export interface ShutdownTask {
  name: string;
  run(): Promise<unknown> | unknown;
}

export interface GracefulShutdownOptions {
  lifecycle: Lifecycle;
  logger: Logger;
  /** Time to keep serving after readiness turns off, so load balancers stop routing here. */
  drainDelayMs: number;
  /** Budget for in-flight requests once the server stops accepting. Separate from the delay. */
  timeoutMs: number;
  closeServer(): Promise<void>;
  destroyConnections(): void;
  /** Worker loops, flushers, monitors: stopped (and drained) after the last request is answered. */
  backgroundWork: ShutdownTask[];
  /** Database and cache clients: closed once nothing can use them any more. */
  clients: ShutdownTask[];
  /** Exporters: flushed last so the shutdown itself is traced and logged. */
  telemetry: ShutdownTask[];
}

export type ExitCode = 0 | 1;

export async function gracefulShutdown(options: GracefulShutdownOptions, reason: string): Promise<ExitCode> {
  const { lifecycle, logger } = options;
  const started = performance.now();
  lifecycle.transition("draining");
  logger.info({ reason, drainDelayMs: options.drainDelayMs, timeoutMs: options.timeoutMs }, "shutdown: readiness off, draining");
  await sleep(options.drainDelayMs);

  logger.info("shutdown: no longer accepting connections, finishing in-flight requests");
  const serverClosed = options.closeServer();
  const closed = await Promise.race([serverClosed.then(() => true), sleep(options.timeoutMs, false, { ref: false })]);
  // A request that overran its budget is cut off, but the shutdown goes on: the worker must still
  // stop and the send log must still flush what was already delivered. The exit code says it.
  let failed = !closed;
  if (!closed) {
    logger.error({ timeoutMs: options.timeoutMs }, "shutdown: in-flight requests did not finish in time, closing their connections");
    options.destroyConnections();
    await serverClosed;
  }

  // Background work and clients get their own budget: a dependency that is down must not hold the
  // process forever. Nothing is lost when it runs out: jobs are acknowledged only once recorded.
  const cleanupDeadline = performance.now() + options.timeoutMs;
  for (const task of [...options.backgroundWork, ...options.clients]) {
    const remaining = cleanupDeadline - performance.now();
    const outcome =
      remaining > 0 ? await Promise.race([runTask(task, logger), sleep(remaining, "timeout" as const, { ref: false })]) : "timeout";
    if (outcome === "timeout") {
      logger.error({ task: task.name, timeoutMs: options.timeoutMs }, "shutdown: cleanup did not finish in time");
      return 1;
    }
    if (outcome) logger.info({ task: task.name }, "shutdown: step done");
    failed = !outcome || failed;
  }
  lifecycle.transition("stopped");
  logger.info({ durationMs: Math.round(performance.now() - started) }, "shutdown complete");
  for (const task of options.telemetry) failed = !(await runTask(task, logger)) || failed;
  return failed ? 1 : 0;
}

async function runTask(task: ShutdownTask, logger: Logger): Promise<boolean> {
  try {
    await task.run();
    return true;
  } catch (error) {
    logger.error({ err: error, task: task.name }, "shutdown: task failed");
    return false;
  }
}

/**
 * First SIGTERM or SIGINT starts the graceful shutdown; a second one, or the shutdown's own
 * failure, exits 1 at once.
 */
export function exitOnSignals(shutdown: (reason: string) => Promise<ExitCode>, exit: (code: number) => void, logger: Logger): void {
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      logger.warn({ signal }, "second signal: exiting now");
      exit(1);
      return;
    }
    shuttingDown = true;
    shutdown(signal).then(exit, (error: unknown) => {
      logger.error({ err: error }, "shutdown failed");
      exit(1);
    });
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
