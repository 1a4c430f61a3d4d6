// The fast tier: domain logic against in-memory fakes of its ports. No global setup (no build, no
// PostgreSQL, no Redis); `vitest run` with the default config runs these files too.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    testTimeout: 10_000,
    reporters: ["default"],
  },
});
