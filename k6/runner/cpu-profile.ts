// Pure analysis of a V8 CPU profile (the Chrome DevTools Protocol's Profiler.Profile, as written to a
// .cpuprofile file): cut it to a time window, group self time by what a reader can act on (a library,
// the service's own code, Node's I/O, GC), and build a compact tree for the report's flame graph.
// Times in the profile are microseconds on V8's monotonic clock; everything returned here is in ms.
import { CATEGORY_LABELS, type CategoryId, categoryOf } from "./cpu-categories.ts";

export { CATEGORY_LABELS, type CategoryId, categoryOf } from "./cpu-categories.ts";

export interface CallFrame {
  functionName: string;
  scriptId: string;
  /** file:///…, node:…, or "" for native code and V8's pseudo-frames ("(program)", "(garbage collector)", …). */
  url: string;
  /** 0-based, as the protocol sends it. */
  lineNumber: number;
  columnNumber: number;
}

export interface CpuProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
  deoptReason?: string;
  positionTicks?: { line: number; ticks: number }[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  /** The id of the node on top of the stack at each sample. */
  samples?: number[];
  /** µs from the previous sample (from startTime for the first). */
  timeDeltas?: number[];
}

// ---------------------------------------------------------------------------------------------------
// Samples and self time

/** Each sample's timestamp (µs, profile clock): startTime plus the cumulative deltas. */
export function sampleTimestamps(profile: CpuProfile): number[] {
  const deltas = profile.timeDeltas ?? [];
  const timestamps: number[] = [];
  let t = profile.startTime;
  for (const delta of deltas) {
    t += delta;
    timestamps.push(t);
  }
  return timestamps;
}

/**
 * Self time per node id, in µs. A sample stands for the interval since the previous one (its own
 * timeDelta): if the sampler is late because the thread was busy, the late sample's stack is the one
 * that kept it busy. V8 now and then records a sample slightly out of order (a negative delta): it
 * counts as zero rather than taking time away from a frame.
 */
function selfMicrosByNode(profile: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + Math.max(0, deltas[i] ?? 0));
  });
  return self;
}

/** The "(root)" node: the one that is nobody's child (V8 writes it first). */
function rootOf(profile: CpuProfile): CpuProfileNode | undefined {
  const children = new Set(profile.nodes.flatMap((node) => node.children ?? []));
  return profile.nodes.find((node) => !children.has(node.id));
}

/** Each node's category in its call stack: natives and shared helpers take their caller's. */
function categoriesByNode(profile: CpuProfile): Map<number, CategoryId> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const categories = new Map<number, CategoryId>();
  const root = rootOf(profile);
  // Top-down, so that a caller is categorised before its callees; the root's children have no caller.
  const pending: { id: number; caller?: CategoryId }[] = (root?.children ?? []).map((id) => ({ id }));
  while (pending.length > 0) {
    const { id, caller } = pending.pop() as { id: number; caller?: CategoryId };
    const node = byId.get(id);
    if (!node || categories.has(id)) continue;
    const category = categoryOf(node.callFrame, caller);
    categories.set(id, category);
    for (const child of node.children ?? []) pending.push({ id: child, caller: category });
  }
  return categories;
}

/**
 * The profile restricted to the samples whose timestamp is in [fromUs, toUs), on the profile's clock
 * (the runner maps wall-clock times to it through the moment profiling started ↔ profile.startTime).
 * The result is still a valid .cpuprofile: nodes no kept sample passes through are dropped, hit counts
 * are recounted, and positionTicks (per-line counts over the whole profile) are left out.
 */
