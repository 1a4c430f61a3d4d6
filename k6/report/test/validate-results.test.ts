import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { BenchResults } from "../../runner/results.ts";
import { type JsonSchema, loadResultsSchema, validateAgainstSchema, validateResults } from "../validate-results.ts";
import { buildFixture } from "./fixture.ts";

const schema = loadResultsSchema();

function errorsOf(mutate: (r: BenchResults) => unknown) {
  const results = buildFixture();
  mutate(results);
  const outcome = validateResults(results, schema);
  return outcome.ok ? [] : outcome.errors;
}

describe("results.schema.json", () => {
  it("is versioned: draft 2020-12, $id and schema_version at version 1", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(String(schema.$id)).toMatch(/v1\.json$/);
    expect((schema.properties as Record<string, JsonSchema>).schema_version).toEqual({ const: 1 });
  });

  it("accepts the fixture", () => {
    const outcome = validateResults(buildFixture(), schema);
    expect(outcome.ok ? [] : outcome.errors).toEqual([]);
  });

  it.each([
    ["a wrong schema version", (r: BenchResults) => Object.assign(r, { schema_version: 2 }), "$.schema_version", /expected 1/],
    ["an unknown profile", (r: BenchResults) => Object.assign(r, { profile: "huge" }), "$.profile", /one of "smoke", "default", "full"/],
    ["a missing run id", (r: BenchResults) => delete (r as unknown as Record<string, unknown>).run_id, "$.run_id", /required/],
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
    const outcome = validateResults([1, 2], schema);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.errors[0]).toMatchObject({ path: "$", message: expect.stringMatching(/expected object, got array/) });
  });

  it("refuses a schema keyword the validator does not implement", () => {
    expect(() => validateAgainstSchema("x", { type: "string", pattern: "^a" })).toThrow(/"pattern".*not supported/);
  });
});

/** Every property name under a schema (following $ref), with the enum and const values met on the way. */
function walkSchema(node: unknown, root: JsonSchema, names: Set<string>, literals: Set<unknown>, seen = new Set<unknown>()) {
  if (typeof node !== "object" || node === null || seen.has(node)) return;
  seen.add(node);
  const s = node as JsonSchema;
  if (typeof s.$ref === "string") walkSchema((root.$defs as JsonSchema)[s.$ref.replace("#/$defs/", "")], root, names, literals, seen);
  if (Array.isArray(s.enum)) for (const v of s.enum) literals.add(v);
  if (s.properties) {
    for (const [key, child] of Object.entries(s.properties as JsonSchema)) {
      names.add(key);
      walkSchema(child, root, names, literals, seen);
    }
  }
  if (typeof s.items === "object") walkSchema(s.items, root, names, literals, seen);
  if (typeof s.additionalProperties === "object") walkSchema(s.additionalProperties, root, names, literals, seen);
}

/** Every property name used in the fixture, except the keys of the free-form maps (versions, config). */
function fixtureKeys(value: unknown, out: Set<string>, path = "$") {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      fixtureKeys(v, out, `${path}[${i}]`);
    });
  } else if (typeof value === "object" && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      if (path === "$.environment" && (key === "versions" || key === "config")) {
        out.add(key);
        continue;
      }
      out.add(key);
      fixtureKeys(child, out, `${path}.${key}`);
    }
  }
}

describe("schema coverage of the TypeScript contract (k6/runner/results.ts)", () => {
  const names = new Set<string>();
  const literals = new Set<unknown>();
  walkSchema(schema, schema, names, literals);

  it("the fixture uses every property the schema declares, and no other", () => {
    const keys = new Set<string>();
    fixtureKeys(buildFixture(), keys);
    expect([...names].filter((n) => !keys.has(n))).toEqual([]);
    expect([...keys].filter((k) => !names.has(k))).toEqual([]);
  });

  it("the schema declares exactly the property names and string literals of results.ts", () => {
    const source = readFileSync(new URL("../../runner/results.ts", import.meta.url), "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/\/\/.*$/gm, "");
    const tsLiterals = new Set([...source.matchAll(/"([^"]+)"/g)].map((m) => m[1]));
    const tsNames = new Set([...source.replace(/"[^"]*"/g, '""').matchAll(/([A-Za-z_][A-Za-z0-9_]*)\??\s*:/g)].map((m) => m[1]));
    expect([...tsNames].filter((n) => n !== undefined && !names.has(n))).toEqual([]);
    expect([...names].filter((n) => !tsNames.has(n))).toEqual([]);
    expect([...tsLiterals].filter((l) => !literals.has(l))).toEqual([]);
    expect([...literals].filter((l) => !tsLiterals.has(l as string))).toEqual([]);
  });

  it("the fixture covers every enum value of the layer kinds and some nulls in every nullable signal", () => {
    const fixture = buildFixture();
    expect(new Set(fixture.layers.map((l) => l.layer)).size).toBe(9);
    expect(fixture.layers.some((l) => l.generator_limited && l.capacity_rps === null)).toBe(true);
    expect(fixture.layers.some((l) => !l.generator_limited && l.capacity_rps === null)).toBe(true);
    expect(fixture.validity.some((c) => !c.passed)).toBe(true);
  });
});
