import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ["test/**/*.test.ts"],
    // apply.test.ts runs a real etcd + kube-apiserver (scripts/local-stack/kube-apiserver.ts); this builds them (and
    // helm) into the tool cache the first time (minutes, needs Go), before any test file runs.
    globalSetup: ["@otp-lab/local-stack/kube/vitest-global-setup"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
