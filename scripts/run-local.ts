// `make run`: PostgreSQL, Redis and the service on this machine, in the foreground.
// Ctrl-C stops the service first (graceful shutdown), then the databases.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startLocalStack } from "./devstack/local-stack.ts";

const repoRoot = join(import.meta.dirname, "..");
const stateDir = join(repoRoot, ".local", "run");
mkdirSync(stateDir, { recursive: true });

const stack = await startLocalStack({
  stateDir,
  ports: {
    service: Number(process.env.PORT ?? 8080),
    postgres: Number(process.env.LOCAL_POSTGRES_PORT ?? 54329),
    redis: Number(process.env.LOCAL_REDIS_PORT ?? 63799),
  },
  echoServiceLogs: true,
  serviceEnv: { NODE_ENV: "development", SHUTDOWN_DRAIN_DELAY_MS: "0", LOG_LEVEL: process.env.LOG_LEVEL ?? "info" },
});

process.stdout.write(`
  service     ${stack.serviceUrl}   (try: curl ${stack.serviceUrl}/health)
  postgres    ${stack.postgresUrl}
  redis       ${stack.redisUrl}
  logs        ${stateDir}
  Ctrl-C stops everything.
`);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${signal}: stopping the service, then the databases…\n`);
  const code = await stack.stop();
  process.exit(code === 0 ? 0 : 1);
}
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
stack.serviceExited.then((code) => {
  if (!stopping) {
    process.stderr.write(`the service exited unexpectedly (code ${code}); stopping the rest\n`);
    void stop("service exit");
  }
});
