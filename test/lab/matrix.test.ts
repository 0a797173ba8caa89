/**
 * The matrix runner (lab/matrix.ts) over a scripted table: order, --only, not wired, an unsteady
 * lab, a throwing scenario, a row that did not judge itself, passes; the az-loss zone choice and
 * the steady-state judgement. No Docker: the table and the steady check are fakes.
 */
import { describe, expect, it } from "vitest";
import {
  judgeScenario,
  SCENARIO_NAMES,
  type ScenarioName,
  type ScenarioResult,
} from "../../chaos/scenarios/matrix";
import type { LabInfo } from "../../lab/lab";
import {
  chooseAzLossZone,
  normalizeRow,
  runMatrix,
  selectScenarios,
  unsteadyReasons,
  type ScenarioTable,
  type ZoneCandidate,
} from "../../lab/matrix";

const info = {} as LabInfo;
const good = (name: ScenarioName): ScenarioResult =>
  judgeScenario(
    {
      name,
      restoreSeconds: 1,
      detectSeconds: 1,
      load: { requests: 1000, failed: 0, p50Ms: 3, p99Ms: 40, resent: 0 },
    },
    [],
    { connections: 200 },
  );
const fullTable = (calls: string[] = []): ScenarioTable =>
  Object.fromEntries(SCENARIO_NAMES.map((n) => [n, async () => (calls.push(n), good(n))]));
const steadyAlways = async () => undefined;
const quiet = () => undefined;

describe("runMatrix", () => {
  it("runs every scenario in SCENARIO_NAMES order and passes when all pass", async () => {
    const calls: string[] = [];
    const [run] = await runMatrix(info, fullTable(calls), {
      connections: 200,
      log: quiet,
      steady: steadyAlways,
    });
    expect(calls).toEqual([...SCENARIO_NAMES]);
    expect(run.passed).toBe(true);
    expect(run.connections).toBe(200);
  });

  it("a scenario missing from the table is a failed row 'not wired', never a pass", async () => {
    const table: ScenarioTable = { ...fullTable() };
    delete (table as Record<string, unknown>)["rolling-update"];
    const [run] = await runMatrix(info, table, {
      connections: 200,
      log: quiet,
      steady: steadyAlways,
    });
    const row = run.scenarios.find((s) => s.name === "rolling-update")!;
    expect(row.passed).toBe(false);
    expect(row.failures[0]).toMatch(/not wired/);
    expect(run.passed).toBe(false);
  });

  it("--only runs just those, in matrix order, and can leave unwired ones out", async () => {
    const calls: string[] = [];
    const only: ScenarioName[] = ["edge-kill", "worker-kill"];
    const [run] = await runMatrix(
      info,
      {
        "worker-kill": fullTable(calls)["worker-kill"],
        "edge-kill": fullTable(calls)["edge-kill"],
      },
      { connections: 50, only, log: quiet, steady: steadyAlways },
    );
    expect(calls).toEqual(["worker-kill", "edge-kill"]);
    expect(run.scenarios.map((s) => s.name)).toEqual(["worker-kill", "edge-kill"]);
    expect(run.passed).toBe(true);
    expect(selectScenarios(["nfs-stop", "worker-stop"])).toEqual(["worker-stop", "nfs-stop"]);
  });

  it("an unsteady lab fails that scenario's row naming why, and the matrix goes on", async () => {
    const calls: string[] = [];
    let n = 0;
    const steady = async () =>
      ++n === 2 ? "nodes not Ready/active: swarm-ha-worker-3 down/active" : undefined;
    const [run] = await runMatrix(info, fullTable(calls), { connections: 200, log: quiet, steady });
    expect(run.scenarios[1]).toMatchObject({ name: "worker-kill", passed: false });
    expect(run.scenarios[1].failures[0]).toBe(
      "worker-kill did not run: the lab is not steady before it: nodes not Ready/active: swarm-ha-worker-3 down/active",
    );
    expect(calls).not.toContain("worker-kill");
    expect(calls).toContain("worker-partition");
  });

  it("what the steady check repaired goes on the row of the scenario that left it (the first row: before it)", async () => {
    let n = 0;
    const steady = async (_i: LabInfo, _l: unknown, repairs?: string[]) => {
      n++;
      if (n === 1 || n === 5) repairs?.push(`repair ${n}`);
      return undefined;
    };
    const [run] = await runMatrix(info, fullTable(), { connections: 200, log: quiet, steady });
    expect(run.scenarios[0].detail?.repairedBefore).toEqual(["repair 1"]);
    expect(run.scenarios[3].name).toBe("leader-kill");
    expect(run.scenarios[3].detail?.repairedAfter).toEqual(["repair 5"]);
    expect(run.scenarios[4].detail?.repairedAfter).toBeUndefined();
    expect(
      run.scenarios.filter((s) => s.detail?.repairedAfter || s.detail?.repairedBefore),
    ).toHaveLength(2);
    expect(run.passed).toBe(true);
  });

  it("a steady check or a scenario that throws is a failed row, not a crash", async () => {
    const table: ScenarioTable = {
      ...fullTable(),
      "az-loss": async () => Promise.reject(new Error("docker kill failed")),
    };
    const [run] = await runMatrix(info, table, {
      connections: 200,
      log: quiet,
      steady: steadyAlways,
      only: ["az-loss", "edge-kill"],
    });
    expect(run.scenarios[0].failures[0]).toMatch(
      /az-loss did not run: it stopped with an error .*docker kill failed/,
    );
    const [run2] = await runMatrix(info, fullTable(), {
      connections: 200,
      log: quiet,
      steady: () => Promise.reject(new Error("engine gone")),
      only: ["leader-kill"],
    });
    expect(run2.scenarios[0].failures[0]).toMatch(/steady-state check failed: engine gone/);
  });

  it("a row that did not judge itself is judged by MATRIX_BUDGETS (1 failed request fails rolling-update)", async () => {
    const unjudged: ScenarioResult = {
      name: "rolling-update",
      passed: true,
      restoreSeconds: null,
      detectSeconds: null,
      load: { requests: 1000, failed: 1, p50Ms: 3, p99Ms: 40, resent: 0 },
      failures: [],
    };
    const [run] = await runMatrix(
      info,
      { "rolling-update": async () => unjudged },
      { connections: 200, log: quiet, steady: steadyAlways, only: ["rolling-update"] },
    );
    expect(run.scenarios[0].passed).toBe(false);
    expect(run.scenarios[0].failures).toEqual(["1 of 1000 requests failed (budget 0)"]);
  });

  it("normalizeRow: passed with failures is not a pass; a wrongly named row keeps the table's name and says so", () => {
    const lying = { ...good("nfs-stop"), failures: ["lines lost"] };
    expect(normalizeRow("nfs-stop", lying, 200).passed).toBe(false);
    const misnamed = normalizeRow("bad-update", good("rolling-update"), 200);
    expect(misnamed.name).toBe("bad-update");
    expect(misnamed.passed).toBe(false);
  });

  it("--passes 3: three passes; the whole fails if any pass failed", async () => {
    let i = 0;
    const flaky: ScenarioTable = {
      "worker-kill": async () =>
        ++i === 2
          ? { ...good("worker-kill"), passed: false, failures: ["restore 6 s over the 5 s budget"] }
          : good("worker-kill"),
    };
    const seen: number[] = [];
    const runs = await runMatrix(info, flaky, {
      connections: 200,
      passes: 3,
      only: ["worker-kill"],
      log: quiet,
      steady: steadyAlways,
      onPass: (rs) => seen.push(rs.length),
    });
    expect(runs.map((r) => r.passed)).toEqual([true, false, true]);
    expect(runs.map((r) => r.pass)).toEqual([1, 2, 3]);
    expect(seen).toEqual([1, 2, 3]);
  });
});

