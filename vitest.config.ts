import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests compile real components and wait on real NATS timers.
    testTimeout: 120_000,
    // Suites build their fixture components in beforeAll: one componentize-js run can take a minute.
    hookTimeout: 300_000,
    // Separate processes, so a test that wedges a worker or leaks a NATS connection cannot hang others.
    pool: "forks",
    // One file at a time: CI and dev machines have 2 cores and a componentize-js compile peaks at
    // ~800 MB, so parallel files fight for CPU and memory and turn latency assertions into flakes.
    fileParallelism: false,
    // Run-wide setup (e.g. building the shared fixture components once) goes here when it exists.
    globalSetup: [],
  },
});
