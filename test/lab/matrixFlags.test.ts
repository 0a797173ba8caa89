/** `npm run lab -- matrix` flags (lab/settings.ts): the prod-shaped defaults and one clear error per bad flag. */
import { describe, expect, it } from "vitest";
import { LabError } from "../../lab/docker";
import { labConfig, LabOptions, layout, parseArgs } from "../../lab/settings";
import { nodesPerZone } from "../../config/topology";

const opts = (argv: string[]) => parseArgs(argv, {}) as LabOptions;

describe("matrix flags", () => {
  it("defaults: 3 managers that run no task, 5 workers, the pair, 200 connections, 1 pass, no baseline", () => {
    const o = opts(["matrix"]);
    expect(o).toMatchObject({
      command: "matrix",
      managers: 3,
      workers: 5,
      edge: 2,
      connections: 200,
      passes: 1,
      baseline: false,
      managersRunTasks: false,
      reportDir: "lab-report",
    });
    expect(o.only).toBeUndefined();
    expect(labConfig(o).managers.runTasks).toBe(false);
  });

  it("takes --connections, --passes, --only, --baseline, --workers, --report-dir", () => {
    const o = opts([
      "matrix",
      "--connections",
      "50",
      "--passes",
      "3",
      "--only",
      "worker-kill,edge-kill",
      "--baseline",
      "--workers",
      "6",
      "--report-dir",
      "out",
    ]);
    expect(o).toMatchObject({
      connections: 50,
      passes: 3,
      only: ["worker-kill", "edge-kill"],
      baseline: true,
      workers: 6,
      reportDir: "out",
    });
  });

  it.each([
    [["matrix", "--only", "worker-kil"], "--only", /unknown scenario "worker-kil"/],
    [["matrix", "--only", ""], "--only", /needs scenario names/],
    [["matrix", "--only", "edge-kill,edge-kill"], "--only", /twice/],
    [["matrix", "--passes", "0"], "--passes", /between 1 and 20/],
    [["matrix", "--managers", "1"], "--managers", /needs 3 managers/],
    [["matrix", "--edge", "1"], "--edge", /balancer pair/],
    [["up", "--passes", "2"], "--passes", /matrix only/],
    [["drill", "--only", "worker-kill"], "--only", /matrix only/],
    // 3 workers and managers that run no task leave no free slot for 3 replicas.
    [["matrix", "--workers", "3"], "--workers", /./],
  ])("refuses %j naming %s", (argv, flag, why) => {
    expect(() => parseArgs(argv, {})).toThrow(LabError);
    expect(() => parseArgs(argv, {})).toThrow(flag);
    expect(() => parseArgs(argv, {})).toThrow(why);
  });

  it("up and drill keep their defaults (50 connections, baseline on, managers run tasks)", () => {
    const o = opts(["up"]);
    expect(o).toMatchObject({ connections: 50, baseline: true, managers: 1, workers: 3 });
    expect(o.managersRunTasks).toBeUndefined();
    expect(opts(["up", "--baseline"]).baseline).toBe(true);
  });

  it("why 5 workers: the zones get 1/2/2 workers, so losing any zone leaves 3 for 3 replicas; 4 leave 2", () => {
    expect(nodesPerZone(3, 5, 3)).toEqual({ managers: [1, 1, 1], workers: [1, 2, 2] });
    expect(nodesPerZone(3, 4, 3).workers).toEqual([1, 2, 1]);
    const o = opts(["matrix"]);
    const workers = layout(o).nodes.filter((n) => n.role === "worker").length;
    expect(workers - Math.max(...nodesPerZone(3, workers, 3).workers)).toBeGreaterThanOrEqual(
      labConfig(o).was.replicas,
    );
  });
});
