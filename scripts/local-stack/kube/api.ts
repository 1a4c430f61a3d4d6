// What the tests need of a Kubernetes API server, on @kubernetes/client-node: a KubeConfig loaded from a
// kubeconfig file and its KubernetesObjectApi for server-side apply, get, list and delete of any kind
// (discovery is the library's). Only what the library lacks is here:
//   - apply() orders CRDs → Namespaces → the rest, and waits until applied CRDs are Established and served;
//   - the apply PATCH carries `fieldValidation` (KubernetesObjectApi.patch has no parameter for it) and the
//     object exactly as given: the library's serializer keeps only the fields its model of a built-in kind
//     knows, which would drop a misspelt field before the API server could refuse it;
//   - API error answers become a KubeApiError whose `invalid` says "the API refused the object itself";
//   - the Warning headers are collected; field() reads a dotted path; parseManifests() reads YAML as kubectl does.

import {
  ApiException,
  ApiextensionsV1Api,
  CustomObjectsApi,
  createConfiguration,
  Health,
  KubeConfig,
  KubernetesObjectApi,
  type Middleware,
  PatchStrategy,
  type RequestContext,
  type ResponseContext,
  ServerConfiguration,
} from "@kubernetes/client-node";
import { parseAllDocuments, type Tags } from "yaml";
import { waitFor } from "../wait.ts";

export interface KubeMetadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

/** A Kubernetes object. Read nested fields with `field(object, "spec.replicas")`. */
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
  constructor(status: number, reason: string, message: string, body: unknown, cause?: unknown) {
    super(message, { cause });
    this.name = "KubeApiError";
    this.status = status;
    this.reason = reason;
    this.body = body;
  }

  /**
   * The API refused the object itself: 422 Invalid (validation, a CRD schema's required fields,
   * patterns, enums), or the answer server-side apply gives when a field does not fit the schema at
   * all (a wrong type, an unknown field: "failed to create typed patch object"), as it does in real clusters.
   */
  get invalid(): boolean {
    return (
      this.status === 422 || ((this.status === 500 || this.status === 400) && this.message.includes("failed to create typed patch object"))
    );
  }
}

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
 * timestamps stay strings and `10:30` is not a base-60 number. (The library's loadAllYaml reads YAML 1.2,
 * where `on` is a string: a chart that works with it could fail with kubectl.)
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

function describe(object: KubeObject): string {
  const namespace = object.metadata?.namespace ? `${object.metadata.namespace}/` : "";
  return `${object.apiVersion} ${object.kind} ${namespace}${object.metadata?.name ?? "<no name>"}`;
}

/** The library's ApiException (its message is the whole response) as a KubeApiError with the Status's message. */
function apiError(error: unknown, what: string): unknown {
  if (!(error instanceof ApiException)) return error;
  let body: unknown = error.body;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      // not JSON: keep the text
    }
  }
  const status = body as { reason?: string; message?: string } | undefined;
  const text = typeof body === "string" ? body.slice(0, 500) : (status?.message ?? "");
  return new KubeApiError(error.code, status?.reason ?? "", `${what}: ${error.code} ${text}`, body, error);
}

const DEFAULT_FIELD_MANAGER = "otp-capacity-lab";
const isCrd = (o: KubeObject) => o.kind === "CustomResourceDefinition" && o.apiVersion?.startsWith("apiextensions.k8s.io/");
const isNamespace = (o: KubeObject) => o.kind === "Namespace" && o.apiVersion === "v1";

export interface KubeClient {
  /** The loaded kubeconfig: `kubeConfig.makeApiClient(CoreV1Api)` etc. for anything else. */
  readonly kubeConfig: KubeConfig;
  /** The library's generic client, for what apply/get/list/delete do not cover. */
  readonly objects: KubernetesObjectApi;
  /** Every `Warning` header the API returned (deprecations, unknown fields under Warn, …), in order. */
  readonly warnings: string[];
  /** GET /readyz answered 200. */
  ready(): Promise<boolean>;
  apply(manifests: KubeObject[] | string, options?: ApplyOptions): Promise<KubeObject[]>;
  get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<KubeObject>;
  list(apiVersion: string, kind: string, namespace?: string): Promise<KubeObject[]>;
  delete(apiVersion: string, kind: string, name: string, namespace?: string): Promise<void>;
  /** Waits until every named CRD is Established and its kinds are served (discovery lists them). */
  waitForCrds(crds: KubeObject[], timeoutMs?: number): Promise<void>;
}