export function sliceProfile(profile: CpuProfile, fromUs: number, toUs: number): CpuProfile {
  const startTime = Math.max(fromUs, profile.startTime);
  const endTime = Math.max(startTime, Math.min(toUs, profile.endTime));
  const timestamps = sampleTimestamps(profile);
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let previous = startTime;
  (profile.samples ?? []).forEach((id, i) => {
    const t = timestamps[i] ?? Number.NaN;
    if (!(t >= fromUs && t < toUs)) return;
    samples.push(id);
    timeDeltas.push(t - previous);
    previous = t;
  });

  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const hits = new Map<number, number>();
  for (const id of samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  // Keep every node on the path from the root to a kept sample, and the root always.
  const kept = new Set<number>();
  const root = rootOf(profile)?.id;
  if (root !== undefined) kept.add(root);
  for (const id of hits.keys()) {
    for (let at: number | undefined = id; at !== undefined && !kept.has(at); at = parentOf.get(at)) kept.add(at);
  }
  const nodes = profile.nodes
    .filter((node) => kept.has(node.id))
    .map((node): CpuProfileNode => {
      const { positionTicks: _dropped, children, ...rest } = node;
      return { ...rest, hitCount: hits.get(node.id) ?? 0, children: (children ?? []).filter((child) => kept.has(child)) };
    });
  return { nodes, startTime, endTime, samples, timeDeltas };
}

// ---------------------------------------------------------------------------------------------------
// Summary

export interface CategoryShare {
  id: CategoryId;
  label: string;
  selfMs: number;
  /** Of busyMs (0..1). */
  shareOfBusy: number;
}

export interface FunctionShare {
  functionName: string;
  url: string;
  /** 0-based like the protocol's callFrame.lineNumber (add 1 to show it as editors do); -1 for natives. */
  lineNumber: number;
  category: CategoryId;
  selfMs: number;
  shareOfBusy: number;
}

export interface ProfileSummary {
  durationMs: number;
  sampleCount: number;
  /** Sampled time on anything but "(idle)": JavaScript, natives, GC and V8's own work. */
  busyMs: number;
  idleMs: number;
  /** Categories with self time, idle excluded, most time first. */
  categories: CategoryShare[];
  /** The 25 functions with the most self time, idle excluded, nodes of the same function (and category) merged. */
  topFunctions: FunctionShare[];
}

const TOP_FUNCTIONS = 25;

/** One key per function: the same function reached through different stacks is one row. */
function functionKey(frame: CallFrame): string {
  return `${frame.functionName}\u0000${frame.url}\u0000${frame.lineNumber}\u0000${frame.columnNumber}`;
}

export function summariseProfile(profile: CpuProfile): ProfileSummary {
  const selfUs = selfMicrosByNode(profile);
  const categories = categoriesByNode(profile);
  const byCategory = new Map<CategoryId, number>();
  const byFunction = new Map<string, { frame: CallFrame; category: CategoryId; us: number }>();
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id);
    if (!us) continue;
    const category = categories.get(node.id) ?? "other";
    byCategory.set(category, (byCategory.get(category) ?? 0) + us);
    if (category === "idle") continue;
    // A native reached from two libraries is two rows: the category says whose cost it is.
    const key = `${functionKey(node.callFrame)}\u0000${category}`;
    const entry = byFunction.get(key) ?? { frame: node.callFrame, category, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
  }
  const idleUs = byCategory.get("idle") ?? 0;
  const busyUs = [...byCategory.values()].reduce((sum, us) => sum + us, 0) - idleUs;
  const share = (us: number) => (busyUs > 0 ? us / busyUs : 0);
  return {
    durationMs: (profile.endTime - profile.startTime) / 1000,
    sampleCount: profile.samples?.length ?? 0,
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    categories: [...byCategory]
      .filter(([id]) => id !== "idle")
      .map(([id, us]) => ({ id, label: CATEGORY_LABELS[id], selfMs: us / 1000, shareOfBusy: share(us) }))
      .sort((a, b) => b.selfMs - a.selfMs),
    topFunctions: [...byFunction.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, TOP_FUNCTIONS)
      .map(({ frame, category, us }) => ({
        functionName: frame.functionName || "(anonymous)",
        url: frame.url,
        lineNumber: frame.lineNumber,
        category,
        selfMs: us / 1000,
        shareOfBusy: share(us),
      })),
  };
}

// ---------------------------------------------------------------------------------------------------
// Flame graph tree

