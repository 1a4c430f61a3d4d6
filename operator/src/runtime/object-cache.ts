// A read cache of secondary objects (e.g. the Secrets or TestRuns a controller creates): client-node's informer
// (list, then watch; re-list on 410 Gone; other errors restart it after 2 s), label-selected so it holds
// only what the controller owns. Reading through it replaces one GET per reconcile; writes still go to
// the API server with a resourceVersion precondition (or a create that fails with 409), so a cache that
// lags behind makes a write fail and retry, never overwrite.
import { setTimeout as sleep } from "node:timers/promises";
import { type KubeConfig, type KubernetesListObject, type KubernetesObject, makeInformer } from "@kubernetes/client-node";
import type { Logger } from "./logger.ts";

export type CacheEvent = "add" | "update" | "delete";

export interface ObjectCache<T extends KubernetesObject> {
  readonly name: string;
  get(name: string, namespace?: string): T | undefined;
  /** Called with each object the list or watch reports added, changed or deleted. */
  on(event: CacheEvent, handler: (object: T) => void): void;
  readonly synced: boolean;
  /** Resolves once the first list is in the cache. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * managedFields are server-side-apply bookkeeping no reconciler reads; they are often the largest part
 * of a small object. Dropped from the cached copy in place (the informer and the handlers share it).
 */
export function stripManagedFields(object: KubernetesObject): void {
  if (object.metadata?.managedFields) delete object.metadata.managedFields;
}

export function createObjectCache<T extends KubernetesObject>(options: {
  name: string;
  kubeConfig: KubeConfig;
  /** The watch path, e.g. /api/v1/namespaces/ns/secrets. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  logger: Logger;
}): ObjectCache<T> {
  const log = options.logger.child({ cache: options.name });
  const informer = makeInformer<T>(options.kubeConfig, options.path, options.list, options.labelSelector);
  const handlers: Record<CacheEvent, Array<(object: T) => void>> = { add: [], update: [], delete: [] };
  let stopped = false;
  let synced = false;
  for (const event of ["add", "update", "delete"] as const) {
    informer.on(event, (object) => {
      stripManagedFields(object);
      for (const handler of handlers[event]) handler(object);
    });
  }
  informer.on("error", (error) => {
    if (stopped) return;
    log.warn({ err: error }, "watch failed; listing and watching again in 2 s");
    void sleep(2_000).then(() => {
      if (!stopped) informer.start().catch((e) => log.error({ err: e }, "cache informer restart failed"));
    });
  });
  return {
    name: options.name,
    get: (name, namespace) => informer.get(name, namespace),
    on: (event, handler) => void handlers[event].push(handler),
    get synced() {
      return synced;
    },
    async start() {
      stopped = false;
      await informer.start();
      synced = true;
      log.info({ path: options.path, objects: informer.list().length }, "cache synced");
    },
    async stop() {
      stopped = true;
      synced = false;
      await informer.stop();
    },
  };
}
