// What `helm template` renders, for the defaults and each profile: probes, shutdown budget,
// hardening, autoscaling, disruption budget, hooks, images, labels, names, configuration.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { environmentSchema } from "../../app/src/config/schema.ts";
import { type KubeObject, type Profile, type RenderOptions, renderChart } from "./render.ts";

const PROFILES: Profile[] = ["default", "bench", "production"];
const STANDARD_LABELS = ["name", "instance", "version", "component", "part-of", "managed-by"].map((key) => `app.kubernetes.io/${key}`);
// The sampler is the service's own setting (app/src/config/schema.ts); the exporter is the SDK's.
const OTEL_SDK_VARIABLES = ["OTEL_EXPORTER_OTLP_ENDPOINT"];
const NAMESPACED_KINDS = new Set([
  "ConfigMap",
  "Deployment",
  "HorizontalPodAutoscaler",
  "Job",
  "NetworkPolicy",
  "Pod",
  "PodDisruptionBudget",
  "PrometheusRule",
  "Secret",
  "Service",
  "ServiceAccount",
  "ServiceMonitor",
  "StatefulSet",
]);

interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  args?: string[];
  command?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  ports?: { name: string; containerPort: number }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string }[];
}
interface Probe {
  httpGet?: { path: string; port: string };
}
interface PodSpec {
  containers: Container[];
  serviceAccountName?: string;
  securityContext?: Record<string, unknown>;
  terminationGracePeriodSeconds?: number;
  volumes?: { name: string; emptyDir?: unknown }[];
  topologySpreadConstraints?: { topologyKey: string; labelSelector: unknown }[];
}

const cache = new Map<string, Promise<KubeObject[]>>();
/** Renders once per distinct input; tests share the result. */
function render(profile: Profile, options: RenderOptions = {}, release = "otp", namespace = "lab"): Promise<KubeObject[]> {
  const key = JSON.stringify([profile, options, release, namespace]);
  let objects = cache.get(key);
  if (!objects) {
    objects = renderChart(profile, release, namespace, options);
    cache.set(key, objects);
  }
  return objects;
}

