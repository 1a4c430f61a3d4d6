// Groups the frames of a CPU profile by what a reader can act on: a library the service uses, the
// service's own code, Node's I/O machinery, garbage collection. Table-driven: a frame is matched on its
// url (the innermost node_modules/<package>/, a node: url, a path of the app) or, for V8's
// pseudo-frames, its name. Natives, tiny shared helpers (debug, ms, …) and Node's utility modules
// take the category of their caller: the time writev or debug() takes is the cost of whoever called it.

export type CategoryId =
  | "http-express"
  | "opentelemetry"
  | "pino"
  | "prom-client"
  | "pg"
  | "ioredis"
  | "undici"
  | "zod"
  | "crypto"
  | "app"
  | "node-http-net"
  | "gc"
  | "program"
  | "idle"
  | "other";

/** The part of a protocol CallFrame that categorising needs. */
export interface FrameIdentity {
  functionName: string;
  /** file:///…, node:…, or "" for natives and V8's pseudo-frames. */
  url: string;
}

interface CategoryRule {
  id: CategoryId;
  label: string;
  /** V8's pseudo-frames, matched on the function name (their url is empty). */
  pseudoFrames?: string[];
  /** npm packages, matched on the innermost node_modules/<package>/ of the url. */
  packages?: string[];
  /** npm scopes whose every package belongs here ("@opentelemetry"). */
  scopes?: string[];
  /** Prefixes of node: urls (Node's own JavaScript). */
  nodeUrlPrefixes?: string[];
  /** Path fragments of the service's own code, outside node_modules (a container's /app or the repository's app/). */
  sourcePaths?: string[];
}

// In the order the report lists them when it does not sort by time.
export const CATEGORY_RULES: readonly CategoryRule[] = [
  {
    id: "http-express",
    label: "HTTP: Express, router, body parser, middleware libs",
    packages: [
      "express",
      "router",
      "body-parser",
      "finalhandler",
      "send",
      "serve-static",
      "qs",
      "side-channel",
      "side-channel-list",
      "side-channel-map",
      "side-channel-weakmap",
      "raw-body",
      "iconv-lite",
      "on-finished",
      "ee-first",
      "unpipe",
      "bytes",
      "content-type",
      "content-disposition",
      "type-is",
      "media-typer",
      "mime-types",
      "mime-db",
      "accepts",
      "negotiator",
      "fresh",
      "etag",
      "vary",
      "parseurl",
      "path-to-regexp",
      "proxy-addr",
      "forwarded",
      "ipaddr.js",
      "range-parser",
      "cookie",
      "cookie-signature",
      "encodeurl",
      "escape-html",
      "statuses",
      "http-errors",
      "setprototypeof",
      "toidentifier",
      "merge-descriptors",
      "is-promise",
    ],
  },
  {
    id: "opentelemetry",
    label: "OpenTelemetry: tracing, instrumentation hooks, exporter",
    scopes: ["@opentelemetry", "@protobufjs", "@grpc"],
    packages: ["import-in-the-middle", "require-in-the-middle", "shimmer", "module-details-from-path", "forwarded-parse", "protobufjs"],
  },
  {
    id: "pino",
    label: "Logging: pino",
    scopes: ["@pinojs"],
    packages: [
      "pino",
      "pino-std-serializers",
      "pino-abstract-transport",
      "sonic-boom",
      "thread-stream",
      "fast-redact",
      "quick-format-unescaped",
      "atomic-sleep",
      "on-exit-leak-free",
      "safe-stable-stringify",
      "real-require",
    ],
  },
  { id: "prom-client", label: "Metrics: prom-client", packages: ["prom-client", "tdigest", "bintrees"] },
  {
    id: "pg",
    label: "PostgreSQL client: pg",
    packages: [
      "pg",
      "pg-pool",
      "pg-protocol",
      "pg-types",
      "pg-connection-string",
      "pg-int8",
      "pg-cloudflare",
      "pgpass",
      "postgres-array",
      "postgres-bytea",
      "postgres-date",
      "postgres-interval",
      "split2",
    ],
  },
  {
    id: "ioredis",
    label: "Redis client: ioredis",
    scopes: ["@ioredis"],
    packages: ["ioredis", "redis-parser", "redis-errors", "denque", "cluster-key-slot", "standard-as-callback"],
  },
  {
    id: "undici",
    label: "fetch: undici, web streams",
    packages: ["undici"],
    nodeUrlPrefixes: ["node:internal/deps/undici/", "node:internal/webstreams/", "node:stream/web"],
  },
  { id: "zod", label: "Validation: zod", packages: ["zod"] },
  { id: "crypto", label: "Crypto: hashing, random, HMAC", nodeUrlPrefixes: ["node:crypto", "node:internal/crypto/"] },
  { id: "app", label: "The service's own code", sourcePaths: ["/app/dist/", "/app/src/"] },
  {
    id: "node-http-net",
    label: "Node.js core: HTTP, sockets, streams, events, ticks and timers, async context",
    nodeUrlPrefixes: [
      "node:_http_",
      "node:http",
      "node:internal/http",
      "node:net",
      "node:internal/net",
      "node:internal/stream_base_commons",
      "node:stream",
      "node:internal/streams/",
      "node:events",
      "node:internal/events/",
      "node:internal/process/task_queues",
      "node:timers",
      "node:internal/timers",
      "node:async_hooks",
      "node:internal/async_hooks",
      "node:internal/async_local_storage/",
      "node:internal/async_context_frame",
      "node:dns",
      "node:internal/dns/",
    ],
  },
  { id: "gc", label: "Garbage collection", pseudoFrames: ["(garbage collector)"] },
  { id: "program", label: "V8 and native work not attributed to JavaScript", pseudoFrames: ["(program)"] },
  { id: "idle", label: "Idle (waiting for I/O)", pseudoFrames: ["(idle)"] },
  { id: "other", label: "Other: JavaScript and Node.js internals not listed above", pseudoFrames: ["(root)"] },
];

