// charts/otp-operator on a real kube-apiserver (RBAC authorizer on): its CRDs and rendered objects are applied
// server-side with strict field validation, for both RBAC scopes, and the API server's own authorizer
// (SubjectAccessReview for the operator's ServiceAccount) allows every verb of the rule table and refuses the
// ones the operator must not have.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AuthorizationV1Api } from "@kubernetes/client-node";
import { field, type KubeApiServer } from "@otp-lab/local-stack/kube-apiserver";
import { describe, expect, it } from "vitest";
import { LEASE_RULES, WATCH_SCOPE_RULES } from "../src/operator-chart/rbac.ts";
import { withKubeApiServer } from "./apiserver.ts";
import { type KubeObject, OPERATOR_CHART_DIR, renderOperatorChart } from "./render.ts";

let api: KubeApiServer;
const applied: Record<"one" | "all", KubeObject[]> = { one: [], all: [] };

withKubeApiServer("otp-operator-apiserver-", async (started) => {
  api = started;
  // The chart's crds/, as Helm installs them before the templates.
  for (const file of readdirSync(join(OPERATOR_CHART_DIR, "crds")))
    await api.apply(readFileSync(join(OPERATOR_CHART_DIR, "crds", file), "utf8"));
  for (const ns of ["otp-system", "tenants", "other", "otp-all"]) await api.createNamespace(ns);
  applied.one = await api.apply(await renderOperatorChart("op", "otp-system", { watchNamespace: "tenants" }), { fieldManager: "helm" });
  applied.all = await api.apply(await renderOperatorChart("all", "otp-all", { "serviceMonitor.enabled": true }), { fieldManager: "helm" });
});

interface Access {
  namespace: string;
  group: string;
  resource: string;
  verb: string;
}

async function allowed(serviceAccount: string, access: Access): Promise<boolean> {
  const [resource, subresource] = access.resource.split("/");
  const review = await api.client.kubeConfig.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
    body: {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: {
        user: `system:serviceaccount:${serviceAccount}`,
        groups: ["system:serviceaccounts", `system:serviceaccounts:${serviceAccount.split(":")[0]}`, "system:authenticated"],
        resourceAttributes: { namespace: access.namespace, group: access.group, resource, subresource, verb: access.verb },
      },
    },
  });
  return review.status?.allowed === true;
}

const every = (rules: typeof WATCH_SCOPE_RULES, namespace: string): Access[] =>
  rules.flatMap((rule) => rule.verbs.map((verb) => ({ namespace, group: rule.apiGroup, resource: rule.resource, verb })));

/** The accesses the authorizer does not answer `expected` to, named for the failure message. */
async function answeredOtherwise(serviceAccount: string, accesses: Access[], expected: boolean): Promise<string[]> {
  const wrong: string[] = [];
  for (const a of accesses) {
    if ((await allowed(serviceAccount, a)) !== expected)
      wrong.push(`${a.verb} ${a.group || "core"}/${a.resource} in ${a.namespace || "(all namespaces)"}`);
  }
  return wrong;
}

describe("charts/otp-operator on a real kube-apiserver", () => {
  it("every object (and both CRDs) was accepted with strict field validation and no warnings", () => {
    for (const objects of [applied.one, applied.all]) {
      expect(objects.length).toBeGreaterThanOrEqual(7);
      for (const object of objects) expect(field(object, "metadata.uid"), `${object.kind}/${object.metadata.name}`).toBeTruthy();
    }
    expect(applied.all.map((o) => o.kind)).toEqual(expect.arrayContaining(["ClusterRole", "ClusterRoleBinding", "ServiceMonitor"]));
    expect(api.warnings.filter((w) => !/deprecated/i.test(w))).toEqual([]);
  });

  it("the stored Deployment keeps its probes, security context and the Secret reference after defaulting", async () => {
    const deployment = await api.get("apps/v1", "Deployment", "op-otp-operator", "otp-system");
    const container = (field(deployment, "spec.template.spec.containers") as Record<string, unknown>[])[0] as Record<string, unknown>;
    expect(field(container, "livenessProbe.httpGet.path")).toBe("/healthz");
    expect(field(container, "readinessProbe.httpGet.path")).toBe("/readyz");
    expect(field(container, "securityContext.readOnlyRootFilesystem")).toBe(true);
    expect(field(deployment, "spec.replicas")).toBe(2);
  });

  describe("watchNamespace=tenants: a Role there, the Lease in the release namespace", () => {
    const sa = "otp-system:op-otp-operator";
    it("allows every verb of the rule table in tenants, and the Lease verbs in otp-system", async () => {
      expect(await answeredOtherwise(sa, [...every(WATCH_SCOPE_RULES, "tenants"), ...every(LEASE_RULES, "otp-system")], true)).toEqual([]);
    });

    it("refuses what the operator must not do", async () => {
      const refused: Access[] = [
        { namespace: "tenants", group: "", resource: "secrets", verb: "delete" },
        { namespace: "tenants", group: "", resource: "secrets", verb: "patch" },
        { namespace: "", group: "", resource: "secrets", verb: "list" },
        { namespace: "other", group: "", resource: "secrets", verb: "list" },
        { namespace: "other", group: "", resource: "secrets", verb: "get" },
        { namespace: "", group: "otp-lab.dev", resource: "otptenants", verb: "list" },
        { namespace: "other", group: "otp-lab.dev", resource: "otptenants", verb: "watch" },
        { namespace: "tenants", group: "otp-lab.dev", resource: "otptenants", verb: "delete" },
        { namespace: "tenants", group: "apps", resource: "deployments", verb: "update" },
        { namespace: "tenants", group: "", resource: "pods", verb: "list" },
        { namespace: "tenants", group: "coordination.k8s.io", resource: "leases", verb: "update" },
        { namespace: "otp-system", group: "coordination.k8s.io", resource: "leases", verb: "delete" },
        { namespace: "", group: "apiextensions.k8s.io", resource: "customresourcedefinitions", verb: "update" },
      ];
      expect(await answeredOtherwise(sa, refused, false)).toEqual([]);
    });
  });

  describe("watchNamespace empty: a ClusterRole", () => {
    const sa = "otp-all:all-otp-operator";
    it("allows every verb of the rule table in any namespace and cluster-wide list/watch for the informers", async () => {
      const informers = ["list", "watch"].flatMap((verb) =>
        ["otptenants", "capacitybenchmarks"].map((resource) => ({ namespace: "", group: "otp-lab.dev", resource, verb })),
      );
      const accesses = [...every(WATCH_SCOPE_RULES, "other"), ...every(LEASE_RULES, "otp-all"), ...informers];
      expect(await answeredOtherwise(sa, accesses, true)).toEqual([]);
    });

    it("still refuses deleting or patching Secrets, and Leases outside its namespace", async () => {
      const refused: Access[] = [
        { namespace: "other", group: "", resource: "secrets", verb: "delete" },
        { namespace: "other", group: "", resource: "secrets", verb: "patch" },
        { namespace: "other", group: "coordination.k8s.io", resource: "leases", verb: "create" },
        { namespace: "other", group: "k6.io", resource: "testruns", verb: "update" },
      ];
      expect(await answeredOtherwise(sa, refused, false)).toEqual([]);
    });
  });
});
