/** Which nodes the lab restarts as stuck Down while alive (lab/stuckDown.ts): the pure judgement. */
import { describe, expect, it } from "vitest";
import { stuckDownNodes } from "../../lab/stuckDown";

describe("stuckDownNodes: a live node the leader keeps Down (swarmkit's re-registration race)", () => {
  const active = { localNodeState: "active", error: "" };
  const nodes = [
    { hostname: "w1", status: "down" },
    { hostname: "w2", status: "down" },
    { hostname: "w3", status: "ready" },
    { hostname: "w4", status: "down" },
  ];
  it("only Down nodes whose own engine reports an active membership without error, after stuckSeconds", () => {
    const since = new Map<string, number>();
    // w2's engine does not answer (really down), w4's reports an error (really cut off).
    const engines = { w1: active, w2: undefined, w3: active, w4: { localNodeState: "active", error: "rpc error: timeout" } };
    expect(stuckDownNodes(nodes, engines, since, 0, 20)).toEqual([]);
    expect(stuckDownNodes(nodes, engines, since, 19_999, 20)).toEqual([]);
    expect(stuckDownNodes(nodes, engines, since, 20_000, 20)).toEqual(["w1"]);
    expect([...since.keys()]).toEqual(["w1"]);
  });
  it("the clock restarts when a node was seen Ready (or not alive) in between", () => {
    const since = new Map<string, number>();
    const engines = { w1: active };
    stuckDownNodes([{ hostname: "w1", status: "down" }], engines, since, 0, 20);
    stuckDownNodes([{ hostname: "w1", status: "ready" }], engines, since, 10_000, 20);
    expect(stuckDownNodes([{ hostname: "w1", status: "down" }], engines, since, 25_000, 20)).toEqual([]);
    expect(stuckDownNodes([{ hostname: "w1", status: "down" }], { w1: { localNodeState: "pending", error: "" } }, since, 50_000, 20)).toEqual([]);
    expect(since.size).toBe(0);
  });
  it("a Down entry beside a Ready one of the same hostname (a replaced node's old entry) is not stuck", () => {
    const since = new Map<string, number>();
    const listing = [
      { hostname: "w1", status: "down" },
      { hostname: "w1", status: "ready" },
    ];
    stuckDownNodes(listing, { w1: active }, since, 0, 20);
    expect(stuckDownNodes(listing, { w1: active }, since, 60_000, 20)).toEqual([]);
  });
});
