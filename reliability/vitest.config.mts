import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Each scenario starts its own databases and services and measures latency: never two at once.
    fileParallelism: false,
    pool: "forks",
    testTimeout: 240_000,
    hookTimeout: 120_000,
    reporters: ["default"],
  },
});
