/**
 * The verdict alone decides `passed`. Each budget is written with the case where it must FAIL.
 */
import { describe, expect, it } from "vitest";
import { decideVerdict, type Budgets, type VerdictFacts } from "../../chaos/drill/verdict";

const budgets: Budgets = { deadlineSeconds: 60, maxFailed: 0, maxP99Ms: 1500 };
const load = {
  connections: 50,
  durationSeconds: 20,
  requests: 10_000,
  failed: 0,
  p50Ms: 4,
  p99Ms: 300,
};
const good: VerdictFacts = {
  problems: [],
  restoreSeconds: 4.5,
  replicas: { desired: 3, runningOnReady: 3 },
  load,
};

describe("decideVerdict", () => {
  it("passes a drill within every budget, with no failures", () => {
    expect(decideVerdict(good, budgets)).toEqual({ passed: true, failures: [] });
  });

  it("fails one failed request over a budget of 0, and allows it with --max-failed 1", () => {
    const facts = { ...good, load: { ...load, failed: 1 } };
    expect(decideVerdict(facts, budgets)).toEqual({
      passed: false,
      failures: ["1 of 10000 requests failed (budget 0; --max-failed)"],
    });
    expect(decideVerdict(facts, { ...budgets, maxFailed: 1 }).passed).toBe(true);
  });

  it("fails a p99 over the budget", () => {
    const v = decideVerdict({ ...good, load: { ...load, p99Ms: 1501 } }, budgets);
    expect(v.passed).toBe(false);
    expect(v.failures).toEqual(["p99 latency 1501 ms over the 1500 ms budget (--max-p99-ms)"]);
    expect(
      decideVerdict({ ...good, load: { ...load, p99Ms: 1501 } }, { ...budgets, maxP99Ms: 2000 })
        .passed,
    ).toBe(true);
  });

  it("fails a restore that never came, or came after the deadline", () => {
    expect(decideVerdict({ ...good, restoreSeconds: null }, budgets).failures).toEqual([
      "not restored within the 60 s deadline",
    ]);
    expect(decideVerdict({ ...good, restoreSeconds: 61 }, budgets).failures).toEqual([
      "restored after 61 s, over the 60 s deadline",
    ]);
  });

  it("a target that ran no task is never a ~0 s restore: no restore measured, and replicas must still all run", () => {
    const note = "m1 ran no task of was: its stop removed no replica, so no restore is measured";
    expect(
      decideVerdict({ ...good, restoreSeconds: null, restoreNotApplicable: note }, budgets).passed,
    ).toBe(true);
    const lost = decideVerdict(
      {
        ...good,
        restoreSeconds: null,
        restoreNotApplicable: note,
        replicas: { desired: 3, runningOnReady: 2 },
      },
      budgets,
    );
    expect(lost.failures).toEqual(["only 2/3 replicas running on Ready nodes at the end"]);
  });

  it("lists every reason, phase problems first", () => {
    const v = decideVerdict(
      {
        ...good,
        problems: ["w1 did not rejoin as Ready within 15 s"],
        load: { ...load, failed: 3, p99Ms: 2000 },
      },
      budgets,
    );
    expect(v.failures).toEqual([
      "w1 did not rejoin as Ready within 15 s",
      "3 of 10000 requests failed (budget 0; --max-failed)",
      "p99 latency 2000 ms over the 1500 ms budget (--max-p99-ms)",
    ]);
  });

  it("edge: two holders, none, or no stable holder after the return fail; one stable holder passes", () => {
    const b = { ...budgets, singleHolderStableSeconds: 3 };
    const edge = (holdersAfterReturn: string[], singleHolderWithinSeconds: number | null) => ({
      ...good,
      replicas: undefined,
      edge: { target: "edge-0", holdersAfterReturn, singleHolderWithinSeconds },
    });
    expect(decideVerdict(edge(["edge-0", "edge-1"], null), b).failures[0]).toMatch(
      /^split brain: after edge-0 returned, edge-0 and edge-1 held/,
    );
    expect(decideVerdict(edge([], null), b).failures[0]).toMatch(/no balancer held/);
    expect(decideVerdict(edge(["edge-1"], null), b).passed).toBe(false);
    expect(decideVerdict(edge(["edge-1"], 0.5), b).passed).toBe(true);
  });

  it("a load of 0 connections (no load) has nothing to judge", () => {
    expect(
      decideVerdict({ ...good, load: { ...load, connections: 0, failed: 5 } }, budgets).passed,
    ).toBe(true);
  });
});
