// The operator and the OTP service as real child processes with the tests' settings: the controller
// against the run's kube-apiserver and PostgreSQL with short Lease terms, the service from app/dist.
import { join } from "node:path";
import { type ServiceProcess, startService as startServiceProcess } from "@otp-lab/local-stack/service-process";
import { inject } from "vitest";
import { startController } from "./controller-process.ts";

export interface OperatorOptions {
  namespace: string;
  identity: string;
  databaseUrl?: string;
  env?: Record<string, string>;
}

export function startOperator(options: OperatorOptions): Promise<ServiceProcess> {
  return startController({
    name: `operator ${options.identity}`,
    kubeconfigPath: inject("kubeconfigPath"),
    databaseUrl: options.databaseUrl ?? inject("postgresUrl"),
    namespace: options.namespace,
    logFile: join(inject("logDir"), `operator-${options.identity}.log`),
    env: {
      LEASE_NAMESPACE: options.namespace,
      POD_NAME: options.identity,
      // Short terms so take-over is observable in seconds.
      LEASE_DURATION_SECONDS: "3",
      LEASE_RENEW_DEADLINE_SECONDS: "2",
      LEASE_RETRY_PERIOD_SECONDS: "0.5",
      LOG_LEVEL: "debug",
      ...options.env,
    },
  });
}

/** The service against the run's PostgreSQL and Redis; its log in <logDir>/<name>.log. */
export function startService(name: string): Promise<ServiceProcess> {
  return startServiceProcess({
    name,
    logFile: join(inject("logDir"), `${name}.log`),
    env: {
      NODE_ENV: "test",
      DATABASE_URL: inject("postgresUrl"),
      REDIS_URL: inject("redisUrl"),
      LOG_LEVEL: "warn",
      // The test proves the key is accepted; delivering the SMS is the service's own tests' business.
      SMS_WORKER_ENABLED: "false",
      SHUTDOWN_DRAIN_DELAY_MS: "0",
    },
  });
}

let phoneCounter = 0;
/** POST /v1/otp/send with the key; a fresh number each time so per-number limits never interfere. */
export async function sendOtp(service: ServiceProcess, apiKey: string): Promise<number> {
  phoneCounter++;
  const phone = `+1555${String((process.pid * 1000 + phoneCounter) % 10_000_000).padStart(7, "0")}`;
  const response = await fetch(`${service.url}/v1/otp/send`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ phone }),
  });
  await response.arrayBuffer();
  return response.status;
}
