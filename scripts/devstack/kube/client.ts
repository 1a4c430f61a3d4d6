// A small Kubernetes API client for tests: TLS with a client certificate over node:https, kind →
// resource resolution through the API's discovery, server-side apply, get, list and delete.
// Multi-document YAML (e.g. `helm template` output) is parsed with the `yaml` package.
import type { IncomingHttpHeaders } from "node:http";
import { Agent, request } from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { parseAllDocuments, type Tags } from "yaml";

export interface KubeMetadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

/** A Kubernetes object as JSON. Read nested fields with `field(object, "spec.replicas")`. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMetadata;
  [key: string]: unknown;
}

export interface ApplyOptions {
  /** Server-side apply field manager; default "otp-capacity-lab". */
  fieldManager?: string;
  /** Namespace for namespaced objects that name none (like `kubectl apply -n`); default "default". */
  namespace?: string;
  /** Unknown or duplicate fields are an error (Strict, the default, as kubectl), a warning, or ignored. */
  fieldValidation?: "Strict" | "Warn" | "Ignore";
}

/** An error answer from the API: `status` is the HTTP status, `reason` the Status reason (e.g. "Invalid"). */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly body: unknown;
  constructor(status: number, reason: string, message: string, body: unknown) {
    super(message);
    this.name = "KubeApiError";
    this.status = status;
    this.reason = reason;
    this.body = body;
  }

  /**
   * The API refused the object itself: 422 Invalid (validation, a CRD schema's required fields,
   * patterns, enums), or the 500 server-side apply answers when a field does not fit the schema at
   * all (a wrong type, an unknown field: "failed to create typed patch object"), as it does in real clusters.
   */
  get invalid(): boolean {
    return this.status === 422 || (this.status === 500 && this.message.includes("failed to create typed patch object"));
  }
}

export interface KubeClientOptions {
  url: string;
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
}

