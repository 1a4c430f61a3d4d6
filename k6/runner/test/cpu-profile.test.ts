// The CPU profile analysis: exact figures on a small hand-built profile, then a real profile of an
// Express app captured through the inspector.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CallFrame,
  type CategoryId,
  type CpuProfile,
  type CpuProfileNode,
  categoryOf,
  type FlameNode,
  flameTree,
  sampleTimestamps,
  sliceProfile,
  summariseProfile,
} from "../cpu-profile.ts";
import { profileProcess } from "../inspector-profiler.ts";
import { type ProfiledChild, startProfiledChild } from "./profiled-child.ts";

const frame = (functionName: string, url = "", lineNumber = -1): CallFrame => ({
  functionName,
  url,
  lineNumber,
  columnNumber: 0,
  scriptId: "1",
});

const ROUTER = frame("handle", "file:///srv/node_modules/router/index.js", 149);
const JSON_PARSER = frame("jsonParser", "file:///srv/node_modules/body-parser/lib/types/json.js", 58);
const HANDLER = frame("handler", "file:///app/dist/http/routes.js", 9);

// (root)
// ├─ (program) · (idle) · (garbage collector)
// ├─ handle [router]            ─┬─ jsonParser [body-parser] ── Socket._writeGeneric [node:net] ── writev (native)
// │                              └─ handler [app] ── createHash [node:internal/crypto] ── Hash (native)
// ├─ listOnTimeout [node:timers] ── handler [app]         (the same function through another stack)
// └─ handle [router] ── jsonParser                         (a sibling node of the same function)
const NODES: [number, CallFrame, number[]][] = [
  [1, frame("(root)"), [2, 3, 4, 5, 11, 14]],
  [2, frame("(program)"), []],
  [3, frame("(idle)"), []],
  [4, frame("(garbage collector)"), []],
  [5, ROUTER, [6, 8]],
  [6, JSON_PARSER, [13]],
  [13, frame("Socket._writeGeneric", "node:net", 960), [7]],
  [7, frame("writev"), []],
  [8, HANDLER, [9]],
  [9, frame("createHash", "node:internal/crypto/hash", 70), [10]],
  [10, frame("Hash"), []],
  [11, frame("listOnTimeout", "node:internal/timers", 540), [12]],
  [12, HANDLER, []],
  [14, ROUTER, [15]],
  [15, JSON_PARSER, []],
];
const START = 1_000_000;
//  sample:        program idle handle jsonP writev handler Hash handler idle gc   jsonP
const SAMPLES = [2, 3, 5, 6, 7, 8, 10, 12, 3, 4, 15];
const DELTAS = [1000, 2000, 1000, 700, 1600, 1000, 3000, 1000, 4000, 2200, 800];
const TIMESTAMPS = [
  1_001_000, 1_003_000, 1_004_000, 1_004_700, 1_006_300, 1_007_300, 1_010_300, 1_011_300, 1_015_300, 1_017_500, 1_018_300,
];

function handBuilt(): CpuProfile {
  return {
    nodes: NODES.map(([id, callFrame, children]) => ({ id, callFrame, hitCount: SAMPLES.filter((s) => s === id).length, children })),
    startTime: START,
    endTime: 1_019_000,
    samples: [...SAMPLES],
    timeDeltas: [...DELTAS],
  };
}

/** What Chrome DevTools and speedscope rely on to open a .cpuprofile. */
function expectValidProfile(profile: CpuProfile): void {
  const ids = new Set(profile.nodes.map((node) => node.id));
  expect(ids.size).toBe(profile.nodes.length);
  expect(profile.nodes[0]?.callFrame.functionName).toBe("(root)");
  for (const node of profile.nodes) for (const child of node.children ?? []) expect(ids.has(child), `child ${child}`).toBe(true);
  for (const id of profile.samples ?? []) expect(ids.has(id), `sample ${id}`).toBe(true);
  expect(profile.timeDeltas?.length).toBe(profile.samples?.length);
  const timestamps = sampleTimestamps(profile);
  if (timestamps.length > 0) {
    expect(timestamps[0]).toBeGreaterThanOrEqual(profile.startTime);
    expect(timestamps.at(-1)).toBeLessThanOrEqual(profile.endTime);
  }
  expect(JSON.parse(JSON.stringify(profile))).toEqual(profile);
}

const names = (nodes: FlameNode[] | undefined) => (nodes ?? []).map((node) => node.n);