function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const object = objects.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
  if (!object) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`);
  return object;
}
const findAll = (objects: KubeObject[], kind: string) => objects.filter((object) => object.kind === kind);

/** The Pod spec of any workload kind. */
function podSpec(object: KubeObject): PodSpec | undefined {
  if (object.kind === "Pod") return object.spec as PodSpec;
  const spec = object.spec as { template?: { spec: PodSpec } } | undefined;
  if (object.kind === "Job" || object.kind === "Deployment" || object.kind === "StatefulSet") return spec?.template?.spec;
  return undefined;
}

const server = (objects: KubeObject[]) => find(objects, "Deployment", "otp-otp-service");
const serverContainer = (objects: KubeObject[]) => (podSpec(server(objects)) as PodSpec).containers[0] as Container;
const configData = (objects: KubeObject[]) =>
  (find(objects, "ConfigMap", "otp-otp-service") as unknown as { data: Record<string, string> }).data;
const env = (container: Container, name: string) => container.env?.find((entry) => entry.name === name);

describe.each(PROFILES)("the %s profile", (profile) => {
  it("probes the right paths on the http port", async () => {
    const container = serverContainer(await render(profile));
    expect(container.args).toEqual(["serve"]);
    expect(container.ports).toEqual([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
    expect(container.startupProbe?.httpGet).toEqual({ path: "/live", port: "http" });
    expect(container.livenessProbe?.httpGet).toEqual({ path: "/live", port: "http" });
    expect(container.readinessProbe?.httpGet).toEqual({ path: "/ready", port: "http" });
  });

  it("drains in a native preStop sleep, with the app's own delay at 0 and a grace period above the budget", async () => {
    const objects = await render(profile);
    const container = serverContainer(objects);
    expect(container.lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    expect(configData(objects).SHUTDOWN_DRAIN_DELAY_MS).toBe("0");
    expect(configData(objects).SHUTDOWN_TIMEOUT_MS).toBe("10000");
    // 5 s drain + 2 × 10 s (in-flight, then clients) + 5 s margin
    expect(podSpec(server(objects))?.terminationGracePeriodSeconds).toBe(30);
  });

  it("hardens every Pod: non-root, no privilege escalation, read-only root, no capabilities, RuntimeDefault seccomp", async () => {
    const objects = await render(profile);
    const workloads = objects.filter((object) => podSpec(object));
    expect(workloads.length).toBeGreaterThan(2);
    for (const workload of workloads) {
      const spec = podSpec(workload) as PodSpec;
      const where = `${workload.kind}/${workload.metadata.name}`;
      expect(spec.securityContext, where).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
      expect((spec.securityContext as { runAsUser: number }).runAsUser, where).toBeGreaterThan(0);
      expect((spec as { automountServiceAccountToken?: boolean }).automountServiceAccountToken, where).toBe(false);
      for (const container of spec.containers) {
        expect(container.securityContext, `${where} ${container.name}`).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ["ALL"] },
          seccompProfile: { type: "RuntimeDefault" },
        });
        expect(container.volumeMounts, `${where} ${container.name}`).toContainEqual({ name: "tmp", mountPath: "/tmp" });
      }
      expect(spec.volumes?.find((volume) => volume.name === "tmp")?.emptyDir, where).toBeDefined();
    }
    const service = podSpec(server(objects)) as PodSpec;
    expect(service.securityContext).toMatchObject({ runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 });
    expect(serverContainer(objects).securityContext).toMatchObject({ runAsUser: 10001 });
  });

  it("never uses :latest, pins every image and pulls IfNotPresent", async () => {
    const objects = await render(profile);
    for (const workload of objects.filter((object) => podSpec(object))) {
      for (const container of (podSpec(workload) as PodSpec).containers) {
        expect(container.image, container.name).toMatch(/^[^:@]+:[A-Za-z0-9_][A-Za-z0-9_.-]*(@sha256:[a-f0-9]{64})?$/);
        expect(container.image, container.name).not.toMatch(/:latest\b/);
        expect(container.imagePullPolicy, container.name).toBe("IfNotPresent");
      }
    }
  });

  it("puts the standard labels and the release namespace on every object, and no cluster-scoped kinds", async () => {
    const objects = await render(profile);
    for (const object of objects) {
      const where = `${object.kind}/${object.metadata.name}`;
      expect(NAMESPACED_KINDS.has(object.kind), `${where} is not a known namespaced kind`).toBe(true);
      expect(object.metadata.namespace, where).toBe("lab");
      for (const label of STANDARD_LABELS) expect(object.metadata.labels?.[label], `${where} ${label}`).toBeTruthy();
      expect(object.metadata.labels?.["app.kubernetes.io/instance"], where).toBe("otp");
      expect(object.metadata.labels?.["app.kubernetes.io/part-of"], where).toBe("otp-capacity-lab");
      expect(object.metadata.labels?.["app.kubernetes.io/managed-by"], where).toBe("Helm");
      expect(object.metadata.name.startsWith("otp-otp-service"), where).toBe(true);
      const template = (object.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined)?.template;
      if (template) for (const label of STANDARD_LABELS) expect(template.metadata?.labels?.[label], `${where} pod ${label}`).toBeTruthy();
    }
  });

  it("runs the migrations as a hook Job that is replaced before each run", async () => {
    const job = find(await render(profile), "Job", "otp-otp-service-migrate");
    const hooks = (job.metadata.annotations?.["helm.sh/hook"] ?? "").split(",");
    expect(hooks).toContain("pre-upgrade");
    // Pre-install needs the database and the Secret to exist before the release: only production has both.
    expect(hooks).toContain(profile === "production" ? "pre-install" : "post-install");
    expect(job.metadata.annotations?.["helm.sh/hook-delete-policy"]).toBe("before-hook-creation,hook-succeeded");
    // A pre-install hook runs before the release's ServiceAccount exists.
    expect(podSpec(job)?.serviceAccountName).toBe(profile === "production" ? "default" : "otp-otp-service");
    const container = (podSpec(job) as PodSpec).containers[0] as Container;
    expect(container.args).toEqual(["migrate"]);
    expect(env(container, "DATABASE_URL")?.valueFrom?.secretKeyRef?.key).toBe("DATABASE_URL");
  });

  it("has a helm test Pod that checks /ready and /health through the Service with node", async () => {
    const objects = await render(profile);
    const pod = find(objects, "Pod", "otp-otp-service-test");
    expect(pod.metadata.annotations?.["helm.sh/hook"]).toBe("test");
    const container = (podSpec(pod) as PodSpec).containers[0] as Container;
    expect(container.command?.slice(0, 2)).toEqual(["node", "-e"]);
    expect(container.command?.[2]).toContain('"/ready", "/health"');
    const service = find(objects, "Service", "otp-otp-service") as unknown as { spec: { ports: { port: number }[] } };
    expect(env(container, "TARGET")?.value).toBe(`http://otp-otp-service:${service.spec.ports[0]?.port}`);
  });

  it("renders a configuration the service's own schema accepts, covering every non-secret variable", async () => {
    const objects = await render(profile);
    const data = configData(objects);
    const secrets = { OTP_SECRET: "x".repeat(48), DATABASE_URL: "postgres://u:p@db:5432/otp", REDIS_URL: "redis://:p@cache:6379" };
    const environment = Object.fromEntries(Object.entries({ ...data, ...secrets }).filter(([, value]) => value !== ""));
    expect(environmentSchema.safeParse(environment).error).toBeUndefined();
    // The OpenTelemetry SDK reads its own variables (app/src/telemetry/tracing.ts); the rest is the app's schema.
    const expected = [...Object.keys(environmentSchema.shape), ...OTEL_SDK_VARIABLES];
    expect(Object.keys({ ...data, ...secrets }).sort()).toEqual(expected.sort());
  });

  it("spreads the service Pods over zones and nodes", async () => {
    const spread = (podSpec(server(await render(profile))) as PodSpec).topologySpreadConstraints;
    expect(spread?.map((constraint) => constraint.topologyKey)).toEqual(["topology.kubernetes.io/zone", "kubernetes.io/hostname"]);
  });

  it("gives every name to this release only: two releases in two namespaces never collide", async () => {
    const [a, b] = await Promise.all([render(profile, {}, "a", "one"), render(profile, {}, "b", "two")]);
    const names = (objects: KubeObject[], namespace: string) =>
      objects.map((object) => {
        expect(object.metadata.namespace).toBe(namespace);
        return `${object.kind}/${object.metadata.name}`;
      });
    const namesA = names(a, "one");
    const namesB = names(b, "two");
    expect(new Set(namesA).size).toBe(namesA.length);
    expect(namesA.filter((name) => namesB.includes(name))).toEqual([]);
    // Selectors too: release a's Services, policies and budgets never select release b's Pods.
    expect(JSON.stringify(b)).not.toContain('"app.kubernetes.io/instance":"a"');
  });
});