interface ResourceInfo {
  /** "/api/v1" or "/apis/<group>/<version>" */
  base: string;
  resource: string;
  namespaced: boolean;
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

const APPLY_CONCURRENCY = 4;
const DEFAULT_FIELD_MANAGER = "otp-capacity-lab";
const AGGREGATED_DISCOVERY = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";

/** Reads a dotted path ("spec.template.spec.containers.0.image") out of a JSON value. */
export function field(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * Parses multi-document YAML into objects: empty documents (e.g. only a `# Source:` comment) are
 * skipped and `kind: List` is flattened. Read as kubectl and helm read it (go-yaml v2 via
 * sigs.k8s.io/yaml): YAML 1.1, so unquoted `on`/`yes`/`y` are booleans and `0755` is octal, but
 * timestamps stay strings and `10:30` is not a base-60 number.
 */
export function parseManifests(text: string): KubeObject[] {
  const objects: KubeObject[] = [];
  const options = {
    version: "1.1" as const,
    customTags: (tags: Tags) =>
      tags.filter((tag) => typeof tag === "string" || (tag.format !== "TIME" && tag.tag !== "tag:yaml.org,2002:timestamp")),
  };
  for (const document of parseAllDocuments(text, options)) {
    const [error] = document.errors;
    if (error) throw new Error(`invalid YAML: ${error.message}`);
    const value: unknown = document.toJS({ maxAliasCount: 1000 });
    if (value !== null && value !== undefined) objects.push(...flattenLists([value as KubeObject]));
  }
  return objects;
}

function flattenLists(objects: KubeObject[]): KubeObject[] {
  return objects.flatMap((object) =>
    object.kind === "List" || (object.kind?.endsWith("List") && Array.isArray(object.items))
      ? flattenLists(object.items as KubeObject[])
      : [object],
  );
}

function groupVersionBase(apiVersion: string): string {
  return apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

function describe(object: KubeObject): string {
  const namespace = object.metadata?.namespace ? `${object.metadata.namespace}/` : "";
  return `${object.apiVersion} ${object.kind} ${namespace}${object.metadata?.name ?? "<no name>"}`;
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  });
  await Promise.all(workers);
  return results;
}

export interface KubeClient {
  /** Every `Warning` header the API returned (deprecations, unknown fields under Warn, …), in order. */
  readonly warnings: string[];
  /** A raw call: JSON in and out; throws KubeApiError on a status >= 400. */
  call(method: string, path: string, options?: { body?: unknown; contentType?: string; accept?: string }): Promise<unknown>;
  apply(manifests: KubeObject[] | string, options?: ApplyOptions): Promise<KubeObject[]>;
  get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<KubeObject>;
  list(apiVersion: string, kind: string, namespace?: string): Promise<KubeObject[]>;
  delete(apiVersion: string, kind: string, name: string, namespace?: string): Promise<void>;
  /** Re-reads discovery (done by itself after CRDs are applied and whenever a kind is unknown). */
  refreshDiscovery(): Promise<void>;
  close(): void;
}

export function createKubeClient(options: KubeClientOptions): KubeClient {
  const agent = new Agent({ ca: options.ca, cert: options.cert, key: options.key, keepAlive: true, maxSockets: 8 });
  const origin = new URL(options.url);
  const warnings: string[] = [];
  let resources = new Map<string, ResourceInfo>();
  let discovered = false;

  function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: origin.hostname,
          port: origin.port,
          path,
          method,
          agent,
          headers: { ...headers, "user-agent": "otp-capacity-lab-devstack" },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  async function call(
    method: string,
    path: string,
    { body, contentType = "application/json", accept = "application/json" }: { body?: unknown; contentType?: string; accept?: string } = {},
  ): Promise<unknown> {
    const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    const headers: Record<string, string> = { accept };
    if (payload !== undefined) headers["content-type"] = contentType;
    const response = await send(method, path, headers, payload);
    const warning = response.headers.warning;
    if (warning) warnings.push(...(Array.isArray(warning) ? warning : [warning]));
    let parsed: unknown = response.body;
    try {
      parsed = response.body ? JSON.parse(response.body) : undefined;
    } catch {
      // not JSON (e.g. /readyz): keep the text
    }
    if (response.status >= 400) {
      const status = parsed as { reason?: string; message?: string } | undefined;
      throw new KubeApiError(
        response.status,
        status?.reason ?? "",
        `${method} ${path}: ${response.status} ${status?.message ?? response.body.slice(0, 500)}`,
        parsed,
      );
    }
    return parsed;
  }

  // Concurrent callers (parallel applies) share one discovery round trip.
  let refreshing: Promise<void> | undefined;
  function refreshDiscovery(): Promise<void> {
    refreshing ??= readDiscovery().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  }

  async function readDiscovery(): Promise<void> {
    const next = new Map<string, ResourceInfo>();
    for (const root of ["/api", "/apis"]) {
      const answer = (await call("GET", root, { accept: AGGREGATED_DISCOVERY })) as {
        kind?: string;
        items?: AggregatedGroup[];
        versions?: string[];
        groups?: { versions: { groupVersion: string }[] }[];
      };
      if (answer.kind === "APIGroupDiscoveryList") {
        for (const group of answer.items ?? []) {
          for (const version of group.versions ?? []) {
            const apiVersion = group.metadata?.name ? `${group.metadata.name}/${version.version}` : version.version;
            for (const resource of version.resources ?? []) {
              if (!resource.responseKind?.kind) continue;
              next.set(`${apiVersion}|${resource.responseKind.kind}`, {
                base: groupVersionBase(apiVersion),
                resource: resource.resource,
                namespaced: resource.scope === "Namespaced",
              });
            }
          }
        }
        continue;
      }
      // An API server without aggregated discovery (before 1.30): one request per group version.
      const groupVersions = answer.versions ?? (answer.groups ?? []).flatMap((group) => group.versions.map((v) => v.groupVersion));
      await Promise.all(
        groupVersions.map(async (apiVersion) => {
          const list = (await call("GET", groupVersionBase(apiVersion))) as {
            resources: { name: string; kind: string; namespaced: boolean }[];
          };
          for (const resource of list.resources) {
            if (resource.name.includes("/")) continue; // subresources
            next.set(`${apiVersion}|${resource.kind}`, {
              base: groupVersionBase(apiVersion),
              resource: resource.name,
              namespaced: resource.namespaced,
            });
          }
        }),
      );
    }
    resources = next;
    discovered = true;
  }

  async function resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const key = `${apiVersion}|${kind}`;
    if (!discovered || !resources.has(key)) await refreshDiscovery();
    const info = resources.get(key);
    if (!info) throw new Error(`the API serves no kind ${kind} in ${apiVersion} (is its CRD applied?)`);
    return info;
  }

