import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { BenchResults } from "../../runner/results.ts";
import { RESULTS_SCHEMA_PATH, resultsJsonSchema, resultsJsonSchemaText } from "../generate-results-schema.ts";
import { validateResults } from "../validate-results.ts";
import { buildClusterFixture, buildFixture, buildWorkerSplitFixture } from "./fixture.ts";

type JsonSchema = { [keyword: string]: unknown };

const schema: JsonSchema = resultsJsonSchema();

function errorsOf(mutate: (r: BenchResults) => unknown) {
  const results = buildFixture();
  mutate(results);
  const outcome = validateResults(results);
  return outcome.ok ? [] : outcome.errors;
}

describe("results.schema.json", () => {
  it("is generated from k6/runner/results.ts and not stale (node k6/report/generate-results-schema.ts rewrites it)", () => {
    expect(readFileSync(RESULTS_SCHEMA_PATH, "utf8")).toBe(resultsJsonSchemaText());
    expect(JSON.parse(resultsJsonSchemaText())).toEqual(schema);
  });

  it("is versioned: draft 2020-12, $id and schema_version at version 2", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(String(schema.$id)).toMatch(/v2\.json$/);
    expect(schema.title).toBe("BenchResults v2");
    expect((schema.properties as Record<string, JsonSchema>).schema_version).toMatchObject({ const: 2 });
    expect(schema.additionalProperties).toBe(false);
  });
});

describe("validateResults", () => {
  it("accepts the fixture", () => {
    const outcome = validateResults(buildFixture());
    expect(outcome.ok ? [] : outcome.errors).toEqual([]);
  });

  it.each([
    ["a wrong schema version", (r: BenchResults) => Object.assign(r, { schema_version: 1 }), "$.schema_version", /expected 2/],
    ["an unknown profile", (r: BenchResults) => Object.assign(r, { profile: "huge" }), "$.profile", /one of "smoke", "default", "full"/],
    ["a missing run id", (r: BenchResults) => delete (r as unknown as Record<string, unknown>).run_id, "$.run_id", /required/],
    [
      "a missing schema version (a literal, not a type)",
      (r: BenchResults) => delete (r as unknown as Record<string, unknown>).schema_version,
      "$.schema_version",
      /required/,
    ],
    [
      "a missing layer kind (an enum)",
      (r: BenchResults) => delete (r.layers[0] as unknown as Record<string, unknown>).layer,
      "$.layers[0].layer",
      /required/,
    ],
    ["an unknown top-level property", (r: BenchResults) => Object.assign(r, { extra: true }), "$.extra", /not allowed/],
    [
      "a string capacity",
      (r: BenchResults) => Object.assign(r.layers[3] ?? {}, { capacity_rps: "10000" }),
      "$.layers[3].capacity_rps",
      /expected number or null, got string/,
    ],
    [
      "an unknown limited_by",
      (r: BenchResults) => Object.assign(r.layers[1] ?? {}, { limited_by: "cpu" }),
      "$.layers[1].limited_by",
      /one of/,
    ],
    ["an unknown layer kind", (r: BenchResults) => Object.assign(r.layers[0] ?? {}, { layer: "kafka" }), "$.layers[0].layer", /one of/],
    [
      "a negative p99 deep in a plateau",
      (r: BenchResults) => Object.assign(r.layers[2]?.plateaus[1]?.latencyMs ?? {}, { p99: -1 }),
      "$.layers[2].plateaus[1].latencyMs.p99",
      /must be >= 0/,
    ],
    [
      "a fractional request count",
      (r: BenchResults) => Object.assign(r.layers[4]?.plateaus[0] ?? {}, { requests: 10.5 }),
      "$.layers[4].plateaus[0].requests",
      /expected integer/,
    ],
    [
      "a missing server signal",
      (r: BenchResults) => delete ((r.layers[5]?.plateaus[2]?.server ?? {}) as Record<string, unknown>).eventLoopLagP99Ms,
      "$.layers[5].plateaus[2].server.eventLoopLagP99Ms",
      /required/,
    ],
    ["an error rate above 1", (r: BenchResults) => Object.assign(r.slo, { error_rate: 2 }), "$.slo.error_rate", /must be <= 1/],
    [
      "an unknown baseline tool",
      (r: BenchResults) => Object.assign(r.baselines[0] ?? {}, { tool: "wrk" }),
      "$.baselines[0].tool",
      /one of/,
    ],
    [
      "an unknown severity",
      (r: BenchResults) => Object.assign(r.recommendations[0] ?? {}, { severity: "urgent" }),
      "$.recommendations[0].severity",
      /one of/,
    ],
    [
      "a non-boolean check",
      (r: BenchResults) => Object.assign(r.validity[0] ?? {}, { passed: "yes" }),
      "$.validity[0].passed",
      /expected boolean/,
    ],
    [
      "a config value that is an object",
      (r: BenchResults) => Object.assign(r.environment.config, { nested: { a: 1 } }),
      "$.environment.config.nested",
      /expected string or number or boolean/,
    ],
    [
      "a version that is a number",
      (r: BenchResults) => Object.assign(r.environment.versions, { "redis-benchmark": 7 }),
      '$.environment.versions["redis-benchmark"]',
      /expected string/,
    ],
    [
      "a knee past the last plateau",
      (r: BenchResults) => Object.assign(r.layers[1] ?? {}, { knee_index: 99 }),
      "$.layers[1].knee_index",
      /past the last plateau/,
    ],
    [
      "a capacity claimed for a generator-limited layer",
      (r: BenchResults) => Object.assign(r.layers[2] ?? {}, { capacity_rps: 2000 }),
      "$.layers[2].capacity_rps",
      /generator_limited/,
    ],
  ])("rejects %s", (_name, mutate, path, message) => {
    const errors = errorsOf(mutate);
    expect(errors.map((e) => e.path)).toContain(path);
    expect(errors.find((e) => e.path === path)?.message).toMatch(message);
  });

  it("rejects something that is not an object at all", () => {
    const outcome = validateResults([1, 2]);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.errors[0]).toMatchObject({ path: "$", message: expect.stringMatching(/expected object, got array/) });
  });

  it("rejects unknown properties at every level, naming each one", () => {
    const errors = errorsOf((r) => {
      Object.assign(r.environment.host, { gpu: "none" });
      Object.assign(r.layers[2]?.plateaus[0]?.latencyMs ?? {}, { p999: 3, p9999: 4 });
      Object.assign(r.layers[0]?.plateaus[0]?.server.cpuCores ?? {}, { k6: 0.5 });
      Object.assign(r.bottleneck, { note: "" });
    });
    expect(errors).toEqual([
      { path: "$.environment.host.gpu", message: "is not allowed (unknown property)" },
      { path: "$.layers[0].plateaus[0].server.cpuCores.k6", message: "is not allowed (unknown property)" },
      { path: "$.layers[2].plateaus[0].latencyMs.p999", message: "is not allowed (unknown property)" },
      { path: "$.layers[2].plateaus[0].latencyMs.p9999", message: "is not allowed (unknown property)" },
      { path: "$.bottleneck.note", message: "is not allowed (unknown property)" },
    ]);
  });

  it("accepts null where the contract allows it and refuses it elsewhere", () => {
    expect(errorsOf((r) => Object.assign(r.layers[0] ?? {}, { capacity_rps: null, knee_index: null, baseline: null }))).toEqual([]);
    expect(errorsOf((r) => Object.assign(r.slo, { p99_ms: null }))).toEqual([
      { path: "$.slo.p99_ms", message: "expected number, got null" },
    ]);
  });

  it("returns the results it validated", () => {
    const fixture = buildFixture();
    const outcome = validateResults(JSON.parse(JSON.stringify(fixture)));
    expect(outcome).toEqual({ ok: true, results: fixture });
  });
});

