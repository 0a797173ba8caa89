import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Files run in separate workers; the lab end-to-end file drives one shared Docker engine and
    // must not overlap another e2e file, so e2e files set their own sequencing.
    pool: "forks",
    reporters: ["default"],
  },
});
