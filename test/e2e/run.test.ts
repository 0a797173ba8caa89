/**
 * The lab end-to-end suites, in one file so they run one after another on the one Docker engine
 * (each brings its own lab up and tears it down). vitest.config.ts runs this after the unit tests.
 */
import "./lab.e2e";
import "./managers.e2e";
// The failure matrix's CI subset (worker-kill, edge-kill), then the graceful balancer stop through the
// chaos CLI on the same lab (what edge.e2e did, without a second bring-up).
import "./matrix.e2e";
import "./frozen.e2e";
import "./scenarios.e2e";