describe("unsteadyReasons", () => {
  const steady = {
    stoppedContainers: [],
    notReady: [],
    desired: 3,
    runningOnReady: 3,
    desiredRunning: 3,
    holders: ["swarm-ha-nginx-1"],
  };
  it("is undefined only for the steady lab", () => {
    expect(unsteadyReasons(steady)).toBeUndefined();
  });
  it("names each leftover: a stopped container, a Down node, a missing replica, an orphan, an update, two holders", () => {
    expect(
      unsteadyReasons({ ...steady, stoppedContainers: ["swarm-ha-worker-2 (exited)"] }),
    ).toMatch(/containers not running: swarm-ha-worker-2/);
    expect(unsteadyReasons({ ...steady, notReady: ["swarm-ha-worker-2 down/active"] })).toMatch(
      /nodes not Ready/,
    );
    expect(unsteadyReasons({ ...steady, runningOnReady: 2 })).toBe(
      "2/3 replicas running on Ready nodes",
    );
    expect(unsteadyReasons({ ...steady, desiredRunning: 4 })).toBe(
      "4 tasks meant to run (desired 3)",
    );
    expect(unsteadyReasons({ ...steady, updating: "rollback_started" })).toBe(
      "service update rollback_started",
    );
    expect(unsteadyReasons({ ...steady, holders: ["a", "b"] })).toMatch(/held by a and b/);
    expect(unsteadyReasons({ ...steady, holders: [] })).toMatch(/held by no balancer/);
    expect(unsteadyReasons({ ...steady, edgesNotReady: ["swarm-ha-nginx-1"] })).toBe(
      "balancers not in VRRP (no MASTER/BACKUP state): swarm-ha-nginx-1",
    );
  });
});

describe("chooseAzLossZone", () => {
  const z = (zone: string, over: Partial<ZoneCandidate> = {}): ZoneCandidate => ({
    zone,
    holdsVip: false,
    holdsLeader: false,
    ranTask: true,
    victims: [`m-${zone}`, `w-${zone}`],
    ...over,
  });
  it("prefers the zone of the address holder, then the leader's", () => {
    const c = chooseAzLossZone([
      z("az-a", { holdsLeader: true }),
      z("az-b", { holdsVip: true }),
      z("az-c"),
    ]);
    expect(c.ok && c.zone.zone).toBe("az-b");
    const d = chooseAzLossZone([z("az-a"), z("az-b"), z("az-c", { holdsLeader: true })]);
    expect(d.ok && d.zone.zone).toBe("az-c");
  });
  it("never a refused zone, even if it holds the address; refuses when none is allowed", () => {
    const c = chooseAzLossZone([
      z("az-a", { holdsVip: true, refused: "leaves 2 eligible nodes for 3 replicas" }),
      z("az-b"),
      z("az-c", { victims: ["x"] }),
    ]);
    expect(c.ok && c.zone.zone).toBe("az-b");
    expect(c.ok && c.why).toMatch(/az-a refused: leaves 2 eligible/);
    const none = chooseAzLossZone([
      z("az-a", { refused: "quorum" }),
      z("az-b", { refused: "slots" }),
    ]);
    expect(none).toEqual({ ok: false, reason: "no zone may be lost: az-a: quorum; az-b: slots" });
  });
});
