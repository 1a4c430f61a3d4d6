// A simulated cluster for the pure state machine: it executes reconcile's actions on plain objects (the
// benchmark, its HPA, TestRuns), advances a clock, and plays the k6-operator (TestRun stages) and the HPA.
import type { PlateauFigures } from "../../src/capacity-benchmark/figures.ts";
import {
  type Action,
  type Decision,
  type HpaObservation,
  type Observation,
  reconcile,
  type TestRunStage,
} from "../../src/capacity-benchmark/reconcile.ts";
import { API_VERSION, type CapacityBenchmark, FINALIZER, KIND, type SpecInput, specSchema } from "../../src/capacity-benchmark/schema.ts";

export interface FakeTestRun {
  name: string;
  stage?: TestRunStage;
  rates: number[];
  noConnectionReuse: boolean;
}

export class World {
  now = Date.parse("2026-01-01T00:00:00Z");
  benchmark: CapacityBenchmark;
  hpa: HpaObservation | null = { minReplicas: 1, maxReplicas: 5, currentReplicas: 1, desiredReplicas: 1 };
  readyReplicas: number | null = 1;
  testRuns = new Map<string, FakeTestRun>();
  created: string[] = [];
  deleted: string[] = [];
  events: { eventType: string; reason: string; message: string }[] = [];
  hpaWrites: { minReplicas: number | null; maxReplicas: number; why: string }[] = [];
  results = 0;
  benchmarkDeleted = false;
  /** Figures per offered rate: what Prometheus would answer. */
  figuresFor: (rate: number, startedAt: string, endedAt: string) => PlateauFigures = defaultFigures();
  prometheusDown = false;

