// `helm test`: a Pod that asks the Service for /ready and /health. The service image has no shell
// or curl, so the check is a few lines of Node.js run with `node -e`.
import type { Construct } from "constructs";
import { include, tpl, values } from "../helm.ts";
import { metadata, serviceImagePod } from "./common.ts";
import { HelmObject, HelmTemplate } from "./template.ts";

const SOURCE = "cdk8s/src/chart/tests.ts";

/** Retries each path for up to ~30 s (a fresh install may still be turning ready), then exits 0 or 1. */
export const TEST_SCRIPT = `const base = process.env.TARGET;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
(async () => {
  for (const path of ["/ready", "/health"]) {
    let status = 0;
    for (let attempt = 1; attempt <= 15 && status !== 200; attempt++) {
      try {
        status = (await fetch(base + path, { signal: AbortSignal.timeout(3000) })).status;
      } catch (error) {
        console.error(path, String(error));
      }
      if (status !== 200) await sleep(2000);
    }
    console.log(base + path, status);
    if (status !== 200) process.exit(1);
  }
})();`;

export function testPod(scope: Construct): void {
  const template = new HelmTemplate(scope, "test", { file: "tests/test-connection.yaml", source: SOURCE });
  new HelmObject(template, "pod", {
    condition: values("tests.enabled"),
    apiVersion: "v1",
    kind: "Pod",
    metadata: metadata({
      suffix: "test",
      component: "test",
      annotations: { "helm.sh/hook": "test", "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded" },
    }),
    spec: serviceImagePod(
      {
        name: "probe",
        command: [tpl.quote(values("image.node")), "-e", TEST_SCRIPT],
        env: [{ name: "TARGET", value: tpl.quote(`printf "http://%s:%d" (${include("fullname")}) (int64 ${values("service.port")})`) }],
        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
      },
      { restartPolicy: "Never" },
    ),
  });
}
