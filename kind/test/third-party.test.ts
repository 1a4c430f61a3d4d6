// charts/third-party: every third-party chart pinned once, exactly, in versions.yaml; every values file parses
// and configures what the lab relies on; kind/kind-up.sh reads the charts from versions.yaml.
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type ChartPin, charts, REPO_ROOT, read } from "./repo.ts";

const THIRD_PARTY = join(REPO_ROOT, "charts", "third-party");
const pin = (chart: string) => charts.find((c) => c.chart === chart) as ChartPin;
// biome-ignore lint/suspicious/noExplicitAny: values files are free-form YAML, read field by field below.
const values = (chart: string): any => parse(read(`charts/third-party/${pin(chart).values}`));

describe("charts/third-party/versions.yaml", () => {
  it("pins the lab's charts, each with every field", () => {
    expect(charts.map((c) => c.chart)).toEqual([
      "metrics-server",
      "kube-prometheus-stack",
      "loki",
      "tempo",
      "jaeger",
      "alloy",
      "k6-operator",
    ]);
    for (const c of charts) {
      expect(Object.keys(c).sort(), c.chart).toEqual(["chart", "namespace", "release", "repo", "url", "values", "version", "why"]);
      expect(c.why.length, c.chart).toBeGreaterThan(20);
      expect(c.url, c.chart).toMatch(/^https:\/\/[a-z0-9.-]+\.[a-z]+\/[\w./-]*$/);
    }
    expect(new Set(charts.map((c) => c.release)).size).toBe(charts.length);
  });

  it("gives every chart an exact version: no range, no latest, no prerelease", () => {
    for (const c of charts) expect(String(c.version), c.chart).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("uses one URL per repository name, and the repositories the charts live in since the 2026 moves", () => {
    const urls = new Map<string, Set<string>>();
    for (const c of charts) urls.set(c.repo, (urls.get(c.repo) ?? new Set()).add(c.url));
    for (const [repo, set] of urls) expect(set.size, repo).toBe(1);
    // grafana and tempo moved to grafana-community on 2026-01-30, loki on 2026-03-16; alloy and the k6-operator did not.
    expect(pin("loki").url).toBe("https://grafana-community.github.io/helm-charts");
    expect(pin("tempo").url).toBe("https://grafana-community.github.io/helm-charts");
    expect(pin("alloy").url).toBe("https://grafana.github.io/helm-charts");
    expect(pin("k6-operator").url).toBe("https://grafana.github.io/helm-charts");
    expect(pin("kube-prometheus-stack").url).toBe("https://prometheus-community.github.io/helm-charts");
    expect(pin("jaeger").url).toBe("https://jaegertracing.github.io/helm-charts");
    expect(pin("metrics-server").url).toBe("https://kubernetes-sigs.github.io/metrics-server/");
  });

  it("is the only file that names a version of these charts", () => {
    const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    })
      .split("\0")
      .filter((file) => file && existsSync(join(REPO_ROOT, file)) && statSync(join(REPO_ROOT, file)).isFile())
      .filter((file) => !/(^|\/)node_modules\/|^reports\/|(^|\/)dist\//.test(file))
      .filter((file) => file !== "charts/third-party/versions.yaml" && statSync(join(REPO_ROOT, file)).size < 2_000_000);
    expect(files.length).toBeGreaterThan(50);
    const offenders: string[] = [];
    for (const file of files) {
      const text = read(file);
      if (text.includes("\0")) continue;
      for (const [index, line] of text.split("\n").entries()) {
        for (const c of charts) {
          if (line.includes(c.chart) && line.includes(c.version)) offenders.push(`${file}:${index + 1}: ${c.chart} ${c.version}`);
        }
        // A helm --version with a literal anywhere (scripts, Makefile, docs) would be a second pin.
        if (/helm\b.*--version[ =]\d/.test(line)) offenders.push(`${file}:${index + 1}: helm --version literal`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe("kind/kind-up.sh and versions.yaml", () => {
  it("reads its charts from versions.yaml (its --list-charts is exactly the file's list)", () => {
    const listed = execFileSync("bash", [join(REPO_ROOT, "kind", "kind-up.sh"), "--list-charts"], { encoding: "utf8" })
      .trim()
      .split("\n")
      .map((line) => line.split("\t"));
    expect(listed).toEqual(charts.map((c) => [c.release, c.namespace, c.repo, c.url, c.chart, c.version, c.values]));
  });

  it("hard-codes no chart version, repository URL or values file of its own", () => {
    const kindUp = read("kind/kind-up.sh");
    expect(kindUp).toContain("charts/third-party/versions.yaml");
    for (const c of charts) {
      expect(kindUp, c.chart).not.toContain(c.version);
      expect(kindUp, c.chart).not.toContain(c.url);
      expect(kindUp, c.chart).not.toContain(c.values);
    }
  });
});

describe("the values files", () => {
  it("exist, parse as YAML maps, and every file of the folder is versions.yaml or a chart's values", () => {
    for (const c of charts) {
      const parsed = values(c.chart);
      expect(parsed, c.values).toBeTypeOf("object");
      expect(Object.keys(parsed).length, c.values).toBeGreaterThan(0);
    }
    const inFolder = execFileSync("ls", [THIRD_PARTY], { encoding: "utf8" }).trim().split("\n").sort();
    expect(inFolder).toEqual(["versions.yaml", ...charts.map((c) => c.values)].sort());
  });

  it("kube-prometheus-stack: remote-write receiver, exemplars, native histograms, every ServiceMonitor and rule", () => {
    const spec = values("kube-prometheus-stack").prometheus.prometheusSpec;
    expect(spec.enableRemoteWriteReceiver).toBe(true);
    expect(spec.enableFeatures).toEqual(expect.arrayContaining(["exemplar-storage", "native-histograms"]));
    for (const key of ["serviceMonitorSelectorNilUsesHelmValues", "podMonitorSelectorNilUsesHelmValues", "ruleSelectorNilUsesHelmValues"]) {
      expect(spec[key], key).toBe(false);
    }
  });

  it("Grafana: NodePort 30300, anonymous viewers, dashboard sidecar, Loki/Tempo/Jaeger cross-linked", () => {
    const grafana = values("kube-prometheus-stack").grafana;
    expect(grafana.service).toEqual({ type: "NodePort", nodePort: 30300 });
    expect(grafana["grafana.ini"]["auth.anonymous"]).toEqual({ enabled: true, org_role: "Viewer" });
    expect(grafana.sidecar.dashboards).toMatchObject({ enabled: true, label: "grafana_dashboard", searchNamespace: "ALL" });
    expect(grafana.sidecar.datasources).toMatchObject({
      enabled: true,
      uid: "prometheus",
      exemplarTraceIdDestinations: { datasourceUid: "tempo", traceIdLabelName: "trace_id" },
    });
    const sources = Object.fromEntries((grafana.additionalDataSources as { uid: string }[]).map((s) => [s.uid, s]));
    // biome-ignore lint/suspicious/noExplicitAny: free-form data source settings.
    const [loki, tempo, jaeger] = [sources.loki, sources.tempo, sources.jaeger] as any[];
    expect(loki).toMatchObject({ type: "loki", url: "http://loki.observability.svc.cluster.local:3100" });
    expect(loki.jsonData.derivedFields.map((f: { datasourceUid: string }) => f.datasourceUid)).toEqual(["tempo", "jaeger"]);
    for (const field of loki.jsonData.derivedFields) {
      expect(new RegExp(field.matcherRegex).exec('{"level":30,"trace_id":"0af7651916cd43dd8448eb211c80319c"}')?.[1]).toBe(
        "0af7651916cd43dd8448eb211c80319c",
      );
      expect(field.url).toBe("$${__value.raw}");
    }
    expect(tempo).toMatchObject({ type: "tempo", url: "http://tempo.observability.svc.cluster.local:3200" });
    expect(tempo.jsonData.tracesToLogsV2.datasourceUid).toBe("loki");
    expect(jaeger).toMatchObject({ type: "jaeger", url: "http://jaeger.observability.svc.cluster.local:16686" });
    expect(jaeger.jsonData.tracesToLogsV2.datasourceUid).toBe("loki");
  });

  it("Loki: monolithic, filesystem storage, no auth, replication 1", () => {
    const loki = values("loki");
    expect(loki.deploymentMode).toBe("SingleBinary");
    expect(loki.loki).toMatchObject({ auth_enabled: false, commonConfig: { replication_factor: 1 }, storage: { type: "filesystem" } });
    expect(loki.loki.schemaConfig.configs[0]).toMatchObject({ store: "tsdb", object_store: "filesystem", schema: "v13" });
    expect(loki.singleBinary.replicas).toBe(1);
    // The chart mounts /var/loki only from its volume claim (and the root filesystem is read-only).
    expect(loki.singleBinary.persistence.enabled).toBe(true);
    for (const component of ["read", "write", "backend"]) expect(loki[component].replicas, component).toBe(0);
    expect(loki.gateway.enabled).toBe(false);
  });

  it("Alloy: pod logs to Loki, OTLP in on 4317/4318, traces out to BOTH Tempo and Jaeger", () => {
    const alloy = values("alloy");
    expect(alloy.alloy.extraPorts.map((p: { port: number }) => p.port)).toEqual([4317, 4318]);
    const config: string = alloy.alloy.configMap.content;
    expect(config).toContain("loki.source.kubernetes");
    expect(config).toContain('url = "http://loki.observability.svc.cluster.local:3100/loki/api/v1/push"');
    expect(config).toMatch(/otelcol\.receiver\.otlp "default" \{\s*grpc \{\s*endpoint = "0\.0\.0\.0:4317"/);
    expect(config).toMatch(/http \{\s*endpoint = "0\.0\.0\.0:4318"/);
    expect(config).toContain("traces = [otelcol.exporter.otlp.tempo.input, otelcol.exporter.otlp.jaeger.input]");
    expect(config).toContain('endpoint = "tempo.observability.svc.cluster.local:4317"');
    expect(config).toContain('endpoint = "jaeger.observability.svc.cluster.local:4317"');
    // Balanced braces: a cheap syntax check of the Alloy configuration.
    expect(config.split("{").length).toBe(config.split("}").length);
    // The service sends its traces to Alloy's OTLP/HTTP port (kind/values-otp-service.yaml, which kind-up.sh and
    // skaffold.yaml pass to the chart, sets it).
    const kindValues = parse(read("kind/values-otp-service.yaml")) as { config: { otel: { exporterOtlpEndpoint: string } } };
    expect(kindValues.config.otel.exporterOtlpEndpoint).toBe("http://alloy.observability.svc.cluster.local:4318");
  });

  it("Tempo and Jaeger: OTLP receivers; Jaeger all-in-one in memory (the chart's default configuration)", () => {
    expect(values("tempo").tempo.receivers.otlp.protocols.grpc.endpoint).toBe("0.0.0.0:4317");
    expect(values("tempo").persistence.enabled).toBe(true);
    expect(values("jaeger").jaeger).toMatchObject({ enabled: true, replicas: 1 });
  });

  it("metrics-server skips kind's self-signed kubelet certificates", () => {
    expect(values("metrics-server").args).toContain("--kubelet-insecure-tls");
  });

  it("k6-operator does not create the namespace kind-up.sh creates", () => {
    expect(values("k6-operator").namespace.create).toBe(false);
  });
});