describe("replicas, autoscaling and the disruption budget", () => {
  it.each([
    ["default", {}, 2, 6],
    ["bench", {}, 1, 4],
    ["production", {}, 3, 12],
  ] as const)("%s: an HPA (autoscaling/v2) on CPU for the Deployment, %i–%i", async (profile, options, min, max) => {
    const objects = await render(profile, options);
    const hpa = find(objects, "HorizontalPodAutoscaler", "otp-otp-service");
    expect(hpa.apiVersion).toBe("autoscaling/v2");
    expect(hpa.spec).toMatchObject({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "otp-otp-service" },
      minReplicas: min,
      maxReplicas: max,
      metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
    });
    // The HPA owns the replica count.
    expect((server(objects).spec as { replicas?: number }).replicas).toBeUndefined();
  });

  it("adds the request-rate Pods metric when asked", async () => {
    const hpa = find(
      await render("bench", { set: { "autoscaling.requestRate.enabled": true, "autoscaling.requestRate.averageValue": "250" } }),
      "HorizontalPodAutoscaler",
      "otp-otp-service",
    );
    expect((hpa.spec as { metrics: unknown[] }).metrics).toContainEqual({
      type: "Pods",
      pods: { metric: { name: "http_server_requests_per_second" }, target: { type: "AverageValue", averageValue: "250" } },
    });
  });

  it("uses replicaCount without an HPA", async () => {
    const objects = await render("default", { set: { "autoscaling.enabled": false, replicaCount: 4 } });
    expect(findAll(objects, "HorizontalPodAutoscaler")).toEqual([]);
    expect((server(objects).spec as { replicas?: number }).replicas).toBe(4);
  });

  it.each([
    ["default (HPA min 2)", "default", {}, true],
    ["bench (HPA min 1)", "bench", {}, false],
    ["production (HPA min 3)", "production", {}, true],
    ["1 fixed replica", "default", { "autoscaling.enabled": false, replicaCount: 1 }, false],
    ["3 fixed replicas", "default", { "autoscaling.enabled": false, replicaCount: 3 }, true],
    ["HPA min 1", "default", { "autoscaling.minReplicas": 1 }, false],
    ["turned off", "production", { "podDisruptionBudget.enabled": false }, false],
  ] as const)("PDB only above one replica: %s", async (_, profile, set, present) => {
    const pdbs = findAll(await render(profile, { set }), "PodDisruptionBudget");
    expect(pdbs.length).toBe(present ? 1 : 0);
    if (present)
      expect(pdbs[0]?.spec).toMatchObject({ maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/component": "server" } } });
  });
});

describe("the shutdown budget", () => {
  const seconds = (ms: number) => Math.ceil(ms / 1000);
  it.each([
    [0, 100],
    [1, 100],
    [1500, 2500],
    [5000, 10000],
    [29_999, 45_001],
    [300_000, 600_000],
  ])("drainDelayMs=%i, timeoutMs=%i: the grace period outlasts drain + both timeouts", async (drainDelayMs, timeoutMs) => {
    for (const preStopSleep of [true, false]) {
      const objects = await render("default", {
        set: { "shutdown.drainDelayMs": drainDelayMs, "shutdown.timeoutMs": timeoutMs, "shutdown.preStopSleep": preStopSleep },
      });
      const grace = (podSpec(server(objects)) as PodSpec).terminationGracePeriodSeconds as number;
      expect(grace).toBeGreaterThan(seconds(drainDelayMs) + seconds(timeoutMs));
      expect(grace * 1000).toBeGreaterThan(drainDelayMs + 2 * timeoutMs);
      const container = serverContainer(objects);
      const data = configData(objects);
      if (preStopSleep && drainDelayMs > 0) {
        expect(container.lifecycle?.preStop?.sleep?.seconds).toBe(seconds(drainDelayMs));
        expect(data.SHUTDOWN_DRAIN_DELAY_MS).toBe("0");
      } else {
        expect(container.lifecycle).toBeUndefined();
        expect(data.SHUTDOWN_DRAIN_DELAY_MS).toBe(String(drainDelayMs));
      }
      expect(data.SHUTDOWN_TIMEOUT_MS).toBe(String(timeoutMs));
    }
  });
});

describe("profile specifics", () => {
  it("bench: layer endpoints, in-cluster PostgreSQL, Redis and mock SMS, monitoring", async () => {
    const objects = await render("bench");
    const data = configData(objects);
    expect(data.LAYER_ENDPOINTS_ENABLED).toBe("true");
    expect(data.SMS_PROVIDER_URL).toBe("http://otp-otp-service-mock-sms:8090");
    const mock = find(objects, "Deployment", "otp-otp-service-mock-sms");
    expect((podSpec(mock) as PodSpec).containers[0]?.args).toEqual(["mock-sms"]);
    expect((find(objects, "Service", "otp-otp-service-mock-sms").spec as { ports: { port: number }[] }).ports[0]?.port).toBe(8090);
    for (const name of ["postgresql", "redis"]) {
      const statefulSet = find(objects, "StatefulSet", `otp-otp-service-${name}`);
      expect((statefulSet.spec as { volumeClaimTemplates: unknown[] }).volumeClaimTemplates).toHaveLength(1);
      find(objects, "Service", `otp-otp-service-${name}`);
    }
    expect(find(objects, "StatefulSet", "otp-otp-service-postgresql").spec).toMatchObject({
      template: { spec: { containers: [{ image: "postgres:17.6-alpine" }] } },
    });
    find(objects, "ServiceMonitor", "otp-otp-service");
    find(objects, "PrometheusRule", "otp-otp-service");
  });

  it("bench: DATABASE_URL and REDIS_URL carry the passwords the in-cluster servers get", async () => {
    const objects = await render("bench");
    const secret = (name: string, key: string) =>
      Buffer.from((find(objects, "Secret", name) as unknown as { data: Record<string, string> }).data[key] ?? "", "base64").toString();
    const postgresPassword = secret("otp-otp-service-postgresql", "POSTGRES_PASSWORD");
    const redisPassword = secret("otp-otp-service-redis", "REDIS_PASSWORD");
    expect(postgresPassword).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(secret("otp-otp-service", "DATABASE_URL")).toBe(`postgres://otp:${postgresPassword}@otp-otp-service-postgresql:5432/otp`);
    expect(secret("otp-otp-service", "REDIS_URL")).toBe(`redis://:${redisPassword}@otp-otp-service-redis:6379`);
    expect(secret("otp-otp-service", "OTP_SECRET").length).toBeGreaterThanOrEqual(32);
  });

  it("production: external databases via the existing Secret, no mock, no test endpoints, caller trace context not trusted", async () => {
    const objects = await render("production");
    const data = configData(objects);
    expect(data.LAYER_ENDPOINTS_ENABLED).toBe("false");
    expect(data.TEST_ERROR_ENDPOINT_ENABLED).toBe("false");
    expect(data.TRUST_INBOUND_TRACE_CONTEXT).toBe("false");
    // Node ignores a headers timeout that is not below the request timeout.
    expect(Number(data.HTTP_HEADERS_TIMEOUT_MS)).toBeLessThan(Number(data.HTTP_REQUEST_TIMEOUT_MS));
    expect(data.SMS_PROVIDER_URL).toBe("https://sms-provider.example.com");
    expect(findAll(objects, "StatefulSet")).toEqual([]);
    expect(findAll(objects, "Secret")).toEqual([]);
    expect(objects.filter((object) => object.metadata.name.includes("mock-sms"))).toEqual([]);
    for (const key of ["OTP_SECRET", "DATABASE_URL", "REDIS_URL"]) {
      expect(env(serverContainer(objects), key)?.valueFrom?.secretKeyRef).toEqual({ name: "otp-service-secrets", key });
    }
  });

  it("default: production-safe (no layer endpoints) yet self-contained", async () => {
    const objects = await render("default");
    expect(configData(objects).LAYER_ENDPOINTS_ENABLED).toBe("false");
    expect(configData(objects).TEST_ERROR_ENDPOINT_ENABLED).toBe("false");
    expect(findAll(objects, "StatefulSet").map((object) => object.metadata.name)).toEqual([
      "otp-otp-service-postgresql",
      "otp-otp-service-redis",
    ]);
    expect(findAll(objects, "ServiceMonitor")).toEqual([]);
    expect(findAll(objects, "PrometheusRule")).toEqual([]);
  });

  it("a separate worker (the default) turns the service's own worker off", async () => {
    const objects = await render("bench", { set: { "worker.enabled": true, "worker.replicaCount": 2 } });
    expect(configData(objects).SMS_WORKER_ENABLED).toBe("false");
    const worker = find(objects, "Deployment", "otp-otp-service-worker");
    expect((worker.spec as { replicas: number }).replicas).toBe(2);
    const container = (podSpec(worker) as PodSpec).containers[0] as Container;
    expect(container.args).toEqual(["worker"]);
    expect(env(container, "SHUTDOWN_DRAIN_DELAY_MS")?.value).toBe("0");
    expect(container.readinessProbe?.httpGet?.path).toBe("/ready");
    find(objects, "Service", "otp-otp-service-worker");
    // The default since the worker-split benchmark: a Deployment of its own.
    find(await render("bench"), "Deployment", "otp-otp-service-worker");
    const inProcess = await render("bench", { set: { "worker.enabled": false } });
    expect(configData(inProcess).SMS_WORKER_ENABLED).toBe("true");
    expect(findAll(inProcess, "Deployment").map((d) => d.metadata.name)).not.toContain("otp-otp-service-worker");
  });
});

describe("network policy and monitoring", () => {
  interface Rule {
    ports?: { port: number; protocol: string }[];
    to?: { podSelector?: { matchLabels: Record<string, string> } }[];
  }
  const egress = async (profile: Profile) =>
    (find(await render(profile), "NetworkPolicy", "otp-otp-service").spec as { egress: Rule[] }).egress;
  const ports = (rules: Rule[]) => rules.flatMap((rule) => rule.ports?.map((port) => port.port) ?? []);

  it("lets port 8080 in from the cluster and only DNS, PostgreSQL, Redis and the SMS provider out", async () => {
    const policy = find(await render("bench"), "NetworkPolicy", "otp-otp-service");
    expect(policy.spec).toMatchObject({
      policyTypes: ["Ingress", "Egress"],
      // Any Pod by default; the metrics and load-generator peers and the helm test are always there too.
      ingress: [
        {
          ports: [{ port: 8080, protocol: "TCP" }],
          from: [{ namespaceSelector: {} }, expect.anything(), expect.anything(), expect.anything()],
        },
      ],
    });
    const bench = await egress("bench");
    expect(ports(bench)).toEqual([53, 53, 5432, 6379, 8090]);
    const inRelease = bench.slice(1).map((rule) => rule.to?.[0]?.podSelector?.matchLabels["app.kubernetes.io/component"]);
    expect(inRelease).toEqual(["postgresql", "redis", "mock-sms"]);
    expect(ports(await egress("production"))).toEqual([53, 53, 5432, 6379, 443]);
  });

  it("allows OTLP only when an exporter is configured", async () => {
    const rules = (
      find(
        await render("production", { set: { "config.otel.exporterOtlpEndpoint": "http://otel:4318" } }),
        "NetworkPolicy",
        "otp-otp-service",
      ).spec as { egress: Rule[] }
    ).egress;
    expect(ports(rules)).toContain(4318);
  });

  it("scrapes /metrics of the service and the worker", async () => {
    const monitor = find(await render("bench"), "ServiceMonitor", "otp-otp-service");
    expect(monitor.spec).toMatchObject({
      endpoints: [{ port: "http", path: "/metrics" }],
      namespaceSelector: { matchNames: ["lab"] },
      selector: { matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: ["server", "worker"] }] },
    });
  });

  it("alerts on SLO burn rates and saturation, scoped to this release", async () => {
    const rule = find(await render("bench"), "PrometheusRule", "otp-otp-service");
    const rules = (
      rule.spec as { groups: { rules: { alert: string; expr: string; annotations: Record<string, string> }[] }[] }
    ).groups.flatMap((group) => group.rules);
    const exprOf = (alert: string) => rules.find((candidate) => candidate.alert === alert)?.expr ?? "";
    expect(rules.map((candidate) => candidate.alert)).toEqual([
      "OtpServiceErrorBudgetBurnFast",
      "OtpServiceErrorBudgetBurnSlow",
      "OtpServiceLatencyBudgetBurnFast",
      "OtpServiceLatencyBudgetBurnSlow",
      "OtpServiceEventLoopLagHigh",
      "OtpServicePostgresPoolWaiting",
      "OtpServiceSmsStreamLag",
      "OtpServiceSmsBacklogOld",
      "OtpServiceSmsDeadLetters",
      "OtpServicePodRestarts",
    ]);
    expect(exprOf("OtpServiceErrorBudgetBurnFast")).toContain(
      'http_server_request_duration_seconds_count{namespace="lab",service="otp-otp-service"',
    );
    expect(exprOf("OtpServiceErrorBudgetBurnFast")).toContain("(14.4 * (1 - 0.999))");
    expect(exprOf("OtpServiceLatencyBudgetBurnSlow")).toContain(
      'http_server_request_duration_seconds_bucket{namespace="lab",service="otp-otp-service",route=~"/v1/.*",le="0.25"}',
    );
    expect(exprOf("OtpServiceEventLoopLagHigh")).toContain("nodejs_eventloop_lag_p99_seconds");
    expect(exprOf("OtpServicePostgresPoolWaiting")).toContain(
      'pg_pool_connections{namespace="lab",service=~"otp-otp-service|otp-otp-service-worker",state="waiting"}',
    );
    expect(exprOf("OtpServiceSmsStreamLag")).toContain("sms_stream_lag");
    expect(exprOf("OtpServicePodRestarts")).toContain("kube_pod_container_status_restarts_total");
    // Prometheus' own templating reaches the rule untouched.
    expect(rules.find((candidate) => candidate.alert === "OtpServiceEventLoopLagHigh")?.annotations.description).toContain(
      "{{ $labels.pod }}",
    );
  });
});