describe("categoryOf", () => {
  const cases: [string, string, CategoryId][] = [
    ["file:///work/main/node_modules/express/lib/application.js", "handle", "http-express"],
    ["file:///srv/node_modules/express/node_modules/qs/lib/parse.js", "parse", "http-express"],
    ["file:///srv/node_modules/raw-body/index.js", "readStream", "http-express"],
    ["file:///app/node_modules/@opentelemetry/instrumentation-express/build/src/instrumentation.js", "patched", "opentelemetry"],
    ["file:///app/node_modules/import-in-the-middle/lib/register.js", "register", "opentelemetry"],
    ["file:///srv/node_modules/pino/lib/proto.js", "write", "pino"],
    ["file:///srv/node_modules/pino/node_modules/sonic-boom/index.js", "actualWrite", "pino"],
    ["file:///srv/node_modules/thread-stream/index.js", "write", "pino"],
    ["file:///srv/node_modules/tdigest/tdigest.js", "push", "prom-client"],
    ["file:///srv/node_modules/pg-protocol/dist/parser.js", "parse", "pg"],
    ["file:///srv/node_modules/@ioredis/commands/built/index.js", "exists", "ioredis"],
    ["file:///srv/node_modules/redis-parser/lib/parser.js", "execute", "ioredis"],
    ["node:internal/deps/undici/undici", "fetch", "undici"],
    ["node:internal/webstreams/readablestream", "pull", "undici"],
    ["file:///srv/node_modules/zod/v4/core/parse.js", "safeParse", "zod"],
    ["node:crypto", "createHmac", "crypto"],
    ["node:internal/crypto/random", "randomInt", "crypto"],
    ["file:///app/dist/http/otp-routes.js", "send", "app"],
    ["file:///work/main/app/src/domain/otp-code.ts", "generate", "app"],
    ["node:_http_server", "parserOnIncoming", "node-http-net"],
    ["node:net", "onStreamRead", "node-http-net"],
    ["node:internal/stream_base_commons", "writeGeneric", "node-http-net"],
    ["node:internal/streams/readable", "push", "node-http-net"],
    ["node:events", "emit", "node-http-net"],
    ["node:internal/async_local_storage/async_context_frame", "run", "node-http-net"],
    ["", "(garbage collector)", "gc"],
    ["", "(program)", "program"],
    ["", "(idle)", "idle"],
    ["node:internal/modules/cjs/loader", "require", "other"],
    ["file:///srv/node_modules/left-pad/index.js", "leftPad", "other"],
    ["file:///srv/node_modules/left-pad/app/dist/index.js", "leftPad", "other"],
    ["file:///tmp/script.js", "main", "other"],
  ];
  it.each(cases)("%s %s → %s", (url, functionName, expected) => {
    expect(categoryOf({ url, functionName })).toBe(expected);
  });

  it("gives natives, shared helpers and Node's utility modules their caller's category", () => {
    expect(categoryOf({ url: "", functionName: "writev" })).toBe("other");
    expect(categoryOf({ url: "", functionName: "writev" }, "node-http-net")).toBe("node-http-net");
    expect(categoryOf({ url: "file:///srv/node_modules/debug/src/common.js", functionName: "debug" }, "ioredis")).toBe("ioredis");
    expect(categoryOf({ url: "node:buffer", functionName: "from" }, "pg")).toBe("pg");
    expect(categoryOf({ url: "node:fs", functionName: "writeSync" }, "pino")).toBe("pino");
    // A frame with a category of its own keeps it whoever calls it.
    expect(categoryOf({ url: "node:internal/crypto/hash", functionName: "Hash" }, "app")).toBe("crypto");
    expect(categoryOf({ url: "", functionName: "(garbage collector)" }, "app")).toBe("gc");
  });
});

