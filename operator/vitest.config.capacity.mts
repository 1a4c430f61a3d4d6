import { defineConfig } from "vitest/config";

// The CapacityBenchmark's tests; the integrator folds this into the operator's config.
export default defineConfig({
  test: { root: import.meta.dirname, include: ["test/capacity-benchmark/**/*.test.ts"], testTimeout: 10_000 },
});
