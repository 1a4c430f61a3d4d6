// `make run`: PostgreSQL, Redis, the mock SMS provider and the service on this machine, in the
// foreground. Ctrl-C stops the service first (graceful shutdown), then the rest.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type LocalStack, startLocalStack } from "@otp-lab/local-stack/local-stack";

const repoRoot = join(import.meta.dirname, "..", "..");
const stateDir = join(repoRoot, ".local", "run");
mkdirSync(stateDir, { recursive: true });
// A stable key when DEMO_API_KEY is set; otherwise a fresh one per run, printed below.
const demoApiKey = process.env.DEMO_API_KEY ?? `otp_demo_${randomBytes(24).toString("base64url")}`;

let stack: LocalStack;
try {
  stack = await startLocalStack({
    stateDir,
    ports: {
      service: Number(process.env.PORT ?? 8080),
      mockSms: Number(process.env.MOCK_SMS_PORT ?? 8090),
      postgres: Number(process.env.LOCAL_POSTGRES_PORT ?? 54329),
      redis: Number(process.env.LOCAL_REDIS_PORT ?? 63799),
    },
    seedArgs: ["--tenants", "0"],
    seedEnv: { DEMO_API_KEY: demoApiKey },
    echoServiceLogs: true,
    serviceEnv: {
      SHUTDOWN_DRAIN_DELAY_MS: "0",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
      LAYER_ENDPOINTS_ENABLED: "true",
      TEST_ERROR_ENDPOINT_ENABLED: "true",
    },
  });
} catch (error) {
  process.stderr.write(`make run: ${(error as Error).message}\n`);
  process.exit(1);
}

const phone = "+15551230001";
process.stdout.write(`
  service        ${stack.serviceUrl}   (health: ${stack.serviceUrl}/health, API: ${stack.serviceUrl}/openapi.json)
  mock SMS       ${stack.mockSmsUrl}   (the "phone": ${stack.mockSmsUrl}/messages?to=${encodeURIComponent(phone)})
  postgres       ${stack.postgresUrl}
  redis          ${stack.redisUrl}
  logs           ${stateDir}
  demo API key   ${demoApiKey}

  ON for this local run only (never in production): the unauthenticated /layers/* endpoints
  (LAYER_ENDPOINTS_ENABLED=true; they read and write PostgreSQL and Redis) and /test-error
  (TEST_ERROR_ENDPOINT_ENABLED=true; it fires error metrics and alerts). Everything listens on 127.0.0.1.

  Send a code:
    curl -s -X POST ${stack.serviceUrl}/v1/otp/send -H 'Authorization: Bearer ${demoApiKey}' -H 'Content-Type: application/json' -d '{"phone":"${phone}"}'
  Read it as the phone would:
    curl -s '${stack.mockSmsUrl}/messages?to=${encodeURIComponent(phone)}&limit=1'
  Verify it (put the code in):
    curl -s -X POST ${stack.serviceUrl}/v1/otp/verify -H 'Authorization: Bearer ${demoApiKey}' -H 'Content-Type: application/json' -d '{"phone":"${phone}","code":"<code>"}'

  Ctrl-C stops everything.
`);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`\n${signal}: stopping the service, then the mock provider and the databases…\n`);
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
