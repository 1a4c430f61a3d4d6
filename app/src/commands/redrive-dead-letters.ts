// `otp-service redrive-dead-letters [--limit N] [--dry-run]`: moves dead-lettered SMS jobs back onto
// the job stream and prints what it did as JSON on stdout (logs go to stderr), for scripts and runbooks.
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import pino from "pino";
import { z } from "zod";
import type { Config } from "../config/schema";
import { deriveKeys } from "../domain/secrets";
import { createRedisClient } from "../stores/redis";
import { redriveDeadLetters } from "../stores/redis-dead-letter-redrive";
import { createLogger } from "../telemetry/logger";
import type { Tracing } from "../telemetry/tracing";

const schema = z.object({
  limit: z.coerce.number().int().min(1).optional(),
  "dry-run": z.boolean().default(false),
});

export type RedriveArguments = z.output<typeof schema>;

/** Redis reconnects forever; a command run by hand should say so and stop instead. */
const READY_TIMEOUT_MS = 10_000;

export function parseRedriveArguments(argv: string[]): RedriveArguments {
  const { values } = parseArgs({ args: argv, options: { limit: { type: "string" }, "dry-run": { type: "boolean" } }, strict: true });
  const result = schema.safeParse(values);
  if (!result.success) {
    throw new Error(
      `invalid redrive-dead-letters arguments: ${result.error.issues.map((issue) => `--${issue.path.join(".")}: ${issue.message}`).join("; ")}`,
    );
  }
  return result.data;
}

export async function runRedriveDeadLetters(config: Config, tracing: Tracing, argv: string[]): Promise<void> {
  let args: RedriveArguments;
  try {
    args = parseRedriveArguments(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger({ level: config.log.level, serviceName: config.serviceName, destination: pino.destination(2) });
  const redis = createRedisClient(config.redis, { logger, name: "redrive" });
  let exitCode = 0;
  try {
    if (redis.status !== "ready") {
      const ready = await Promise.race([once(redis, "ready").then(() => true), sleep(READY_TIMEOUT_MS, false, { ref: false })]);
      if (!ready) throw new Error(`redis not ready within ${READY_TIMEOUT_MS} ms`);
    }
    const result = await redriveDeadLetters({
      redis,
      sms: config.sms,
      keys: deriveKeys(config.otp.secret),
      ...(args.limit === undefined ? {} : { limit: args.limit }),
      dryRun: args["dry-run"],
    });
    process.stdout.write(`${JSON.stringify({ ...result, dryRun: args["dry-run"] })}\n`);
    logger.info({ ...result, dryRun: args["dry-run"], from: config.sms.deadLetterKey, to: config.sms.streamKey }, "dead letters re-driven");
  } catch (error) {
    logger.error({ err: error }, "re-driving dead letters failed");
    exitCode = 1;
  } finally {
    redis.disconnect();
    await tracing.shutdown();
  }
  process.exit(exitCode);
}
