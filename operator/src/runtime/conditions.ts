// Kubernetes-style status conditions. lastTransitionTime changes only when a condition's status
// changes, so `kubectl get` shows how long a resource has been Ready (or not), not when it was last seen.
import { z } from "zod";

export const conditionSchema = z
  .object({
    type: z.string().describe("The aspect this condition reports, e.g. Ready or Degraded."),
    status: z.enum(["True", "False", "Unknown"]).describe("Whether the condition holds: True, False or Unknown."),
    reason: z.string().describe("A CamelCase word saying why the condition has this status."),
    message: z.string().describe("A human-readable explanation, with details."),
    lastTransitionTime: z.string().describe("When the status last changed (RFC 3339)."),
    observedGeneration: z.number().int().optional().describe("The metadata.generation this condition was computed from."),
  })
  .describe("One observed aspect of the resource's state.");

export type Condition = z.infer<typeof conditionSchema>;
export type ConditionInput = Omit<Condition, "lastTransitionTime">;

/** Returns the conditions with `next` set, keeping the old lastTransitionTime when the status is unchanged. */
export function setCondition(conditions: readonly Condition[] | undefined, next: ConditionInput, now = new Date()): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === next.type);
  const previous = index >= 0 ? list[index] : undefined;
  const lastTransitionTime =
    previous && previous.status === next.status ? previous.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const condition: Condition = { ...next, lastTransitionTime };
  if (index >= 0) list[index] = condition;
  else list.push(condition);
  return list;
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