/** Frames whose time belongs to their caller's category (a native's url is empty). */
const CALLERS_COST = {
  packages: [
    "debug",
    "ms",
    "obug",
    "depd",
    "inherits",
    "safe-buffer",
    "safer-buffer",
    "tslib",
    "once",
    "wrappy",
    "xtend",
    "semver",
    "function-bind",
    "call-bind-apply-helpers",
    "call-bound",
    "get-intrinsic",
    "get-proto",
    "dunder-proto",
    "es-errors",
    "es-define-property",
    "es-object-atoms",
    "has-symbols",
    "hasown",
    "gopd",
    "math-intrinsics",
    "object-inspect",
  ],
  nodeUrlPrefixes: [
    // File writes are the caller's: in the service, pino's sonic-boom writing the log.
    "node:fs",
    "node:internal/fs/",
    "node:buffer",
    "node:internal/buffer",
    "node:string_decoder",
    "node:internal/validators",
    "node:internal/errors",
    "node:util",
    "node:internal/util",
    "node:url",
    "node:internal/url",
    "node:querystring",
    "node:internal/querystring",
  ],
};

export const CATEGORY_LABELS: Readonly<Record<CategoryId, string>> = Object.fromEntries(
  CATEGORY_RULES.map((rule) => [rule.id, rule.label]),
) as Record<CategoryId, string>;

const PSEUDO_FRAMES = new Set(CATEGORY_RULES.flatMap((rule) => rule.pseudoFrames ?? []));

/** The npm package a file belongs to: the innermost node_modules/<name>/ (or @scope/name) of its url. */
export function packageOf(url: string): string | undefined {
  const at = url.lastIndexOf("/node_modules/");
  if (at < 0) return undefined;
  const [first, second] = url.slice(at + "/node_modules/".length).split("/");
  if (!first) return undefined;
  return first.startsWith("@") && second ? `${first}/${second}` : first;
}

function firstRule(test: (rule: CategoryRule) => boolean): CategoryId {
  return CATEGORY_RULES.find(test)?.id ?? "other";
}

function takesCallersCategory({ functionName, url }: FrameIdentity): boolean {
  if (url === "") return !PSEUDO_FRAMES.has(functionName);
  const pkg = packageOf(url);
  if (pkg !== undefined) return CALLERS_COST.packages.includes(pkg);
  return CALLERS_COST.nodeUrlPrefixes.some((prefix) => url.startsWith(prefix));
}

/**
 * The category of a frame. callerCategory is that of the frame that called it, when known: natives,
 * shared helpers and Node's utility modules take it; alone they are "other".
 */
export function categoryOf(frame: FrameIdentity, callerCategory?: CategoryId): CategoryId {
  const { functionName, url } = frame;
  if (takesCallersCategory(frame)) return callerCategory ?? "other";
  if (url === "") return firstRule((rule) => rule.pseudoFrames?.includes(functionName) ?? false);
  const pkg = packageOf(url);
  if (pkg !== undefined) {
    const scope = pkg.startsWith("@") ? pkg.slice(0, pkg.indexOf("/")) : undefined;
    return firstRule((rule) => (rule.packages?.includes(pkg) ?? false) || (scope !== undefined && (rule.scopes?.includes(scope) ?? false)));
  }
  if (url.startsWith("node:")) return firstRule((rule) => rule.nodeUrlPrefixes?.some((prefix) => url.startsWith(prefix)) ?? false);
  return firstRule((rule) => rule.sourcePaths?.some((fragment) => url.includes(fragment)) ?? false);
}
