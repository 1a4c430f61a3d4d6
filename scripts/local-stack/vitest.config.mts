import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ["test/**/*.test.ts"],
    // Builds kube-apiserver, etcd and helm into the tool cache if they are not there yet (minutes, once).
    globalSetup: ["kube/vitest-global-setup.ts"],
    // Tests start real servers (etcd, kube-apiserver) as child processes.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
