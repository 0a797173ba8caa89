/** Which nodes the lab restarts as stuck Down while alive (lab/stuckDown.ts): the pure judgement. */
import { describe, expect, it } from "vitest";
import { StuckDownRepair, stuckDownNodes, type EngineSwarmView } from "../../lab/stuckDown";

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
    const engines = {
      w1: active,
      w2: undefined,
      w3: active,
      w4: { localNodeState: "active", error: "rpc error: timeout" },
    };
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
    expect(
      stuckDownNodes([{ hostname: "w1", status: "down" }], engines, since, 25_000, 20),
    ).toEqual([]);
    expect(
      stuckDownNodes(
        [{ hostname: "w1", status: "down" }],
        { w1: { localNodeState: "pending", error: "" } },
        since,
        50_000,
        20,
      ),
    ).toEqual([]);
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

describe("StuckDownRepair: restarts a stuck node once, says so, and marks a leader", () => {
  function scripted(engines: Record<string, EngineSwarmView | undefined>) {
    let now = 0;
    const restarted: string[] = [];
    const logged: string[] = [];
    const repair = new StuckDownRepair(20, (l) => logged.push(l), [], {
      view: async (n) => engines[n],
      restart: async (n) => restarted.push(n),
      now: () => now,
    });
    return { repair, restarted, logged, at: (s: number) => (now = s * 1000) };
  }
  const active = { localNodeState: "active", error: "" };

  it("restarts after 20 s, once, recording whether the listing named it leader", async () => {
    const s = scripted({ m1: active, w1: undefined });
    const listing = [
      { hostname: "m1", status: "down", leader: true },
      { hostname: "w1", status: "down" },
    ];
    await s.repair.check(listing);
    s.at(19);
    await s.repair.check(listing);
    expect(s.restarted).toEqual([]);
    s.at(20);
    await s.repair.check(listing);
    s.at(60);
    await s.repair.check(listing);
    expect(s.restarted).toEqual(["m1"]); // once; w1's engine does not answer: a real Down
    expect(s.repair.restarts).toEqual([{ node: "m1", atMs: 20_000, wasLeader: true }]);
    expect(s.repair.repairs).toHaveLength(1);
    expect(s.repair.repairs[0]).toMatch(/^m1 \(the Raft leader\) was shown Down for 20 s/);
    expect(s.logged).toHaveLength(1);
  });

  it("restarts nothing when the node comes back Ready within 20 s (must not restart a healthy node)", async () => {
    const s = scripted({ w1: active });
    await s.repair.check([{ hostname: "w1", status: "down" }]);
    s.at(15);
    await s.repair.check([{ hostname: "w1", status: "ready" }]);
    s.at(30);
    await s.repair.check([{ hostname: "w1", status: "down" }]);
    expect(s.restarted).toEqual([]);
    expect(s.repair.restarts).toEqual([]);
  });
});
