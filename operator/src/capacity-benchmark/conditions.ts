// Status conditions (metav1.Condition shape): set one, keeping lastTransitionTime when the status does not
// change, so a controller that reconciles every few seconds does not make every condition look new.
import type { Condition, ConditionType } from "./schema.ts";

export function setCondition(
  conditions: Condition[] | undefined,
  type: ConditionType,
  status: Condition["status"],
  reason: string,
  message: string,
  now: string,
  generation?: number,
): Condition[] {
  const list = conditions ?? [];
  const previous = list.find((c) => c.type === type);
  const next: Condition = {
    type,
    status,
    reason,
    message,
    lastTransitionTime: previous && previous.status === status ? previous.lastTransitionTime : now,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
  };
  return [...list.filter((c) => c.type !== type), next].sort((a, b) => a.type.localeCompare(b.type));
}

export function conditionOf(conditions: Condition[] | undefined, type: ConditionType): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
