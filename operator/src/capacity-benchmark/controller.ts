// One reconcile of one CapacityBenchmark: observe (API server, Prometheus), decide (reconcile.ts, pure),
// act (the actions, in order). The runtime's work queue calls `reconcileOnce` per key and requeues after the
// returned seconds; an API error thrown from here is the queue's to retry with backoff. Prometheus failures
// never throw: they become figures {ok: false}, hence a Degraded condition.
import { k6Image } from "../../../k6-operator/generate.ts";
import { setCondition } from "./conditions.ts";
import type { Ports } from "./ports.ts";
import { plateauFigures } from "./queries.ts";
import { type Observation, reconcile } from "./reconcile.ts";
import { ResultsTooLargeError } from "./results-configmap.ts";
import { toBenchResults } from "./results-json.ts";
import { capacityBenchmarkSchema, FINALIZER, type Status } from "./schema.ts";
import { testRunFor } from "./testrun.ts";

/** Seconds of Prometheus data read after a TestRun finished, beyond its own length (scheduling, setup). */
const FIGURES_MARGIN_S = 600;

export async function reconcileOnce(ports: Ports, namespace: string, name: string): Promise<number | null> {
  const raw = await ports.kube.getBenchmark(namespace, name);
  if (!raw) return null;
  const benchmark = capacityBenchmarkSchema.parse(raw);
  const { spec, status } = benchmark;
  const now = ports.clock.now();
  const current = status?.current;
  const [hpa, readyReplicas, testRun, ownedTestRuns] = await Promise.all([
    ports.kube.getHpa(namespace, spec.target.hpa),
    ports.kube.readyReplicas(namespace, spec.target.deployment),
    current ? ports.kube.getTestRun(namespace, current.testRun) : Promise.resolve(null),
    benchmark.metadata.deletionTimestamp && benchmark.metadata.uid
      ? ports.kube.listOwnedTestRuns(namespace, benchmark.metadata.uid)
      : Promise.resolve([]),
  ]);
  const obs: Observation = { now: now.toISOString(), hpa, readyReplicas, testRun, ownedTestRuns };
  if (current && testRun?.stage === "finished") {
    const rangeS = Math.ceil((now.getTime() - Date.parse(current.createdAt)) / 1000) + FIGURES_MARGIN_S;
    try {
      const plateaus = await plateauFigures(
        ports.prometheus(spec.prometheus.url),
        { testId: current.testId, namespace, testRun: current.testRun, deployment: spec.target.deployment, hpa: spec.target.hpa },
        now.getTime() / 1000,
        rangeS,
      );
      obs.figures =
        plateaus.length === current.rates.length
          ? { ok: true, plateaus }
          : { ok: false, error: `${plateaus.length} of ${current.rates.length} plateaus have series for testid ${current.testId}` };
    } catch (error) {
      obs.figures = { ok: false, error: (error as Error).message };
    }
  }

  const decision = reconcile(benchmark, obs);
  let latest = benchmark;
  for (const action of decision.actions) {
    switch (action.type) {
      case "addFinalizer":
        await ports.kube.setFinalizers(namespace, name, [...(benchmark.metadata.finalizers ?? []), FINALIZER]);
        break;
      case "removeFinalizer":
        await ports.kube.setFinalizers(
          namespace,
          name,
          (benchmark.metadata.finalizers ?? []).filter((f) => f !== FINALIZER),
        );
        break;
      case "createTestRun":
        await ports.kube.createTestRun(testRunFor(benchmark, action.request));
        break;
      case "deleteTestRun":
        await ports.kube.deleteTestRun(namespace, action.name);
        break;
      case "setHpaBounds":
        await ports.kube.patchHpa(namespace, spec.target.hpa, action.minReplicas, action.maxReplicas);
        break;
      case "patchStatus":
        await ports.kube.patchStatus(namespace, name, action.status);
        latest = { ...benchmark, status: action.status };
        break;
      case "event":
        // An Event that cannot be written is not worth failing the reconcile for.
        await ports.kube.recordEvent(benchmark, action.eventType, action.reason, action.message).catch(() => undefined);
        break;
      case "writeResults": {
        // decision.status is the object the final patchStatus action writes: where the results went (or why
        // they could not be stored) goes into that same write.
        const results = toBenchResults({ ...latest, status: decision.status }, { k6Image: spec.load.image ?? k6Image() });
        try {
          decision.status.resultsConfigMap = await ports.results.write(latest, results);
        } catch (error) {
          if (!(error instanceof ResultsTooLargeError)) throw error;
          failResults(decision.status, error.message, now.toISOString(), benchmark.metadata.generation);
          await ports.kube.recordEvent(benchmark, "Warning", "ResultsTooLarge", error.message).catch(() => undefined);
        }
        break;
      }
      case "deleteBenchmark":
        await ports.kube.deleteBenchmark(namespace, name);
        break;
    }
  }
  return decision.requeueAfterSeconds;
}

/** results.json cannot be stored: the benchmark fails with a reason (its figures stay in status). */
function failResults(status: Status, message: string, now: string, generation: number | undefined): void {
  status.phase = "Failed";
  delete status.resultsConfigMap;
  status.conditions = setCondition(status.conditions, "Succeeded", "False", "ResultsTooLarge", message, now, generation);
  status.conditions = setCondition(status.conditions, "Degraded", "True", "ResultsTooLarge", message, now, generation);
}
