// The standalone mock SMS provider (`otp-service mock-sms`): config from the environment, one
// "listening" line, and a graceful stop on SIGTERM or SIGINT.
import { setTimeout as sleep } from "node:timers/promises";
import { type ExitCode, exitOnSignals } from "../lifecycle/graceful-shutdown";
import { createLogger } from "../telemetry/logger";
import { loadMockSmsConfig } from "./config";
import { startMockSms } from "./start-mock-sms";

const SERVICE_NAME = "mock-sms";
/** Bounds the wait for in-flight requests, which may be sleeping an injected latency of minutes. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

/** Throws a ConfigError (one line) on invalid configuration, before anything starts. */
export async function runMockSms(env: NodeJS.ProcessEnv): Promise<void> {
  const config = loadMockSmsConfig(env);
  const logger = createLogger({ level: config.logLevel, serviceName: SERVICE_NAME });
  const mock = await startMockSms({ host: config.host, port: config.port, maxStored: config.maxStored, ...config.faults, logger });

  const shutdown = async (reason: string): Promise<ExitCode> => {
    logger.info({ reason }, "shutdown: finishing in-flight requests");
    const closed = await Promise.race([mock.close().then(() => true), sleep(SHUTDOWN_TIMEOUT_MS, false, { ref: false })]);
    if (closed) logger.info("shutdown complete");
    else logger.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, "shutdown: in-flight requests did not finish in time");
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    return closed ? 0 : 1;
  };
  exitOnSignals(shutdown, (code) => process.exit(code), logger);
  logger.info({ host: config.host, port: mock.port, maxStored: config.maxStored, faults: config.faults }, "listening");
}
