// The controller loop: an informer (client-node's ListWatch, which lists again from scratch on 410 Gone)
// feeds a keyed work queue; workers reconcile one key at a time each; failures come back with backoff;
// every key is queued again each resync period so drift outside Kubernetes (a row edited in PostgreSQL)
// gets corrected. Stopping hands out no more keys, waits for the reconciles in flight, then returns.
import { setTimeout as sleep } from "node:timers/promises";
import { type KubeConfig, type KubernetesListObject, type KubernetesObject, makeInformer } from "@kubernetes/client-node";
import type { Logger } from "./logger.ts";
import { resourceLogger } from "./logger.ts";
import type { OperatorMetrics } from "./metrics.ts";
import { type CacheEvent, type ObjectCache, stripManagedFields } from "./object-cache.ts";
import { WorkQueue } from "./work-queue.ts";

export interface ReconcileResult {
  /** Reconcile again after this long even without a change (e.g. a key overlap ending). */
  requeueAfterMs?: number;
}

export interface ReconcileContext<T> {
  key: string;
  namespace: string | undefined;
  name: string;
  /** The informer's copy, or undefined when the resource is gone. */
  object: T | undefined;
  log: Logger;
  /** Failed attempts since the last success (0 on a first try). */
  failures: number;
}

export interface ControllerOptions<T extends KubernetesObject> {
  name: string;
  kubeConfig: KubeConfig;
  /** The watch path, e.g. /apis/otp-lab.dev/v1alpha1/namespaces/ns/otptenants. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  reconcile: (context: ReconcileContext<T>) => Promise<ReconcileResult | undefined>;
  /** Whether an update is worth a reconcile; default: generation, deletion, annotations or finalizers changed. */
  shouldReconcileUpdate?: (previous: T | undefined, next: T) => boolean;
  /**
   * Caches of secondary objects (started and synced before the first reconcile, stopped after the
   * last): an object that changes in one of `events` queues the keys `ownerKeys` returns (e.g. a
   * deleted Secret → its OtpTenant, a TestRun's new stage → its CapacityBenchmark).
   */
  watches?: SecondaryWatch[];
  concurrency: number;
  resyncMs: number;
  logger: Logger;
  metrics: OperatorMetrics;
}

export interface SecondaryWatch {
  cache: ObjectCache<KubernetesObject>;
  ownerKeys: (object: KubernetesObject) => string[];
  /** Which changes queue the owner; default all three. */
  events?: CacheEvent[];
}

export interface Controller {
  readonly name: string;
  /** Resolves once the first list is in the cache. */
  start(): Promise<void>;
  readonly synced: boolean;
  stop(): Promise<void>;
}

export const keyOf = (object: KubernetesObject) =>
  object.metadata?.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : `${object.metadata?.name}`;

function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf("/");
  return slash < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Status-only writes (our own included) would otherwise queue every resource again after each reconcile. */
export function metadataChanged(previous: KubernetesObject | undefined, next: KubernetesObject): boolean {
  const a = previous?.metadata;
  const b = next.metadata;
  return (
    a === undefined ||
    a.generation !== b?.generation ||
    a.deletionTimestamp !== b?.deletionTimestamp ||
    JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b?.annotations ?? {}) ||
    JSON.stringify(a.finalizers ?? []) !== JSON.stringify(b?.finalizers ?? [])
  );
}

export function createController<T extends KubernetesObject>(options: ControllerOptions<T>): Controller {
  const { name, logger, metrics } = options;
  const log = logger.child({ controller: name });
  const queue = new WorkQueue({ onDepth: (depth) => metrics.queueDepth.set({ controller: name }, depth) });
  metrics.queueDepth.set({ controller: name }, 0);
  const informer = makeInformer<T>(options.kubeConfig, options.path, options.list);
  const shouldReconcile = options.shouldReconcileUpdate ?? metadataChanged;
  const seen = new Map<string, T>();
  let stopped = false;
  let synced = false;
  let resyncTimer: NodeJS.Timeout | undefined;
  const workers: Promise<void>[] = [];
  const watches = options.watches ?? [];
  for (const { cache, ownerKeys, events } of watches) {
    for (const event of events ?? (["add", "update", "delete"] as const)) {
      cache.on(event, (object) => {
        for (const key of ownerKeys(object)) queue.add(key);
      });
    }
  }

  informer.on("add", (object) => {
    stripManagedFields(object);
    seen.set(keyOf(object), object);
    queue.add(keyOf(object));
  });
  informer.on("update", (object) => {
    stripManagedFields(object);
    const key = keyOf(object);
    const previous = seen.get(key);
    seen.set(key, object);
    if (shouldReconcile(previous, object)) queue.add(key);
  });
  informer.on("delete", (object) => {
    seen.delete(keyOf(object));
    queue.add(keyOf(object));
  });
  // Any error other than 410 (which the informer handles by listing again) stops the ListWatch: start it
  // again after a pause, as client-node's documentation advises, until the controller stops.
  informer.on("error", (error) => {
    if (stopped) return;
    log.warn({ err: error }, "watch failed; listing and watching again in 2 s");
    void sleep(2_000).then(() => {
      if (!stopped) informer.start().catch((e) => log.error({ err: e }, "informer restart failed"));
    });
  });

  async function work(): Promise<void> {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      const { namespace, name: objectName } = splitKey(key);
      const object = informer.get(objectName, namespace);
      const started = performance.now();
      const failures = queue.failuresOf(key);
      const resourceLog = resourceLogger(logger, name, namespace, objectName);
      try {
        const result = await options.reconcile({ key, namespace, name: objectName, object, log: resourceLog, failures });
        queue.forget(key);
        if (result?.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
        metrics.reconcileTotal.inc({ controller: name, result: result?.requeueAfterMs !== undefined ? "requeue" : "success" });
      } catch (error) {
        const delay = queue.addRateLimited(key);
        const reason = (error as { reason?: string }).reason ?? (error as Error).name ?? "Error";
        metrics.reconcileTotal.inc({ controller: name, result: "error" });
        metrics.reconcileErrors.inc({ controller: name, reason });
        resourceLog.warn({ err: error, retryInMs: delay, failures: failures + 1 }, "reconcile failed; retrying with backoff");
      } finally {
        metrics.reconcileDuration.observe({ controller: name }, (performance.now() - started) / 1000);
        queue.done(key);
      }
    }
  }

  return {
    name,
    get synced() {
      return synced && watches.every((w) => w.cache.synced);
    },
    async start() {
      await Promise.all(watches.map((w) => w.cache.start()));
      for (let i = 0; i < options.concurrency; i++) workers.push(work());
      await informer.start();
      synced = true;
      resyncTimer = setInterval(() => {
        for (const object of informer.list()) queue.add(keyOf(object));
      }, options.resyncMs);
      resyncTimer.unref();
      log.info({ path: options.path, objects: informer.list().length }, "controller started");
    },
    async stop() {
      stopped = true;
      clearInterval(resyncTimer);
      await informer.stop();
      queue.shutDown();
      await Promise.all(workers);
      await Promise.all(watches.map((w) => w.cache.stop()));
      log.info("controller stopped; no reconcile in flight");
    },
  };
}
