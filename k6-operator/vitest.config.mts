import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ["test/**/*.test.ts"],
    // apply.test.ts runs a real etcd + kube-apiserver (scripts/devstack/kube-apiserver.ts); this builds them (and
    // helm) into the tool cache the first time (minutes, needs Go), before any test file runs.
    globalSetup: ["../scripts/devstack/kube/vitest-global-setup.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
