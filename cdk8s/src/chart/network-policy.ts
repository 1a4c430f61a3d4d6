// The NetworkPolicies: the service's own Pods (serve, worker, migrate): port 8080 in; out only to
// DNS, PostgreSQL, Redis, the SMS provider and the OTLP collector. A dependency inside the release
// is reached by Pod selector, an external one by port (and optional peers). The in-release
// PostgreSQL, Redis and mock SMS provider admit only the release's Pods that use them.
import type { Construct } from "constructs";
import { tpl, values } from "../helm.ts";
import { CONTAINER_PORT, MOCK_SMS_PORT, metadata, selectorLabels } from "./common.ts";
import { HelmObject, HelmTemplate } from "./template.ts";

const SOURCE = "cdk8s/src/chart/network-policy.ts";

const releasePods = (component: string) => ({ podSelector: { matchLabels: selectorLabels(component) } });

/** Egress, when `condition` holds, to the ports and optional peers of networkPolicy.egress.<external>. */
const externalRule = (condition: string, external: string) =>
  tpl.item(condition, {
    ports: [tpl.each(`$port := ${values(`networkPolicy.egress.${external}.ports`)}`, { port: tpl.int("$port"), protocol: "TCP" })],
    to: tpl.optional(values(`networkPolicy.egress.${external}.to`)),
  });

/** Egress to a dependency: by Pod selector when the release runs it, else by configured ports and peers. */
function dependencyRules(inRelease: string, component: string, port: number, external: string): Record<string, unknown>[] {
  return [
    tpl.item(inRelease, { to: [releasePods(component)], ports: [{ port, protocol: "TCP" }] }),
    externalRule(`not ${inRelease}`, external),
  ];
}

/** The service image's own Pods (serve, worker, migrate) of this release, as a peer. */
const appPods = (components: string[]) => {
  const { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": instance } = selectorLabels("server");
  return {
    podSelector: {
      matchLabels: { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": instance },
      matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: components }],
    },
  };
};

/** Ingress-only policy of an in-release dependency: its port, from the given peers only; no egress rule is needed. */
function dependencyPolicy(template: HelmTemplate, component: string, condition: string, port: number, from: unknown[]): void {
  new HelmObject(template, component, {
    condition: `and ${values("networkPolicy.enabled")} ${condition}`,
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: metadata({ suffix: component, component }),
    spec: {
      podSelector: releasePods(component).podSelector,
      policyTypes: ["Ingress"],
      ingress: [{ ports: [{ port, protocol: "TCP" }], from }],
    },
  });
}

export function networkPolicy(scope: Construct): void {
  const template = new HelmTemplate(scope, "networkpolicy", { file: "networkpolicy.yaml", source: SOURCE });
  new HelmObject(template, "networkpolicy", {
    condition: values("networkPolicy.enabled"),
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: metadata({ component: "server" }),
    spec: {
      podSelector: appPods(["server", "worker", "migrate"]).podSelector,
      policyTypes: ["Ingress", "Egress"],
      ingress: [
        {
          ports: [{ port: CONTAINER_PORT, protocol: "TCP" }],
          from: [
            // Default: any Pod in any namespace. ingressFrom narrows the clients only: metrics scrapers
            // and load generators share port 8080 and have their own peers, always added, so restricting
            // clients never silently cuts Prometheus or the k6 runners. The release's helm test always.
            tpl.item(`not ${values("networkPolicy.ingressFrom")}`, { namespaceSelector: {} }),
            tpl.splice(values("networkPolicy.ingressFrom")),
            tpl.splice(values("networkPolicy.metricsFrom")),
            tpl.splice(values("networkPolicy.loadGeneratorsFrom")),
            releasePods("test"),
          ],
        },
      ],
      egress: [
        tpl.item(values("networkPolicy.egress.dns.enabled"), {
          ports: [
            { port: 53, protocol: "UDP" },
            { port: 53, protocol: "TCP" },
          ],
          to: tpl.optional(values("networkPolicy.egress.dns.to")),
        }),
        ...dependencyRules(values("postgresql.enabled"), "postgresql", 5432, "postgresql"),
        ...dependencyRules(values("redis.enabled"), "redis", 6379, "redis"),
        ...dependencyRules(
          `(and ${values("mockSms.enabled")} (not ${values("config.sms.providerUrl")}))`,
          "mock-sms",
          MOCK_SMS_PORT,
          "smsProvider",
        ),
        externalRule(values("config.otel.exporterOtlpEndpoint"), "otlp"),
        tpl.splice(values("networkPolicy.egress.extra")),
      ],
    },
  });
  // Without these, any Pod in the cluster reaches the benchmark's databases and the mock's inbox.
  // (kubectl port-forward enters the Pod's own network namespace: policies do not apply to it.)
  dependencyPolicy(template, "postgresql", values("postgresql.enabled"), 5432, [
    appPods(["server", "worker", "migrate"]),
    tpl.splice(values("networkPolicy.postgresqlFrom")),
  ]);
  dependencyPolicy(template, "redis", values("redis.enabled"), 6379, [appPods(["server", "worker"])]);
  // The mock's admin (/messages) is read by the load generators, which verify the codes it received.
  dependencyPolicy(template, "mock-sms", values("mockSms.enabled"), MOCK_SMS_PORT, [
    appPods(["server", "worker"]),
    tpl.splice(values("networkPolicy.loadGeneratorsFrom")),
  ]);
}