describe("summariseProfile", () => {
  it("sums self time from the actual deltas, by category and by function, idle apart", () => {
    const summary = summariseProfile(handBuilt());
    expect(summary.durationMs).toBe(19);
    expect(summary.sampleCount).toBe(11);
    expect(summary.idleMs).toBe(6);
    expect(summary.busyMs).toBeCloseTo(12.3, 9);
    expect(summary.categories.map((c) => [c.id, c.selfMs])).toEqual([
      ["crypto", 3],
      ["http-express", 2.5],
      ["gc", 2.2],
      ["app", 2],
      ["node-http-net", 1.6],
      ["program", 1],
    ]);
    expect(summary.categories[0]?.shareOfBusy).toBeCloseTo(3 / 12.3, 9);
    expect(summary.categories[0]?.label).toBe("Crypto: hashing, random, HMAC");
    expect(summary.categories.reduce((sum, c) => sum + c.shareOfBusy, 0)).toBeCloseTo(1, 9);

    expect(summary.topFunctions.slice(0, 5)).toEqual([
      { functionName: "Hash", url: "", lineNumber: -1, category: "crypto", selfMs: 3, shareOfBusy: expect.closeTo(3 / 12.3, 9) },
      {
        functionName: "(garbage collector)",
        url: "",
        lineNumber: -1,
        category: "gc",
        selfMs: 2.2,
        shareOfBusy: expect.closeTo(2.2 / 12.3, 9),
      },
      // Two nodes (through the router and through a timer) are one function.
      { functionName: "handler", url: HANDLER.url, lineNumber: 9, category: "app", selfMs: 2, shareOfBusy: expect.closeTo(2 / 12.3, 9) },
      {
        functionName: "writev",
        url: "",
        lineNumber: -1,
        category: "node-http-net",
        selfMs: 1.6,
        shareOfBusy: expect.closeTo(1.6 / 12.3, 9),
      },
      {
        functionName: "jsonParser",
        url: JSON_PARSER.url,
        lineNumber: 58,
        category: "http-express",
        selfMs: 1.5,
        shareOfBusy: expect.closeTo(1.5 / 12.3, 9),
      },
    ]);
    expect(summary.topFunctions.map((f) => f.functionName)).not.toContain("(idle)");
  });

  it("counts a profile without samples as empty, not as an error", () => {
    const summary = summariseProfile({ ...handBuilt(), samples: [], timeDeltas: [] });
    expect(summary).toMatchObject({ sampleCount: 0, busyMs: 0, idleMs: 0, categories: [], topFunctions: [] });
  });
});

describe("sliceProfile", () => {
  it("keeps exactly the samples in [from, to), at their original timestamps", () => {
    const slice = sliceProfile(handBuilt(), 1_004_000, 1_011_000);
    expect(slice.samples).toEqual([5, 6, 7, 8, 10]);
    expect(sampleTimestamps(slice)).toEqual(TIMESTAMPS.slice(2, 7));
    expect(slice.startTime).toBe(1_004_000);
    expect(slice.endTime).toBe(1_011_000);
    expectValidProfile(slice);
  });

  it("drops nodes no kept sample passes through and recounts hits", () => {
    const slice = sliceProfile(handBuilt(), 1_004_000, 1_011_000);
    const byId = new Map(slice.nodes.map((node): [number, CpuProfileNode] => [node.id, node]));
    expect([...byId.keys()].sort((a, b) => a - b)).toEqual([1, 5, 6, 7, 8, 9, 10, 13]);
    expect(byId.get(1)?.children).toEqual([5]);
    expect(byId.get(5)?.hitCount).toBe(1);
    expect(byId.get(9)?.hitCount).toBe(0);
  });

  it("attributes the time inside the window only: the first kept sample's interval starts at the window", () => {
    const summary = summariseProfile(sliceProfile(handBuilt(), 1_004_500, 1_011_000));
    // jsonParser at 1_004_700: 0.2 ms of its 0.7 ms interval is inside; then writev, handler, Hash in full.
    expect(summary.categories.map((c) => [c.id, Math.round(c.selfMs * 1000) / 1000])).toEqual([
      ["crypto", 3],
      ["node-http-net", 1.6],
      ["app", 1],
      ["http-express", 0.2],
    ]);
  });

  it("returns the whole profile for a window that covers it, and an empty valid one for a window outside it", () => {
    const whole = sliceProfile(handBuilt(), 0, Number.MAX_SAFE_INTEGER);
    expect(whole.samples).toEqual(SAMPLES);
    expect(whole.timeDeltas).toEqual(DELTAS);
    expect(summariseProfile(whole)).toEqual(summariseProfile(handBuilt()));
    const none = sliceProfile(handBuilt(), 2_000_000, 3_000_000);
    expect(none.samples).toEqual([]);
    expect(none.nodes.map((node) => node.id)).toEqual([1]);
    expectValidProfile(none);
  });
});

