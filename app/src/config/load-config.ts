import type { z } from "zod";
import { type Config, environmentSchema, toConfig } from "./schema";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Parses the environment once. Throws a ConfigError whose message is one line naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const result = environmentSchema.safeParse(present);
  if (!result.success) throw new ConfigError(`invalid configuration: ${describeIssues(result.error)}`);
  return toConfig(result.data);
}

function describeIssues(error: z.ZodError): string {
  // Values are not echoed: a variable may hold a secret.
  return error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
}
