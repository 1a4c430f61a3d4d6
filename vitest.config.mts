// Every test project of the repository; each Makefile test-* target runs its own with `vitest run --project <name>`.
// Pools are vitest's default (forks): most tests start real processes and servers.
import { join } from "node:path";
import type { TestProjectInlineConfiguration } from "vitest/config";
import { defineConfig } from "vitest/config";

type ProjectTest = NonNullable<TestProjectInlineConfiguration["test"]>;

/** A project named `name` rooted at `dir`, running the test files under its test/ folder unless `include` says otherwise. */
const project = (name: string, dir: string, test: ProjectTest = {}): TestProjectInlineConfiguration => ({
  test: { name, root: join(import.meta.dirname, dir), include: ["test/**/*.test.ts"], ...test },
});

export default defineConfig({
  test: {
    projects: [
      project("app", "app", {
        exclude: ["test/unit/**"],
        // Builds the service, applies the migrations and starts PostgreSQL and Redis once; files run in parallel, each on its own ports.
        globalSetup: ["test/support/global-setup.ts"],
        testTimeout: 30_000,
        hookTimeout: 60_000,
      }),
      // The fast tier: domain logic against in-memory fakes of its ports (no build, PostgreSQL or Redis).
      project("app-unit", "app", { include: ["test/unit/**/*.test.ts"], testTimeout: 10_000 }),
      // Every test shells out to helm; files run in parallel, each renders into its own temp dir.
      project("cdk8s", "cdk8s", { testTimeout: 120_000, hookTimeout: 120_000 }),
      project("dashboards", "dashboards", {
        // PostgreSQL, Redis, the service, the mock SMS provider and Prometheus, then one short k6 run.
        globalSetup: ["test/global-setup.ts"],
        testTimeout: 60_000,
        hookTimeout: 120_000,
      }),
      project("k6-operator", "k6-operator", {
        // apply.test.ts runs a real etcd + kube-apiserver; this builds them (and helm) into the tool cache the first time.
        globalSetup: ["@otp-lab/local-stack/kube/vitest-global-setup"],
        testTimeout: 60_000,
        hookTimeout: 120_000,
      }),
      // The browser test starts Chromium; the others are pure and fast.
      project("k6-report", "k6/report", { testTimeout: 60_000, hookTimeout: 60_000 }),
      project("k6-runner", "k6/runner", { testTimeout: 10_000 }),
      project("k6-smoke", "k6/smoke", {
        include: ["*.test.ts"],
        globalSetup: ["global-setup.ts"],
        // Each smoke is a k6 process against the shared stack; three at a time keep the machine unsaturated.
        maxConcurrency: 3,
        testTimeout: 120_000,
        hookTimeout: 120_000,
      }),
      // Some tests run bash scripts (kind-up.sh with stub binaries, bash -n); no cluster and no Docker needed.
      project("kind", "kind", { testTimeout: 60_000 }),
      project("operator", "operator", {
        // Builds the service, starts etcd + kube-apiserver, PostgreSQL and Redis once for every file.
        globalSetup: ["test/support/global-setup.ts"],
        // Files start real processes (operators, the service, a PostgreSQL of their own); on 2 cores they
        // run one after the other, so timings (Lease terms) stay meaningful.
        fileParallelism: false,
        testTimeout: 60_000,
        hookTimeout: 180_000,
      }),
      project("reliability", "reliability", {
        globalSetup: ["test/global-setup.ts"],
        // Each scenario starts its own databases and services and measures latency: never two at once.
        fileParallelism: false,
        testTimeout: 240_000,
        hookTimeout: 120_000,
      }),
      project("local-stack", "scripts/local-stack", {
        // Builds kube-apiserver, etcd and helm into the tool cache if they are not there yet (minutes, once).
        globalSetup: ["kube/vitest-global-setup.ts"],
        testTimeout: 30_000,
        hookTimeout: 60_000,
      }),
    ],
  },
});
