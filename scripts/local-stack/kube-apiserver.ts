// A throwaway Kubernetes control plane for tests: etcd and kube-apiserver on free loopback ports,
// with their own CA, certificates and data under `dir`. Only the API server runs — no
// controller-manager, no scheduler, no kubelet — so objects are validated, defaulted and stored,
// but nothing reconciles them. Consequences worth knowing:
//   - a Namespace must exist before objects in it (no admission plugin creates it); `apply` orders
//     CRDs, then Namespaces, then the rest, and `createNamespace` also makes the `default`
//     ServiceAccount that the service-account controller would (apply of a Namespace does not);
//   - no ServiceAccount token controller, no `kube-root-ca.crt` ConfigMaps, no Pods from Deployments,
//     no garbage collection; a deleted Namespace stays Terminating forever.
// Authorization is RBAC, as in a real cluster: the bootstrap ClusterRoles (view, edit, admin, …)
// exist for charts' RoleBindings to refer to, and the admin client is in system:masters.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ApplyOptions, createKubeClient, type KubeClient, type KubeObject } from "./kube/api.ts";
import { type KubeBinaries, kubeBinaries } from "./kube/binaries.ts";
import { createKubePki } from "./kube/pki.ts";
import { type ManagedProcess, startProcess } from "./managed-process.ts";
import { freePort } from "./ports.ts";
import { untilExited, waitFor } from "./wait.ts";

export { type ApplyOptions, field, KubeApiError, type KubeClient, type KubeObject, parseManifests } from "./kube/api.ts";
export { helmBinary, kubeBinaries } from "./kube/binaries.ts";
export { k6OperatorCrdDir, k6OperatorCrdFiles, prometheusOperatorCrdFiles } from "./kube/crds.ts";

export interface KubeApiServerOptions {
  /** Holds the certificates, etcd's data, both logs and the kubeconfig; must exist. */
  dir: string;
  /** Default: KUBE_APISERVER_BIN/ETCD_BIN, else scripts/ensure-kube-apiserver.sh (builds them once). */
  binaries?: KubeBinaries;
  /** How long to wait for etcd's /health and the API's /readyz; default 60 s. */
  startTimeoutMs?: number;
  /** Extra kube-apiserver flags (e.g. "--feature-gates=…"). */
  extraArgs?: string[];
}

export interface KubeApiServer {
  /** https://127.0.0.1:<port> */
  readonly url: string;
  /** A kubeconfig for the admin (system:masters) client, for kubectl/helm/@kubernetes/client-node (KubeConfig.loadFromFile). */
  readonly kubeconfigPath: string;
  /** The harness's own client (@kubernetes/client-node): `client.kubeConfig`, `client.objects` for anything else. */
  readonly client: KubeClient;
  /** Warning headers the API sent back (deprecated APIs, …), in order. */
  readonly warnings: string[];
  /** Server-side apply (force, fieldValidation=Strict by default) of objects or multi-document YAML. */
  apply(manifests: KubeObject[] | string, options?: ApplyOptions): Promise<KubeObject[]>;
  get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<KubeObject>;
  /** Every object of the kind, in `namespace` or (namespaced kinds, no namespace given) in all namespaces. */
  list(apiVersion: string, kind: string, namespace?: string): Promise<KubeObject[]>;
  delete(apiVersion: string, kind: string, name: string, namespace?: string): Promise<void>;
  /** Creates (applies) the Namespace and its `default` ServiceAccount. */
  createNamespace(name: string): Promise<KubeObject>;
  /** Stops kube-apiserver, then etcd. The data stays in `dir`. */
  stop(): Promise<void>;
}

const SERVICE_CLUSTER_IP_RANGE = "10.96.0.0/16";

