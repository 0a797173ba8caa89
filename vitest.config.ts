import * as path from "path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // Inside this repository "swarm-ha" (examples/existing-vpc imports it) is the source, lib.ts:
  // package.json "exports" points at the compiled dist/, which test/package/pack.test.ts installs
  // from the packed tarball into a scratch consumer.
  resolve: { alias: [{ find: /^swarm-ha$/, replacement: path.join(__dirname, "lib.ts") }] },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // .ci/run asks for a JSON result file too, to print one plain "N passed, N failed" line.
    reporters: process.env.SWARM_HA_TEST_RESULTS ? ["default", "json"] : ["default"],
    ...(process.env.SWARM_HA_TEST_RESULTS
      ? { outputFile: { json: process.env.SWARM_HA_TEST_RESULTS } }
      : {}),
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/e2e/**"],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // One file (run.test.ts imports every lab suite in order): lab suites share one engine and
        // network and must never overlap; groupOrder 1 starts them after the unit tests, so the
        // drill's timings are not measured on a CPU busy with other tests.
        extends: true,
        test: { name: "e2e", include: ["test/e2e/run.test.ts"], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
