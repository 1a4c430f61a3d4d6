// The API clients, all from one KubeConfig: KUBECONFIG (or ~/.kube/config) outside a cluster, the
// ServiceAccount's token inside one (client-node's loadFromDefault does both).
//
// Connections: client-node 2.0.1 builds a new undici Agent inside applySecurityAuthentication, i.e. for
// EVERY request (and every watch), so each call opened its own TLS connection with a freshly parsed
// SecureContext (CA, client certificate and key) and never reused it. Measured on the 1,000-tenant
// bench: 5,118 requests → 5,116 TLS handshakes; the TLS setup was most of the controller's CPU and the
// SecureContexts/sessions most of its ~350 MiB of non-heap RSS. SharedConnectionKubeConfig keeps one
// keep-alive dispatcher per cluster/user/TLS settings and puts it on every request instead.
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  type RequestContext,
  setHeaderOptions,
} from "@kubernetes/client-node";

type Dispatcher = NonNullable<ReturnType<RequestContext["getDispatcher"]>>;

/**
 * A KubeConfig whose requests share one keep-alive connection pool per cluster, user and TLS settings.
 * Headers (tokens, exec/OIDC credentials, re-read ServiceAccount tokens) still come from client-node on
 * every request; only the dispatcher — the TLS connection pool — is reused. A client certificate or CA
 * given as a file path is read when the pool is made: replacing such a file in place needs a restart
 * (in a Pod, the ServiceAccount token is a header and the CA does not change).
 */
export class SharedConnectionKubeConfig extends KubeConfig {
  readonly #dispatchers = new Map<string, Dispatcher>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (!fresh) return; // plain http without TLS options: undici's global dispatcher already pools
    const cluster = this.getCurrentCluster();
    const user = this.getCurrentUser();
    const key = JSON.stringify([
      cluster?.name,
      cluster?.server,
      cluster?.caData,
      cluster?.caFile,
      cluster?.skipTLSVerify,
      cluster?.tlsServerName,
      cluster?.proxyUrl,
      user?.name,
      user?.certData,
      user?.certFile,
      user?.keyData,
      user?.keyFile,
    ]);
    const shared = this.#dispatchers.get(key);
    if (shared) {
      // The per-request Agent has no connection yet; closing it frees nothing but its bookkeeping.
      void fresh.close().catch(() => undefined);
      context.setDispatcher(shared);
    } else {
      this.#dispatchers.set(key, fresh);
    }
  }

  /** Closes the pooled connections (after the last request). */
  async closeConnections(): Promise<void> {
    const dispatchers = [...this.#dispatchers.values()];
    this.#dispatchers.clear();
    await Promise.all(dispatchers.map((d) => d.close().catch(() => undefined)));
  }
}

export interface Kube {
  config: SharedConnectionKubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  coordination: CoordinationV1Api;
}

export function connectKube(kubeconfigPath?: string): Kube {
  const config = new SharedConnectionKubeConfig();
  if (kubeconfigPath) config.loadFromFile(kubeconfigPath);
  else config.loadFromDefault();
  return {
    config,
    core: config.makeApiClient(CoreV1Api),
    custom: config.makeApiClient(CustomObjectsApi),
    coordination: config.makeApiClient(CoordinationV1Api),
  };
}

/** client-node sends JSON Patch by default; a merge patch is what the reconcilers write. */
export const MERGE_PATCH = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export function statusCode(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  const code = (error as { code?: unknown; statusCode?: unknown } | undefined)?.code;
  return typeof code === "number" ? code : undefined;
}

export const isNotFound = (error: unknown) => statusCode(error) === 404;
export const isConflict = (error: unknown) => statusCode(error) === 409;