/** Every property name under a schema, following $ref and anyOf. */
function walkSchema(node: unknown, root: JsonSchema, names: Set<string>, seen = new Set<unknown>()) {
  if (typeof node !== "object" || node === null || seen.has(node)) return;
  seen.add(node);
  const s = node as JsonSchema;
  if (typeof s.$ref === "string") walkSchema((root.$defs as JsonSchema)[s.$ref.replace("#/$defs/", "")], root, names, seen);
  if (Array.isArray(s.anyOf)) for (const branch of s.anyOf) walkSchema(branch, root, names, seen);
  if (s.properties) {
    for (const [key, child] of Object.entries(s.properties as JsonSchema)) {
      names.add(key);
      walkSchema(child, root, names, seen);
    }
  }
  if (typeof s.items === "object") walkSchema(s.items, root, names, seen);
  if (typeof s.additionalProperties === "object") walkSchema(s.additionalProperties, root, names, seen);
}

/** Every property name used in the fixture, except the keys of the free-form maps (versions, config). */
function fixtureKeys(value: unknown, out: Set<string>, path = "$") {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      fixtureKeys(v, out, `${path}[${i}]`);
    });
  } else if (typeof value === "object" && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      // Free-form maps: their keys are data, not schema properties.
      const freeForm =
        (path === "$.environment" && (key === "versions" || key === "config")) || (/\.variants\[\d+\]$/.test(path) && key === "env");
      if (freeForm) {
        out.add(key);
        continue;
      }
      out.add(key);
      fixtureKeys(child, out, `${path}.${key}`);
    }
  }
}

describe("schema coverage by the fixture", () => {
  const names = new Set<string>();
  walkSchema(schema, schema, names);

  it("the fixture uses every property the schema declares, and no other", () => {
    const keys = new Set<string>();
    fixtureKeys(buildFixture(), keys);
    fixtureKeys(buildWorkerSplitFixture(), keys);
    fixtureKeys(buildClusterFixture(), keys);
    expect([...names].filter((n) => !keys.has(n))).toEqual([]);
    expect([...keys].filter((k) => !names.has(k))).toEqual([]);
  });

  it("the fixture covers every enum value of the layer kinds and some nulls in every nullable signal", () => {
    const fixture = buildFixture();
    expect(new Set(fixture.layers.map((l) => l.layer)).size).toBe(9);
    expect(fixture.layers.some((l) => l.generator_limited && l.capacity_rps === null)).toBe(true);
    expect(fixture.layers.some((l) => !l.generator_limited && l.capacity_rps === null)).toBe(true);
    expect(fixture.validity.some((c) => !c.passed)).toBe(true);
  });
});
