// The mock SMS provider (`otp-service mock-sms`) as its own process on a loopback port: the provider
// the service sends to and the "phone" a client reads its code from. MOCK_SMS_* settings inject faults.
import { join } from "node:path";
import { APP_MAIN } from "./app-cli.ts";
import { type ManagedProcess, startProcess, waitForPort } from "./managed-process.ts";
import { freePort } from "./ports.ts";

export interface MockSmsProcess extends ManagedProcess {
  readonly port: number;
  readonly url: string;
}

/** Logs to <dir>/mock-sms.log; `env` adds MOCK_SMS_* settings (latency, error rate…). */
export async function startMockSms(options: { dir: string; port?: number; env?: Record<string, string> }): Promise<MockSmsProcess> {
  const port = options.port ?? (await freePort());
  const mock = startProcess({
    name: "mock-sms",
    command: process.execPath,
    args: [APP_MAIN, "mock-sms"],
    env: { PATH: process.env.PATH ?? "", MOCK_SMS_HOST: "127.0.0.1", MOCK_SMS_PORT: String(port), LOG_LEVEL: "warn", ...options.env },
    logFile: join(options.dir, "mock-sms.log"),
    detached: true,
  });
  await waitForPort(port, { process: mock });
  return { ...mock, port, url: `http://127.0.0.1:${port}` };
}
