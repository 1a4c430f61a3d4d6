import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { APP_MAIN } from "@otp-lab/local-stack/app-cli";
import { type ServiceProcess, startService } from "@otp-lab/local-stack/service-process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testService } from "./support/otp-env";
import { APP_DIR } from "./support/paths";

const COMMITTED = join(APP_DIR, "openapi.json");
let service: ServiceProcess;

beforeAll(async () => {
  service = await startService(testService({ SMS_WORKER_ENABLED: "false" }));
});
afterAll(async () => {
  await service?.stop("SIGKILL");
});

describe("OpenAPI document", () => {
  it("the committed app/openapi.json is what the zod schemas generate (run `make generate` after changing the API)", () => {
    const generated = execFileSync(process.execPath, [APP_MAIN, "openapi"], { encoding: "utf8" });
    expect(readFileSync(COMMITTED, "utf8")).toBe(generated);
  });

  it("is served at /openapi.json and describes both operations with their schemas", async () => {
    const response = await fetch(`${service.url}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, { post: { requestBody: unknown; responses: Record<string, unknown> } }>;
      components: { schemas: Record<string, { properties?: Record<string, { pattern?: string }>; required?: string[] }> };
    };
    expect(document.openapi).toBe("3.1.0");
    expect(Object.keys(document.paths)).toEqual(["/v1/otp/send", "/v1/otp/verify"]);
    expect(Object.keys(document.paths["/v1/otp/send"]?.post.responses ?? {})).toEqual(
      expect.arrayContaining(["200", "400", "401", "429", "503"]),
    );
    expect(document.components.schemas.SendRequest?.required).toEqual(["phone"]);
    expect(document.components.schemas.SendRequest?.properties?.phone?.pattern).toBe("^\\+[1-9]\\d{6,14}$");
    expect(document.components.schemas.VerifyRequest?.required).toEqual(["phone", "code"]);
  });
});