/** A client for the API server of `kubeconfigPath` (its current context). */
export function createKubeClient(kubeconfigPath: string): KubeClient {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error(`${kubeconfigPath} has no current cluster`);
  const warnings: string[] = [];
  // The apply in flight (applies run one at a time, see below): its body and fieldValidation.
  let applying: { body: string; fieldValidation: string } | undefined;

  const middleware: Middleware = {
    async pre(context: RequestContext) {
      const isApply = context.getHeaders()["Content-Type"] === PatchStrategy.ServerSideApply;
      if (isApply && applying) {
        context.setQueryParam("fieldValidation", applying.fieldValidation);
        context.setBody(applying.body);
      }
      return context;
    },
    async post(context: ResponseContext) {
      const warning = context.headers.warning;
      if (warning) warnings.push(warning);
      return context;
    },
  };
  const objects = new KubernetesObjectApi(
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kubeConfig },
      promiseMiddleware: [middleware],
    }),
  );
  const crdApi = kubeConfig.makeApiClient(ApiextensionsV1Api);
  const customObjects = kubeConfig.makeApiClient(CustomObjectsApi);
  const health = new Health(kubeConfig);

  // Server-side applies go one at a time, so that the middleware knows whose body it is sending.
  let queue: Promise<unknown> = Promise.resolve();
  function applyOne(object: KubeObject, options: ApplyOptions): Promise<KubeObject> {
    if (!object || typeof object !== "object" || !object.apiVersion || !object.kind || !object.metadata?.name) {
      throw new Error(`cannot apply an object without apiVersion, kind and metadata.name: ${JSON.stringify(object).slice(0, 200)}`);
    }
    const namespace = object.metadata.namespace ?? options.namespace ?? "default";
    const run = async () => {
      // The namespace is only used for namespaced kinds (the library leaves it out of cluster-scoped paths);
      // the body keeps the object as given, as kubectl sends it.
      const target = { ...object, metadata: { ...object.metadata, namespace } };
      applying = { body: JSON.stringify(object), fieldValidation: options.fieldValidation ?? "Strict" };
      try {
        return (await objects.patch(
          target,
          undefined,
          undefined,
          options.fieldManager ?? DEFAULT_FIELD_MANAGER,
          true,
          PatchStrategy.ServerSideApply,
        )) as KubeObject;
      } catch (error) {
        throw apiError(error, `apply ${describe(object)}`);
      } finally {
        applying = undefined;
      }
    };
    const result = queue.then(run, run);
    queue = result.catch(() => undefined);
    return result;
  }

  async function waitForCrds(crds: KubeObject[], timeoutMs = 30_000): Promise<void> {
    for (const crd of crds) {
      await waitFor(
        `CRD ${crd.metadata.name} to be Established`,
        async () => {
          const current = await crdApi.readCustomResourceDefinition({ name: crd.metadata.name });
          return current.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
        },
        { timeoutMs },
      );
      // Established comes first; discovery follows a moment later. Wait until every served version lists the kind.
      const spec = crd.spec as { group: string; names: { kind: string }; versions: { name: string; served: boolean }[] };
      for (const version of spec.versions.filter((v) => v.served)) {
        await waitFor(
          `discovery to list ${spec.group}/${version.name} ${spec.names.kind}`,
          async () => {
            const served = await customObjects.getAPIResources({ group: spec.group, version: version.name });
            return served.resources.some((r) => r.kind === spec.names.kind);
          },
          { timeoutMs },
        );
      }
    }
  }

  async function apply(manifests: KubeObject[] | string, options: ApplyOptions = {}): Promise<KubeObject[]> {
    const all = typeof manifests === "string" ? parseManifests(manifests) : flattenLists(manifests);
    const results: KubeObject[] = new Array(all.length);
    const indexed = all.map((object, index) => ({ object, index }));
    // CRDs first (and wait until they serve), then Namespaces, then everything else, in order.
    const crds = indexed.filter(({ object }) => isCrd(object));
    if (crds.length > 0) {
      for (const { object, index } of crds) results[index] = await applyOne(object, options);
      await waitForCrds(crds.map(({ object }) => object));
    }
    const namespaces = indexed.filter(({ object }) => isNamespace(object));
    const rest = indexed.filter(({ object }) => !isCrd(object) && !isNamespace(object));
    for (const { object, index } of [...namespaces, ...rest]) results[index] = await applyOne(object, options);
    return results;
  }

  const header = (apiVersion: string, kind: string, name: string, namespace?: string) => ({
    apiVersion,
    kind,
    metadata: { name, ...(namespace === undefined ? {} : { namespace }) },
  });

  return {
    kubeConfig,
    objects,
    warnings,
    ready: () => health.readyz({}),
    apply,
    waitForCrds,
    async get(apiVersion, kind, name, namespace) {
      try {
        return (await objects.read(header(apiVersion, kind, name, namespace))) as KubeObject;
      } catch (error) {
        throw apiError(error, `get ${apiVersion} ${kind} ${namespace ? `${namespace}/` : ""}${name}`);
      }
    },
    async list(apiVersion, kind, namespace) {
      try {
        const answer = await objects.list(apiVersion, kind, namespace);
        // List items carry no apiVersion/kind of their own.
        return answer.items.map((item) => ({ ...item, apiVersion, kind }) as KubeObject);
      } catch (error) {
        throw apiError(error, `list ${apiVersion} ${kind}`);
      }
    },
    async delete(apiVersion, kind, name, namespace) {
      try {
        await objects.delete(header(apiVersion, kind, name, namespace));
      } catch (error) {
        throw apiError(error, `delete ${apiVersion} ${kind} ${namespace ? `${namespace}/` : ""}${name}`);
      }
    },
  };
}
