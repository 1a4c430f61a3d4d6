// The OtpTenant CRD on a real kube-apiserver: the committed YAML is what the zod schemas generate, a
// valid resource is accepted and defaulted, and each rule (CEL, bounds, types, unknown fields) refuses
// a bad one naming the field.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { GENERATED_DIR, writeCrds } from "../src/generate-crds.ts";
import { GROUP, PLURAL } from "../src/otp-tenant/schema.ts";
import { createNamespace, testKube } from "./support/kube.ts";
import { tenantsIn } from "./support/tenants.ts";

const namespace = "crd-test";
const kube = testKube(inject("kubeconfigPath"));
const tenants = tenantsIn(kube, namespace);
let counter = 0;

beforeAll(async () => {
  await createNamespace(kube, namespace);
});

const create = (spec: unknown, extra?: Record<string, unknown>) => tenants.create(`t${++counter}`, spec, extra);

async function rejection(spec: unknown, extra?: Record<string, unknown>): Promise<string> {
  try {
    await create(spec, extra);
  } catch (error) {
    const body = String((error as { body?: unknown }).body ?? (error as Error).message);
    return body;
  }
  throw new Error(`accepted: ${JSON.stringify(spec)}`);
}

describe("OtpTenant CRD", () => {
  it("the committed YAML of every CRD (OtpTenant, CapacityBenchmark) is what generate-crds.ts writes today", () => {
    const dir = mkdtempSync(join(tmpdir(), "crds-"));
    for (const file of writeCrds(dir)) {
      const name = file.slice(dir.length + 1);
      expect(readFileSync(file, "utf8"), `${name} is stale: run make synth`).toBe(readFileSync(join(GENERATED_DIR, name), "utf8"));
    }
  });

  it("accepts a valid tenant and fills in the tenants table's defaults", async () => {
    const created = await create({ senderId: "ACME", keyVersion: 2, keyRotation: { overlapSeconds: 60 } });
    expect(created.spec).toMatchObject({
      codeLength: 6,
      codeTtlSeconds: 300,
      maxVerifyAttempts: 5,
      maxConsecutiveFailures: 50,
      failureWindowSeconds: 2_592_000,
      phoneSendLimit: 5,
      phoneSendWindowSeconds: 3600,
      dailySendCap: 100_000,
      senderId: "ACME",
      messageTemplate: "Your verification code is {code}",
      keyRotation: { overlapSeconds: 60 },
    });
  });

  it.each([
    [{ apiKeySecretRef: { name: "s" }, keyVersion: 2 }, /spec\.keyVersion: Forbidden: keyVersion rotates a generated key/],
    [{ phoneSendLimit: 10, dailySendCap: 5 }, /spec\.phoneSendLimit: Invalid value: .*phoneSendLimit cannot exceed dailySendCap/],
  ])("refuses a cross-field (CEL) violation %j with the field path", async (spec, message) => {
    expect(await rejection(spec)).toMatch(message);
  });

  it("refuses lowering keyVersion (a CEL transition rule)", async () => {
    const created = await create({ keyVersion: 3 });
    const error = await tenants.patch(created.metadata.name, [{ op: "replace", path: "/spec/keyVersion", value: 2 }]).then(
      () => "accepted",
      (e: { body?: unknown }) => String(e.body),
    );
    expect(error).toMatch(/spec\.keyVersion: Invalid value: .*keyVersion can only be raised/);
  });

  it.each([
    [{ codeLength: 11 }, /spec\.codeLength: Invalid value: 11: spec\.codeLength in body should be less than or equal to 10/],
    [{ codeTtlSeconds: 601 }, /spec\.codeTtlSeconds: Invalid value/],
    [{ maxVerifyAttempts: 0 }, /spec\.maxVerifyAttempts: Invalid value/],
    [{ maxConsecutiveFailures: 101 }, /spec\.maxConsecutiveFailures: Invalid value/],
    [{ failureWindowSeconds: 3600 }, /spec\.failureWindowSeconds: Invalid value/],
    [{ senderId: "TWELVE-CHARS" }, /spec\.senderId: Too long/],
    [{ messageTemplate: "no code here" }, /spec\.messageTemplate: Invalid value: \\"no code here\\"/],
  ])("refuses %j, out of the tenants table's bounds", async (spec, message) => {
    expect(await rejection(spec)).toMatch(message);
  });

  it.each([
    [{ codeLength: "six" }, /spec\.codeLength: Invalid value: \\"string\\": spec\.codeLength in body must be of type integer/],
    [{ codeLenght: 6 }, /strict decoding error: unknown field \\"spec\.codeLenght\\"/],
  ])("refuses %j, a wrong type or an unknown field (strict field validation), with the field path", async (spec, message) => {
    expect(await rejection(spec)).toMatch(message);
  });

  it("documents every field for kubectl explain", () => {
    const yaml = readFileSync(join(GENERATED_DIR, `${GROUP}_${PLURAL}.yaml`), "utf8");
    const properties = yaml.match(/^\s+[a-zA-Z]+:\n\s+(type|default): /gm) ?? [];
    expect(properties.length).toBeGreaterThan(15);
    // toStructural throws on a field without a description, so generating at all proves it; spot-check one.
    expect(yaml).toMatch(/description: "?How long the previous key keeps working after a rotation/);
  });
});
