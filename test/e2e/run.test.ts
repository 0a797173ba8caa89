/**
 * The lab end-to-end suites, in one file so they run one after another on the one Docker engine.
 * vitest.config.ts runs this after the unit tests. The three suites on the default lab (1 manager,
 * 3 workers, the balancer pair) come first and hand it on to each other when they pass
 * (labHandover.ts): one bring-up instead of three. The 3-manager lab and the prod-shaped matrix lab
 * each bring their own.
 */
import { afterAll } from "vitest";
import { down } from "../../lab/lab";
import { ENGINE_PROBLEM } from "./engine";
import "./lab.e2e";
import "./frozen.e2e";
import "./scenarios.e2e";
import "./managers.e2e";
// The failure matrix's CI subset (worker-kill, edge-kill), then the graceful balancer stop through the
// chaos CLI on the same lab (what edge.e2e did, without a second bring-up).
import "./matrix.e2e";

// Whatever a suite left up (a hand-over to a suite that was filtered out) goes at the end.
afterAll(async () => {
  if (ENGINE_PROBLEM === undefined) await down((l) => console.log(`[e2e] ${l}`));
}, 2 * 60_000);