  constructor(spec: SpecInput) {
    this.benchmark = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name: "bench", namespace: "otp", uid: "0123abcd-4567-89ef-0000-000000000000", generation: 1, finalizers: [] },
      spec: specSchema.parse(spec),
    };
  }

  observe(): Observation {
    const name = this.benchmark.status?.current?.testRun;
    const tr = name ? this.testRuns.get(name) : undefined;
    const obs: Observation = {
      now: new Date(this.now).toISOString(),
      hpa: this.hpa ? { ...this.hpa } : null,
      readyReplicas: this.readyReplicas,
      testRun: tr ? { name: tr.name, ...(tr.stage ? { stage: tr.stage } : {}) } : null,
      ownedTestRuns: [...this.testRuns.keys()],
    };
    const current = this.benchmark.status?.current;
    if (tr?.stage === "finished" && current) {
      if (this.prometheusDown) obs.figures = { ok: false, error: "connect ECONNREFUSED 127.0.0.1:9090" };
      else {
        const start = Date.parse(current.startedAt ?? current.createdAt) + current.warmupSeconds * 1000;
        obs.figures = {
          ok: true,
          plateaus: current.rates.map((rate, i) =>
            this.figuresFor(
              rate,
              new Date(start + i * current.plateauSeconds * 1000).toISOString(),
              new Date(start + (i + 1) * current.plateauSeconds * 1000).toISOString(),
            ),
          ),
        };
      }
    }
    return obs;
  }

  /** One reconcile; `crashAfter` executes only that many actions (a controller killed mid-way). */
  step(crashAfter?: number): Decision {
    const decision = reconcile(structuredClone(this.benchmark), this.observe());
    const actions = crashAfter === undefined ? decision.actions : decision.actions.slice(0, crashAfter);
    for (const action of actions) this.apply(action);
    return decision;
  }

  apply(action: Action): void {
    const meta = this.benchmark.metadata;
    switch (action.type) {
      case "addFinalizer":
        meta.finalizers = [...(meta.finalizers ?? []), FINALIZER];
        break;
      case "removeFinalizer":
        meta.finalizers = (meta.finalizers ?? []).filter((f) => f !== FINALIZER);
        break;
      case "createTestRun":
        // AlreadyExists is success: the name is deterministic.
        if (!this.testRuns.has(action.request.name)) {
          this.testRuns.set(action.request.name, {
            name: action.request.name,
            rates: action.request.rates,
            noConnectionReuse: action.request.noConnectionReuse,
          });
          this.created.push(action.request.name);
        }
        break;
      case "deleteTestRun":
        if (this.testRuns.delete(action.name)) this.deleted.push(action.name);
        break;
      case "setHpaBounds":
        if (!this.hpa) throw new Error("no HPA");
        this.hpa = { ...this.hpa, minReplicas: action.minReplicas, maxReplicas: action.maxReplicas };
        this.hpaWrites.push({ minReplicas: action.minReplicas, maxReplicas: action.maxReplicas, why: action.why });
        break;
      case "patchStatus":
        this.benchmark.status = structuredClone(action.status);
        break;
      case "event":
        this.events.push(action);
        break;
      case "writeResults":
        this.results++;
        break;
      case "deleteBenchmark":
        this.benchmarkDeleted = true;
        break;
    }
  }

  /** The HPA and kubelet: replicas follow the HPA's bounds. */
  actAsHpa(): void {
    if (!this.hpa) return;
    const replicas = Math.min(Math.max(this.hpa.currentReplicas ?? 1, this.hpa.minReplicas ?? 1), this.hpa.maxReplicas);
    this.hpa = { ...this.hpa, currentReplicas: replicas, desiredReplicas: replicas };
    this.readyReplicas = replicas;
  }

  /** The k6-operator: a new TestRun goes straight to started, then to finished once its main phase is over. */
  actAsK6Operator(): void {
    const current = this.benchmark.status?.current;
    for (const tr of this.testRuns.values()) {
      if (!tr.stage) tr.stage = "started";
      else if (tr.stage === "started" && current?.testRun === tr.name && current.startedAt) {
        const elapsed = (this.now - Date.parse(current.startedAt)) / 1000;
        if (elapsed >= current.warmupSeconds + current.rates.length * current.plateauSeconds) tr.stage = "finished";
      }
    }
  }

  advance(seconds: number): void {
    this.now += seconds * 1000;
  }

  /** Reconcile, act as the cluster, advance by the requeue, until the benchmark ends (or `limit` passes). */
  runToEnd(limit = 500, hooks: { k6?: boolean } = {}): void {
    for (let i = 0; i < limit; i++) {
      const decision = this.step();
      const phase = this.benchmark.status?.phase;
      if (phase === "Succeeded" || phase === "Failed") return;
      this.actAsHpa();
      if (hooks.k6 !== false) this.actAsK6Operator();
      this.advance(Math.max(1, decision.requeueAfterSeconds ?? 5));
    }
    throw new Error(`not finished after ${limit} reconciles: ${JSON.stringify(this.benchmark.status?.conditions)}`);
  }
}

/** A service whose p99 rises past 50 ms above 600 req/s; runners stay cool. */
export function defaultFigures(p99At: (rate: number) => number = (rate) => (rate <= 600 ? 8 : 120), runnerCpu = (_rate: number) => 0.3) {
  return (rate: number, startedAt: string, endedAt: string): PlateauFigures => ({
    offeredRps: rate,
    startedAt,
    endedAt,
    durationS: 7,
    requests: rate * 7,
    failedRequests: 0,
    droppedIterations: 0,
    latencyMs: { avg: p99At(rate) / 3, p50: p99At(rate) / 4, p95: p99At(rate) / 2, p99: p99At(rate), max: p99At(rate) * 2 },
    serviceCpuCores: rate / 1000,
    runnerCpuCores: runnerCpu(rate),
    runnerCpuCoresTotal: runnerCpu(rate) * 2,
    hpaDesiredReplicas: null,
    readyReplicasMin: null,
    readyReplicasMax: null,
    podRequestShareMin: null,
  });
}

export const baseSpec = (overrides: Partial<SpecInput> = {}): SpecInput => ({
  target: { deployment: "otp-otp-service", hpa: "otp-otp-service", serviceUrl: "http://otp-otp-service.otp.svc:8080" },
  steps: [{ script: "02-express-hello", rates: [200, 400, 600, 800, 1000], warmupSeconds: 4, plateauSeconds: 7 }],
  scaling: { mode: "Fixed", replicas: 3, settleSeconds: 10 },
  prometheus: { url: "http://prometheus:9090" },
  ...overrides,
});
