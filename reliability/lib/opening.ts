// How most scenarios begin: their own stack, one tenant without limits and one service without access
// logs (they would only slow the load down), all stopped by the scenario's cleanup.
import type { SeededTenant } from "@otp-lab/local-stack/app-cli";
import type { ServiceProcess } from "@otp-lab/local-stack/service-process";
import type { ScenarioContext } from "./scenario.ts";
import { type ServiceOptions, type Stack, type StackOptions, startStack } from "./stack.ts";

export interface Opening {
  stack: Stack;
  tenant: SeededTenant;
  service: ServiceProcess;
}

export async function openScenario(
  { workDir, cleanup }: Pick<ScenarioContext, "workDir" | "cleanup">,
  options: {
    /** The tenant's seed prefix. */
    tenant: string;
    stack?: Omit<StackOptions, "dir" | "cleanup">;
    service?: Partial<ServiceOptions>;
  },
): Promise<Opening> {
  const stack = await startStack({ dir: workDir, cleanup, ...options.stack });
  const tenant = stack.seedOne(options.tenant);
  const service = await stack.startService({
    name: "service",
    ...options.service,
    env: { ACCESS_LOG_ENABLED: "false", ...options.service?.env },
  });
  return { stack, tenant, service };
}
