// core/v1 Events on the resource, so `kubectl describe` tells what the controller did and why it waits.
// A failed Event write is logged, never fatal: Events are best effort in Kubernetes as well.
import { randomBytes } from "node:crypto";
import type { CoreV1Api, KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "./logger.ts";

export interface EventRecorder {
  record(object: KubernetesObject, type: "Normal" | "Warning", reason: string, message: string): Promise<void>;
}

export function createEventRecorder(core: CoreV1Api, component: string, instance: string, logger: Logger): EventRecorder {
  return {
    async record(object, type, reason, message) {
      const { namespace = "default", name = "", uid } = object.metadata ?? {};
      const now = new Date();
      try {
        await core.createNamespacedEvent({
          namespace,
          body: {
            metadata: { name: `${name}.${now.getTime().toString(16)}${randomBytes(2).toString("hex")}`, namespace },
            involvedObject: { apiVersion: object.apiVersion, kind: object.kind, name, namespace, uid },
            type,
            reason,
            message: message.slice(0, 1024),
            source: { component },
            reportingComponent: component,
            reportingInstance: instance,
            action: reason,
            firstTimestamp: now,
            lastTimestamp: now,
            count: 1,
          },
        });
      } catch (error) {
        logger.warn({ err: error, reason, namespace, name }, "could not record an Event");
      }
    },
  };
}