function logTail(path: string, lines = 30): string {
  try {
    return readFileSync(path, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

export async function startKubeApiServer(options: KubeApiServerOptions): Promise<KubeApiServer> {
  const { dir } = options;
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const binaries = options.binaries ?? kubeBinaries();
  const pkiDir = join(dir, "pki");
  mkdirSync(pkiDir, { recursive: true });
  const pki = await createKubePki(pkiDir);

  const [etcdClientPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
  const etcdPeerUrl = `http://127.0.0.1:${etcdPeerPort}`;
  const etcdLog = join(dir, "etcd.log");
  // Plain HTTP on loopback; fsync off: a test cluster's data is disposable.
  const etcd = startProcess({
    name: "etcd",
    command: binaries.etcd,
    args: [
      "--name=devstack",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${etcdPeerUrl}`,
      `--initial-advertise-peer-urls=${etcdPeerUrl}`,
      `--initial-cluster=devstack=${etcdPeerUrl}`,
      "--unsafe-no-fsync",
      "--log-level=warn",
    ],
    logFile: etcdLog,
    detached: true,
  });
  let apiServer: ManagedProcess | undefined;
  const url = `https://127.0.0.1:${apiPort}`;
  const kubeconfigPath = join(dir, "kubeconfig");
  const base64 = (path: string) => readFileSync(path).toString("base64");
  // JSON is YAML: kubectl, helm and client libraries read this as a kubeconfig.
  const kubeconfig = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "devstack", cluster: { server: url, "certificate-authority-data": base64(pki.caCert) } }],
    users: [{ name: "admin", user: { "client-certificate-data": base64(pki.adminCert), "client-key-data": base64(pki.adminKey) } }],
    contexts: [{ name: "devstack", context: { cluster: "devstack", user: "admin", namespace: "default" } }],
    "current-context": "devstack",
  };
  writeFileSync(kubeconfigPath, `${JSON.stringify(kubeconfig, null, 2)}\n`, { mode: 0o600 });
  const client = createKubeClient(kubeconfigPath);
  const stop = async () => {
    await apiServer?.stop("SIGTERM", 15_000);
    await etcd.stop("SIGTERM", 10_000);
  };

  const apiLog = join(dir, "kube-apiserver.log");
  try {
    await waitFor(
      "etcd reported healthy",
      async () => {
        const health = (await (await fetch(`${etcdUrl}/health`)).json()) as { health?: string };
        return health.health === "true";
      },
      { timeoutMs, giveUpIf: untilExited(etcd.name, etcd.child) },
    );

    apiServer = startProcess({
      name: "kube-apiserver",
      command: binaries.kubeApiServer,
      args: [
        `--etcd-servers=${etcdUrl}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        // The endpoint reconciler refuses loopback addresses; nothing here routes to the Service anyway.
        "--endpoint-reconciler-type=none",
        `--secure-port=${apiPort}`,
        `--cert-dir=${pkiDir}`,
        `--tls-cert-file=${pki.serverCert}`,
        `--tls-private-key-file=${pki.serverKey}`,
        `--client-ca-file=${pki.caCert}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${pki.serviceAccountPub}`,
        `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
        "--authorization-mode=RBAC",
        "--anonymous-auth=false",
        "--profiling=false",
        "--v=1",
        ...(options.extraArgs ?? []),
      ],
      logFile: apiLog,
      detached: true,
    });
    const running = apiServer;
    await waitFor("kube-apiserver answered /readyz", () => client.ready(), {
      timeoutMs,
      giveUpIf: untilExited(running.name, running.child),
    });
  } catch (error) {
    await stop();
    const logs = [`--- ${etcdLog}`, logTail(etcdLog), `--- ${apiLog}`, logTail(apiLog)].join("\n");
    throw new Error(`${(error as Error).message}\n${logs}`);
  }

  return {
    url,
    kubeconfigPath,
    client,
    warnings: client.warnings,
    apply: client.apply,
    get: client.get,
    list: client.list,
    delete: client.delete,
    async createNamespace(name: string) {
      const [namespace] = await client.apply([{ apiVersion: "v1", kind: "Namespace", metadata: { name } }]);
      // What the service-account controller would do: Pods without a serviceAccountName need it.
      await client.apply([{ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: name } }], {
        fieldManager: "devstack-serviceaccount-controller",
      });
      return namespace as KubeObject;
    },
    stop,
  };
}
