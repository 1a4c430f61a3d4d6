// values.schema.json comes from the zod schema and Helm enforces it: bad values fail `helm lint
// --strict` (and `helm template`), every profile passes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mergeValues, PROFILES } from "../src/profiles.ts";
import { defaultValues, valuesJsonSchema, valuesSchema } from "../src/values-schema.ts";
import { CHART_DIR, helm, type Profile, templateText, valuesArgs } from "./render.ts";

const scratch = mkdtempSync(join(tmpdir(), "otp-values-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function valuesFile(name: string, content: string): string {
  const file = join(scratch, `${name}.yaml`);
  writeFileSync(file, content);
  return file;
}

const lint = (profile: Profile, valuesFiles: string[] = []) =>
  helm(["lint", "--strict", CHART_DIR, ...valuesArgs(profile, { valuesFiles })]);

describe("the values schema (zod)", () => {
  it("is what values.schema.json holds", () => {
    expect(JSON.parse(readFileSync(join(CHART_DIR, "values.schema.json"), "utf8"))).toEqual(valuesJsonSchema());
  });

  it("accepts the defaults and every profile merged over them", () => {
    expect(valuesSchema.safeParse(defaultValues()).success).toBe(true);
    for (const profile of Object.values(PROFILES)) {
      expect(valuesSchema.safeParse(mergeValues(defaultValues(), profile.values)).error).toBeUndefined();
    }
  });

  it.each([
    ["image.tag latest", { image: { tag: "latest" } }],
    ["a negative replica count", { replicaCount: -1 }],
    ["a fractional replica count", { replicaCount: 1.5 }],
    ["an unknown key (typo)", { replicaCont: 2 }],
    ["postgres pinned to latest", { postgresql: { image: { tag: "latest" } } }],
    ["an empty dependency tag", { redis: { image: { tag: "" } } }],
    ["a short OTP secret", { secrets: { otpSecret: "short" } }],
    ["an unknown pull policy", { image: { pullPolicy: "Sometimes" } }],
  ])("rejects %s", (_, override) => {
    expect(valuesSchema.safeParse(mergeValues(defaultValues(), override)).success).toBe(false);
  });
});

describe("helm lint --strict", () => {
  it.each(["default", "bench", "production"] as const)("passes for the %s values", async (profile) => {
    const result = await lint(profile);
    expect(result.stderr + result.stdout).toContain("0 chart(s) failed");
    expect(result.code).toBe(0);
  });

  it.each([
    ["image.tag: latest", "image:\n  tag: latest\n", "image.tag"],
    ["replicaCount: -1", "replicaCount: -1\n", "replicaCount"],
    ["an unknown key", "replicaCont: 3\n", "replicaCont"],
    ["postgresql.image.tag: latest", "postgresql:\n  image:\n    tag: latest\n", "postgresql.image.tag"],
  ])("fails for %s", async (name, content, field) => {
    const result = await lint("default", [valuesFile(name.replace(/\W+/g, "-"), content)]);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/schema/i);
    expect(result.stdout + result.stderr).toContain(field.split(".").pop());
  });

  it("stops helm template too, and catches latest given on the command line", async () => {
    await expect(templateText("bench", "x", "ns", { set: { "image.tag": "latest" } })).rejects.toThrow(/schema/i);
    await expect(templateText("default", "x", "ns", { set: { replicaCount: -3 } })).rejects.toThrow(/schema/i);
  });

  it("requires an SMS provider URL once the mock is off", async () => {
    await expect(templateText("default", "x", "ns", { set: { "mockSms.enabled": false } })).rejects.toThrow(
      /config.sms.providerUrl is required/,
    );
  });

  it("requires database and Redis URLs once the in-cluster ones are off (without an existing Secret)", async () => {
    await expect(templateText("default", "x", "ns", { set: { "postgresql.enabled": false } })).rejects.toThrow(/secrets.databaseUrl/);
    await expect(templateText("default", "x", "ns", { set: { "redis.enabled": false } })).rejects.toThrow(/secrets.redisUrl/);
  });
});
