import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["smoke/**/*.test.ts"],
    globalSetup: ["smoke/global-setup.ts"],
    // Each smoke is a k6 process against the shared stack; three at a time keep the machine unsaturated.
    maxConcurrency: 3,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ["default"],
  },
});
