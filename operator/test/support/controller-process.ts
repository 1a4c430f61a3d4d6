// The controller as a real process, from its TypeScript source (`node operator/src/main.ts`) as it runs in
// production, launched as every server of the lab is (@otp-lab/local-stack/service-process). Free of
// vitest, so the benchmark starts it the same way as the tests.
import { join } from "node:path";
import { freePort } from "@otp-lab/local-stack/ports";
import { type ServiceProcess, startService } from "@otp-lab/local-stack/service-process";

const OPERATOR_MAIN = join(import.meta.dirname, "..", "..", "src", "main.ts");

export interface ControllerOptions {
  name: string;
  kubeconfigPath: string;
  databaseUrl: string;
  namespace: string;
  logFile: string;
  /** Adds to (or overrides) the settings; leader election keeps the operator's defaults unless set here. */
  env?: Record<string, string>;
  keepOutput?: boolean;
}

/** Started once its /healthz answers, on a free port that also serves /readyz and /metrics. */
export async function startController(options: ControllerOptions): Promise<ServiceProcess> {
  const port = await freePort();
  return startService({
    name: options.name,
    main: OPERATOR_MAIN,
    args: [],
    port,
    readyPath: "/healthz",
    logFile: options.logFile,
    keepOutput: options.keepOutput,
    env: {
      KUBECONFIG: options.kubeconfigPath,
      DATABASE_URL: options.databaseUrl,
      WATCH_NAMESPACE: options.namespace,
      METRICS_HOST: "127.0.0.1",
      METRICS_PORT: String(port),
      ...options.env,
    },
  });
}