describe("optional settings", () => {
  const everything = {
    commonLabels: { team: "otp" },
    podLabels: { tier: "api" },
    podAnnotations: { "example.com/note": "yes" },
    imagePullSecrets: [{ name: "registry" }],
    nodeSelector: { "kubernetes.io/os": "linux" },
    tolerations: [{ key: "dedicated", operator: "Equal", value: "otp", effect: "NoSchedule" }],
    affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [] } },
    priorityClassName: "high",
    extraEnv: [{ name: "EXTRA", value: "1" }],
    serviceAccount: { annotations: { "iam.example.com/role": "otp" } },
    service: { annotations: { "example.com/lb": "internal" } },
    autoscaling: { behavior: { scaleDown: { stabilizationWindowSeconds: 120 } } },
    image: { tag: "1.2.3", digest: `sha256:${"a".repeat(64)}` },
    networkPolicy: {
      ingressFrom: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "edge" } } }],
      egress: { redis: { to: [{ ipBlock: { cidr: "10.0.0.0/8" } }] }, extra: [{ ports: [{ port: 9999 }] }] },
    },
    postgresql: { persistence: { storageClassName: "fast" } },
  };

  it("places every optional block where it belongs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "otp-optional-"));
    // JSON is YAML: Helm reads it as a values file.
    const file = join(dir, "values.json");
    writeFileSync(file, JSON.stringify({ ...everything, redis: { enabled: false }, secrets: { redisUrl: "redis://cache:6379" } }));
    const objects = await render("default", { valuesFiles: [file] }).finally(() => rmSync(dir, { recursive: true, force: true }));
    for (const object of objects) expect(object.metadata.labels?.team, object.metadata.name).toBe("otp");
    const deployment = server(objects);
    const template = (
      deployment.spec as {
        template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: Record<string, unknown> };
      }
    ).template;
    expect(template.metadata.labels.tier).toBe("api");
    expect(template.metadata.annotations["example.com/note"]).toBe("yes");
    expect(template.spec).toMatchObject({
      imagePullSecrets: [{ name: "registry" }],
      nodeSelector: { "kubernetes.io/os": "linux" },
      tolerations: everything.tolerations,
      affinity: everything.affinity,
      priorityClassName: "high",
    });
    const container = serverContainer(objects);
    expect(container.image).toBe(`otp-capacity-lab/otp-service:1.2.3@sha256:${"a".repeat(64)}`);
    expect(deployment.metadata.labels?.["app.kubernetes.io/version"]).toBe("1.2.3");
    expect(env(container, "EXTRA")?.value).toBe("1");
    expect(find(objects, "ServiceAccount", "otp-otp-service").metadata.annotations).toEqual({ "iam.example.com/role": "otp" });
    expect(find(objects, "Service", "otp-otp-service").metadata.annotations).toEqual({ "example.com/lb": "internal" });
    expect(find(objects, "HorizontalPodAutoscaler", "otp-otp-service").spec).toMatchObject({ behavior: everything.autoscaling.behavior });
    const policy = find(objects, "NetworkPolicy", "otp-otp-service").spec as { ingress: { from: unknown[] }[]; egress: unknown[] };
    expect(policy.ingress[0]?.from[0]).toEqual(everything.networkPolicy.ingressFrom[0]);
    expect(policy.egress).toContainEqual({ ports: [{ port: 6379, protocol: "TCP" }], to: [{ ipBlock: { cidr: "10.0.0.0/8" } }] });
    expect(policy.egress).toContainEqual({ ports: [{ port: 9999 }] });
    const claim = (find(objects, "StatefulSet", "otp-otp-service-postgresql").spec as { volumeClaimTemplates: { spec: unknown }[] })
      .volumeClaimTemplates[0];
    expect(claim?.spec).toMatchObject({ storageClassName: "fast" });
  });

  it("leaves empty optional blocks out entirely", async () => {
    const spec = (server(await render("default")).spec as { template: { spec: Record<string, unknown> } }).template.spec;
    for (const key of ["imagePullSecrets", "nodeSelector", "tolerations", "affinity", "priorityClassName"])
      expect(spec, key).not.toHaveProperty(key);
  });
});
