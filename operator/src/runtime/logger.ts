// JSON logs on stdout (pino). Reconcile logs are children carrying the resource's namespace and name,
// so one resource's story can be filtered out of a busy controller.
import { pino } from "pino";

export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  return pino({ level, base: { component: "otp-operator" }, timestamp: pino.stdTimeFunctions.isoTime });
}

export function resourceLogger(logger: Logger, controller: string, namespace: string | undefined, name: string): Logger {
  return logger.child({ controller, namespace, name });
}