  function objectPath(info: ResourceInfo, namespace: string | undefined, name?: string): string {
    const scope = info.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? "default")}` : "";
    return `${info.base}${scope}/${info.resource}${name === undefined ? "" : `/${encodeURIComponent(name)}`}`;
  }

  async function applyOne(object: KubeObject, options: ApplyOptions): Promise<KubeObject> {
    if (!object || typeof object !== "object" || !object.apiVersion || !object.kind || !object.metadata?.name) {
      throw new Error(`cannot apply an object without apiVersion, kind and metadata.name: ${JSON.stringify(object).slice(0, 200)}`);
    }
    const info = await resourceFor(object.apiVersion, object.kind);
    const namespace = object.metadata.namespace ?? options.namespace ?? "default";
    const query = new URLSearchParams({
      fieldManager: options.fieldManager ?? DEFAULT_FIELD_MANAGER,
      force: "true",
      fieldValidation: options.fieldValidation ?? "Strict",
    });
    try {
      return (await call("PATCH", `${objectPath(info, namespace, object.metadata.name)}?${query}`, {
        body: object,
        contentType: "application/apply-patch+yaml",
      })) as KubeObject;
    } catch (error) {
      if (error instanceof KubeApiError) error.message = `apply ${describe(object)}: ${error.message}`;
      throw error;
    }
  }

  async function waitForCrds(crds: KubeObject[], timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const path = (name: string) => `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${encodeURIComponent(name)}`;
    for (const crd of crds) {
      for (;;) {
        const current = (await call("GET", path(crd.metadata.name))) as { status?: { conditions?: { type: string; status: string }[] } };
        if (current.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
        if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata.name} was not Established within ${timeoutMs} ms`);
        await sleep(100);
      }
    }
    // Established comes first; discovery follows a moment later. Wait until every served kind is listed.
    const wanted = crds.flatMap((crd) => {
      const spec = crd.spec as { group: string; names: { kind: string }; versions: { name: string; served: boolean }[] };
      return spec.versions.filter((v) => v.served).map((v) => `${spec.group}/${v.name}|${spec.names.kind}`);
    });
    for (;;) {
      await refreshDiscovery();
      if (wanted.every((key) => resources.has(key))) return;
      if (Date.now() > deadline) throw new Error(`discovery does not list ${wanted.filter((key) => !resources.has(key)).join(", ")}`);
      await sleep(100);
    }
  }

  async function apply(manifests: KubeObject[] | string, options: ApplyOptions = {}): Promise<KubeObject[]> {
    const objects = typeof manifests === "string" ? parseManifests(manifests) : flattenLists(manifests);
    const results: KubeObject[] = new Array(objects.length);
    const indexed = objects.map((object, index) => ({ object, index }));
    const isCrd = (o: KubeObject) => o.kind === "CustomResourceDefinition" && o.apiVersion?.startsWith("apiextensions.k8s.io/");
    // CRDs first (and wait until they serve), then Namespaces, then everything else, in order.
    const crds = indexed.filter(({ object }) => isCrd(object));
    const namespaces = indexed.filter(({ object }) => object.kind === "Namespace" && object.apiVersion === "v1");
    const rest = indexed.filter(({ object }) => !isCrd(object) && !(object.kind === "Namespace" && object.apiVersion === "v1"));
    if (crds.length > 0) {
      await mapLimited(crds, APPLY_CONCURRENCY, async ({ object, index }) => {
        results[index] = await applyOne(object, options);
      });
      await waitForCrds(crds.map(({ object }) => object));
    }
    for (const { object, index } of [...namespaces, ...rest]) results[index] = await applyOne(object, options);
    return results;
  }

  async function get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<KubeObject> {
    const info = await resourceFor(apiVersion, kind);
    return (await call("GET", objectPath(info, namespace, name))) as KubeObject;
  }

  async function list(apiVersion: string, kind: string, namespace?: string): Promise<KubeObject[]> {
    const info = await resourceFor(apiVersion, kind);
    const path = info.namespaced && namespace === undefined ? `${info.base}/${info.resource}` : objectPath(info, namespace);
    const answer = (await call("GET", path)) as { items: KubeObject[] };
    // List items carry no apiVersion/kind of their own.
    return answer.items.map((item) => ({ ...item, apiVersion, kind }));
  }

  async function remove(apiVersion: string, kind: string, name: string, namespace?: string): Promise<void> {
    const info = await resourceFor(apiVersion, kind);
    await call("DELETE", objectPath(info, namespace, name));
  }

  return {
    warnings,
    call,
    apply,
    get,
    list,
    delete: remove,
    refreshDiscovery,
    close: () => agent.destroy(),
  };
}

interface AggregatedGroup {
  metadata?: { name?: string };
  versions?: {
    version: string;
    resources?: { resource: string; scope: string; responseKind?: { kind?: string } }[];
  }[];
}
