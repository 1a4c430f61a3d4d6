import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ["test/**/*.test.ts"],
    // Some tests run bash scripts (kind-up.sh with stub binaries, bash -n); no cluster and no Docker needed.
    pool: "forks",
    testTimeout: 60_000,
  },
});