/** A frame of the flame graph; short keys keep the JSON embedded in the report small. */
export interface FlameNode {
  /** "functionName (file:line)", "(anonymous) (file:line)", a pseudo-frame's name, or "all" for the root. */
  n: string;
  /** Category id; "all" for the root. */
  c: CategoryId | "all";
  /** Total ms: self plus descendants. */
  v: number;
  /** Self ms. */
  s: number;
  k?: FlameNode[];
}

export interface FlameTreeOptions {
  /** Frames whose total is below this share of the root are folded into one "(other …)" child per parent. */
  minShare?: number;
}

/** A readable location: the path inside node_modules (package/file), the repository-relative app path, or the node: url. */
export function shortLocation(url: string): string {
  const withoutScheme = url.replace(/^file:\/\//, "");
  const inModules = withoutScheme.lastIndexOf("/node_modules/");
  if (inModules >= 0) return withoutScheme.slice(inModules + "/node_modules/".length);
  const inApp = withoutScheme.lastIndexOf("/app/");
  if (inApp >= 0) return withoutScheme.slice(inApp + 1);
  return withoutScheme;
}

export function frameName(frame: CallFrame): string {
  const name = frame.functionName || "(anonymous)";
  if (frame.url === "") return name;
  return `${name} (${shortLocation(frame.url)}:${frame.lineNumber + 1})`;
}

interface MergedFrame {
  name: string;
  category: CategoryId | "all";
  selfUs: number;
  totalUs: number;
  children: Map<string, MergedFrame>;
}

const round2 = (ms: number) => Math.round(ms * 100) / 100;

/**
 * The call tree for the flame graph, rooted at "all" (everything but idle): siblings that are the same
 * function are merged, children are sorted by total time (widest first), and subtrees below minShare
 * of the root are folded into an "(other …)" child so that the JSON stays small.
 */
export function flameTree(profile: CpuProfile, options: FlameTreeOptions = {}): FlameNode {
  const minShare = options.minShare ?? 0.002;
  const selfUs = selfMicrosByNode(profile);
  const categories = categoriesByNode(profile);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const root: MergedFrame = { name: "all", category: "all", selfUs: 0, totalUs: 0, children: new Map() };

  // Recursion is bounded: V8 records at most 255 frames per sample, so the tree is no deeper.
  const merge = (id: number, into: MergedFrame): number => {
    const node = byId.get(id);
    if (!node) return 0;
    const category = categories.get(id) ?? "other";
    if (category === "idle") return 0;
    const key = functionKey(node.callFrame);
    let frame = into.children.get(key);
    if (!frame) {
      frame = { name: frameName(node.callFrame), category, selfUs: 0, totalUs: 0, children: new Map() };
      into.children.set(key, frame);
    }
    let totalUs = selfUs.get(id) ?? 0;
    frame.selfUs += totalUs;
    for (const child of node.children ?? []) totalUs += merge(child, frame);
    frame.totalUs += totalUs;
    return totalUs;
  };
  for (const child of rootOf(profile)?.children ?? []) root.totalUs += merge(child, root);
  return toFlameNode(root, root.totalUs * minShare);
}

function toFlameNode(frame: MergedFrame, minUs: number): FlameNode {
  const node: FlameNode = { n: frame.name, c: frame.category, v: round2(frame.totalUs / 1000), s: round2(frame.selfUs / 1000) };
  const children = [...frame.children.values()].sort((a, b) => b.totalUs - a.totalUs);
  const kept = children.filter((child) => child.totalUs >= minUs && child.totalUs > 0);
  const folded = children.filter((child) => child.totalUs < minUs && child.totalUs > 0);
  const k = kept.map((child) => toFlameNode(child, minUs));
  if (folded.length > 0) {
    const us = folded.reduce((sum, child) => sum + child.totalUs, 0);
    const ms = round2(us / 1000);
    k.push({ n: `(other: ${folded.length} smaller frame${folded.length === 1 ? "" : "s"})`, c: "other", v: ms, s: ms });
  }
  if (k.length > 0) node.k = k;
  return node;
}
