import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The capacity report's tests: `npx vitest run --config k6/report/vitest.config.mts` from the repository root.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL("../..", import.meta.url)),
    include: ["k6/report/test/**/*.test.ts"],
    // The browser test starts Chromium; the others are pure and fast.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default"],
  },
});
