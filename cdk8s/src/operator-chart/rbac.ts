// The operator's permissions: the least verbs per resource, each rule with the calls in operator/src that
// need it. One table feeds the Role/ClusterRole (chart.ts), the chart README's RBAC table and the tests that
// ask the real API server's authorizer (test/operator-chart-apiserver.test.ts).

export interface Rule {
  apiGroup: string;
  resource: string;
  verbs: string[];
  /** The calls in operator/src that need these verbs. */
  why: string;
}

/** Granted where the operator reconciles: a Role in `watchNamespace`, or a ClusterRole when it watches all. */
export const WATCH_SCOPE_RULES: Rule[] = [
  {
    apiGroup: "otp-lab.dev",
    resource: "otptenants",
    verbs: ["list", "watch", "patch"],
    why: "the informer (list + watch); the finalizer (merge patch) — otp-tenant/controller.ts, reconciler.ts",
  },
  { apiGroup: "otp-lab.dev", resource: "otptenants/status", verbs: ["patch"], why: "status (merge patch) — reconciler.ts" },
  {
    apiGroup: "otp-lab.dev",
    resource: "otptenants/finalizers",
    verbs: ["update"],
    why: "the API-key Secret's ownerReference has blockOwnerDeletion (OwnerReferencesPermissionEnforcement) — api-key-secret.ts",
  },
  {
    apiGroup: "otp-lab.dev",
    resource: "capacitybenchmarks",
    verbs: ["get", "list", "watch", "patch", "delete"],
    why: "read per reconcile, the informer, the finalizer, deletion after ttlSecondsAfterFinished — capacity-benchmark/kube-access.ts",
  },
  { apiGroup: "otp-lab.dev", resource: "capacitybenchmarks/status", verbs: ["patch"], why: "status (JSON patch) — kube-access.ts" },
  {
    apiGroup: "otp-lab.dev",
    resource: "capacitybenchmarks/finalizers",
    verbs: ["update"],
    why: "each TestRun's ownerReference has blockOwnerDeletion — capacity-benchmark/testrun.ts",
  },
  {
    apiGroup: "k6.io",
    resource: "testruns",
    verbs: ["get", "list", "watch", "create", "delete"],
    why: "the TestRun cache whose stage changes queue their benchmark (list + watch) — capacity-benchmark/runtime.ts; the owned ones on deletion, one per step, cleanup — kube-access.ts",
  },
  {
    apiGroup: "",
    resource: "secrets",
    verbs: ["get", "list", "watch", "create", "update"],
    why: "a watched cache of the API-key Secrets it generates (list + watch; RBAC cannot filter by label, so scope it with watchNamespace), read a referenced one, create, rotate (replace) — runtime/object-cache.ts, api-key-secret.ts. No patch, no delete",
  },
  {
    apiGroup: "",
    resource: "configmaps",
    verbs: ["get", "create", "update"],
    why: "a finished benchmark's results.json in ConfigMap <benchmark>-results: create, or read and replace after a restart — capacity-benchmark/results-configmap.ts",
  },
  {
    apiGroup: "",
    resource: "events",
    verbs: ["create"],
    why: "Events on OtpTenants and CapacityBenchmarks — runtime/events.ts, kube-access.ts",
  },
  {
    apiGroup: "autoscaling",
    resource: "horizontalpodautoscalers",
    verbs: ["get", "patch"],
    why: "read the target's HPA; pin min = max in Fixed mode and restore it — kube-access.ts",
  },
  { apiGroup: "apps", resource: "deployments", verbs: ["get"], why: "the target Deployment's ready replicas — kube-access.ts" },
];

/** Granted in the release's namespace only: the leader-election Lease. */
export const LEASE_RULES: Rule[] = [
  {
    apiGroup: "coordination.k8s.io",
    resource: "leases",
    verbs: ["get", "create", "update"],
    why: "leader election: read, create once, renew and release with optimistic concurrency (replace) — runtime/leader-election.ts",
  },
];