describe("flameTree", () => {
  it("merges siblings of the same function, leaves idle out and sorts the widest first", () => {
    const tree = flameTree(handBuilt(), { minShare: 0 });
    expect(tree).toMatchObject({ n: "all", c: "all", v: 12.3, s: 0 });
    expect(names(tree.k)).toEqual([
      "handle (router/index.js:150)",
      "(garbage collector)",
      "(program)",
      "listOnTimeout (node:internal/timers:541)",
    ]);
    const router = tree.k?.[0];
    expect(router).toMatchObject({ c: "http-express", v: 8.1, s: 1 });
    expect(router?.k).toEqual([
      {
        n: "handler (app/dist/http/routes.js:10)",
        c: "app",
        v: 4,
        s: 1,
        k: [
          {
            n: "createHash (node:internal/crypto/hash:71)",
            c: "crypto",
            v: 3,
            s: 0,
            k: [{ n: "Hash", c: "crypto", v: 3, s: 3 }],
          },
        ],
      },
      {
        // Both jsonParser nodes, one under each handle node.
        n: "jsonParser (body-parser/lib/types/json.js:59)",
        c: "http-express",
        v: 3.1,
        s: 1.5,
        k: [
          {
            n: "Socket._writeGeneric (node:net:961)",
            c: "node-http-net",
            v: 1.6,
            s: 0,
            k: [{ n: "writev", c: "node-http-net", v: 1.6, s: 1.6 }],
          },
        ],
      },
    ]);
  });

  it("folds the frames below minShare of the root into one (other) child per parent", () => {
    const tree = flameTree(handBuilt(), { minShare: 0.1 });
    expect(names(tree.k)).toEqual(["handle (router/index.js:150)", "(garbage collector)", "(other: 2 smaller frames)"]);
    expect(tree.k?.[2]).toEqual({ n: "(other: 2 smaller frames)", c: "other", v: 2, s: 2 });
    // The router's children are both above 1.23 ms: nothing folded there.
    expect(names(tree.k?.[0]?.k)).toHaveLength(2);
  });
});

describe("a real profile of an Express app", () => {
  let server: ProfiledChild;
  let profile: CpuProfile;
  let startedAtMs: number;

  beforeAll(async () => {
    server = await startProfiledChild("express-server.mjs");
    const port = Number(server.firstLine.split(" ")[1]);
    const handle = await profileProcess({ pid: server.pid, inspectPort: server.inspectPort });
    startedAtMs = handle.startedAtMs;
    const until = Date.now() + 1500;
    const client = async () => {
      for (let i = 0; Date.now() < until; i++) {
        const response = await fetch(`http://127.0.0.1:${port}/echo/tenant-${i % 5}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ phone: "+15550000000", i }),
        });
        await response.json();
      }
    };
    await Promise.all([client(), client(), client(), client()]);
    await sleep(100);
    profile = await handle.stop();
  }, 30_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("puts time in Express and Node's HTTP stack", () => {
    const summary = summariseProfile(profile);
    const ms = (id: CategoryId) => summary.categories.find((c) => c.id === id)?.selfMs ?? 0;
    expect(summary.busyMs).toBeGreaterThan(50);
    expect(ms("http-express")).toBeGreaterThan(0);
    expect(ms("node-http-net")).toBeGreaterThan(0);
    expect(summary.topFunctions.some((f) => f.category === "http-express")).toBe(true);
  });

  it("slices by wall clock through startedAtMs, and the slice is a valid profile", () => {
    expectValidProfile(profile);
    // The middle of the load: from 0.5 s to 1.0 s after profiling started.
    const fromUs = profile.startTime + 500_000;
    const slice = sliceProfile(profile, fromUs, fromUs + 500_000);
    expectValidProfile(slice);
    const timestamps = sampleTimestamps(slice);
    expect(timestamps.length).toBeGreaterThan(100);
    expect(timestamps.length).toBeLessThan(profile.samples?.length ?? 0);
    expect(Math.min(...timestamps)).toBeGreaterThanOrEqual(fromUs);
    expect(Math.max(...timestamps)).toBeLessThan(fromUs + 500_000);
    expect(startedAtMs).toBeLessThanOrEqual(Date.now());
  });

  it("builds a small flame tree whose frames add up", () => {
    const tree = flameTree(profile);
    expect(JSON.stringify(tree).length).toBeLessThan(150_000);
    const busyMs = summariseProfile(profile).busyMs;
    expect(tree.v).toBeCloseTo(busyMs, 0);
    const check = (node: FlameNode): void => {
      const children = (node.k ?? []).reduce((sum, child) => sum + child.v, 0);
      // Totals are rounded to 0.01 ms per frame.
      expect(Math.abs(node.v - node.s - children)).toBeLessThan(0.01 * ((node.k?.length ?? 0) + 2));
      node.k?.forEach(check);
    };
    check(tree);
    const categories = new Set<string>();
    const collect = (node: FlameNode): void => {
      categories.add(node.c);
      node.k?.forEach(collect);
    };
    collect(tree);
    expect(categories).toContain("http-express");
    expect(categories).not.toContain("idle");
  });
});
