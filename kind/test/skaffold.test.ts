// skaffold.yaml: builds the service image locally without pushing and deploys charts/otp-service with the bench
// values on the kind cluster's context, setting the image it built.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { REPO_ROOT, read } from "./repo.ts";

interface Skaffold {
  apiVersion: string;
  kind: string;
  build: {
    local: { push: boolean };
    artifacts: { image: string; context: string; docker: { dockerfile: string } }[];
  };
  deploy: {
    kubeContext: string;
    helm: {
      releases: {
        name: string;
        chartPath: string;
        namespace: string;
        valuesFiles: string[];
        setValueTemplates: Record<string, string>;
        overrides?: unknown;
      }[];
    };
  };
}

const skaffold = parse(read("skaffold.yaml")) as Skaffold;

describe("skaffold.yaml", () => {
  it("is a skaffold v4 config", () => {
    expect(skaffold.apiVersion).toMatch(/^skaffold\/v4beta\d+$/);
    expect(skaffold.kind).toBe("Config");
  });

  it("builds otp-capacity-lab/otp-service from app/Dockerfile with the repo root as context, never pushing", () => {
    expect(skaffold.build.local.push).toBe(false);
    expect(skaffold.build.artifacts).toEqual([
      { image: "otp-capacity-lab/otp-service", context: ".", docker: { dockerfile: "app/Dockerfile" } },
    ]);
    expect(existsSync(join(REPO_ROOT, "app", "Dockerfile"))).toBe(true);
  });

  it("deploys charts/otp-service with the bench values and kind/values-otp-service.yaml to kind-otp-lab, with the built image", () => {
    expect(skaffold.deploy.kubeContext).toBe("kind-otp-lab");
    const [release] = skaffold.deploy.helm.releases;
    expect(release).toMatchObject({ name: "otp", chartPath: "charts/otp-service", namespace: "otp" });
    // The same files as kind-up.sh (kind-up.test.ts checks its install against this list), nothing set apart.
    expect(release?.valuesFiles).toEqual(["charts/otp-service/values-bench.yaml", "kind/values-otp-service.yaml"]);
    expect(release?.overrides).toBeUndefined();
    for (const path of [release?.chartPath, ...(release?.valuesFiles ?? [])])
      expect(existsSync(join(REPO_ROOT, path as string))).toBe(true);
    expect(release?.setValueTemplates).toEqual({
      "image.repository": "{{.IMAGE_REPO_otp_capacity_lab_otp_service}}",
      "image.tag": "{{.IMAGE_TAG_otp_capacity_lab_otp_service}}",
    });
  });
});
