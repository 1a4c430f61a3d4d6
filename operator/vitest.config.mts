import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ["test/**/*.test.ts"],
    // Builds the service, starts etcd + kube-apiserver, PostgreSQL and Redis once for every file.
    globalSetup: ["test/support/global-setup.ts"],
    // Files start real processes (operators, the service, a PostgreSQL of their own); on 2 cores they
    // run one after the other, so timings (Lease terms) stay meaningful.
    pool: "forks",
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
