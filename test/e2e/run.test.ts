/**
 * The lab end-to-end suites, in one file so they run one after another on the one Docker engine
 * (each brings its own lab up and tears it down). vitest.config.ts runs this after the unit tests.
 */
import "./lab.e2e";
import "./managers.e2e";
// The failure matrix's CI subset (worker-kill, edge-kill) takes the place of edge.e2e (the graceful
// balancer stop) to keep CI under 15 minutes: edge-kill drills the same pair, takeover and single
// holder after the return; the graceful stop stays covered by `npm run chaos -- --lab --target edge`.
import "./matrix.e2e";
import "./frozen.e2e";
import "./scenarios.e2e";
