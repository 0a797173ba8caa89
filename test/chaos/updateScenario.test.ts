import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { healthcheckCommand } from "../../renderers/serviceSpec";
import { scenarioResult } from "../../chaos/scenarios/scenarioResult";
import type { LoadSummary } from "../../chaos/types";
import {
  canonical,
  finalCheck,
  judgeBadUpdate,
  judgeRollingUpdate,
  NEVER_HEALTHY_PATH,
  parseUpdateStatus,
  RELEASE_ENV,
  sampleOf,
  UpdateSample,
  withEnv,
  withFailingHealthcheck,
} from "../../chaos/scenarios/updateScenario";

const REQ = Date.parse("2026-12-01T08:00:00Z");
const OLD = { Image: "was:1", Env: ["A=1"] };
const NEW = { Image: "was:1", Env: ["A=1", "SWARM_HA_RELEASE=r2"] };

/** A scripted timeline: [t, state, running, onTarget] with 3 desired replicas. */
function timeline(rows: ReadonlyArray<[number, string | null, number, number]>): UpdateSample[] {
  return rows.map(([t, state, running, onTarget]) => ({
    t,
    state,
    message: "",
    desired: 3,
    running,
    onTarget,
  }));
}

function load(failed: number, p99Ms = 40): LoadSummary {
  return {
    connections: 200,
    durationSeconds: 30,
    requests: 90_000,
    failed,
    p50Ms: 5,
    p99Ms,
    perSecond: [],
    perNode: {},
    failures: {},
  };
}

describe("reading the service (Engine API objects)", () => {
  it("ignores an UpdateStatus that started before the request (the previous update's)", () => {
    const svc = {
      UpdateStatus: {
        State: "rollback_completed",
        StartedAt: "2026-12-01T07:59:00Z",
        Message: "old",
      },
    };
    expect(parseUpdateStatus(svc, REQ)).toEqual({ state: null, message: "" });
    const now = {
      UpdateStatus: {
        State: "updating",
        StartedAt: "2026-12-01T08:00:00.4Z",
        Message: "update in progress",
      },
    };
    expect(parseUpdateStatus(now, REQ)).toEqual({
      state: "updating",
      message: "update in progress",
    });
    expect(parseUpdateStatus({}, REQ).state).toBeNull();
  });

  it("counts running tasks on the target spec whatever the key order; others and starting ones do not count", () => {
    const task = (state: string, spec: unknown, desired = "running") => ({
      DesiredState: desired,
      Status: { State: state },
      Spec: { ContainerSpec: spec },
    });
    const svc = {
      Spec: { Mode: { Replicated: { Replicas: 3 } } },
      UpdateStatus: { State: "updating", StartedAt: "2026-12-01T08:00:01Z" },
    };
    const tasks = [
      task("running", { Env: NEW.Env, Image: NEW.Image }), // same content, other key order
      task("running", OLD),
      task("starting", NEW),
      task("running", NEW, "shutdown"),
    ];
    const s = sampleOf(2.345, svc, tasks, NEW, REQ);
    expect(s).toEqual({
      t: 2.3,
      state: "updating",
      message: "",
      desired: 3,
      running: 2,
      onTarget: 1,
    });
    expect(canonical({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(canonical({ a: [{ c: 3, d: 2 }], b: 1 }));
  });
});

describe("rolling-update verdict", () => {
  it("FAILS when swarm paused the update", () => {
    const j = judgeRollingUpdate(
      timeline([
        [0.5, "updating", 3, 0],
        [8, "paused", 2, 1],
      ]),
      180,
    );
    expect(j.doneSeconds).toBeNull();
    expect(j.problems.join()).toMatch(/state paused at 8 s/);
  });

  it("FAILS when swarm rolled the good update back", () => {
    const j = judgeRollingUpdate(
      timeline([
        [0.5, "updating", 3, 0],
        [9, "rollback_started", 3, 1],
      ]),
      180,
    );
    expect(j.problems.join()).toMatch(/rollback_started/);
  });

  it("FAILS when it never completes, or says completed while a replica still runs the old spec", () => {
    const j = judgeRollingUpdate(
      timeline([
        [0.5, "updating", 3, 1],
        [30, "completed", 3, 2],
      ]),
      30,
    );
    expect(j.doneSeconds).toBeNull();
    expect(j.problems.join()).toMatch(
      /did not complete within 30 s \(last: state completed, 2\/3 on the target spec/,
    );
  });

  it("passes at the first completed sample with every replica on the new spec, with a mark per replaced task", () => {
    const j = judgeRollingUpdate(
      timeline([
        [0.3, null, 3, 0],
        [0.6, "updating", 3, 0],
        [5, "updating", 3, 1],
        [10, "updating", 3, 2],
        [15, "updating", 2, 2],
        [16, "updating", 3, 3],
        [26.5, "completed", 3, 3],
      ]),
      180,
    );
    expect(j.problems).toEqual([]);
    expect(j.doneSeconds).toBe(26.5);
    expect(j.marks.map((m) => m.label)).toEqual([
      "update requested",
      "swarm: updating",
      "1/3 tasks on the new spec",
      "2/3 tasks on the new spec",
      "3/3 tasks on the new spec",
      "swarm: completed",
      "update completed, 3/3 on the new spec",
    ]);
  });

  it("the matrix row fails on one failed request although the update itself passed", () => {
    const j = judgeRollingUpdate(
      timeline([
        [1, "updating", 3, 0],
        [20, "completed", 3, 3],
      ]),
      180,
    );
    const row = (failed: number) =>
      scenarioResult({
        name: "rolling-update",
        connections: 200,
        load: load(failed),
        problems: j.problems,
        marks: j.marks,
      });
    expect(row(1).passed).toBe(false);
    expect(row(1).failures).toEqual(["1 of 90000 requests failed (budget 0)"]);
    expect(row(0).passed).toBe(true);
  });
});

describe("bad-update verdict (swarm must roll back by itself)", () => {
  it("FAILS loudly when swarm paused instead of rolling back", () => {
    const j = judgeBadUpdate(
      timeline([
        [0.4, "updating", 3, 3],
        [9, "paused", 2, 2],
      ]),
      120,
    );
    expect(j.doneSeconds).toBeNull();
    expect(j.problems).toHaveLength(1);
    expect(j.problems[0]).toMatch(/paused the update at 9 s instead of rolling back by itself/);
  });

  it("FAILS when the rollback itself paused", () => {
    const j = judgeBadUpdate(
      timeline([
        [0.4, "updating", 3, 3],
        [9, "rollback_started", 2, 2],
        [20, "rollback_paused", 2, 2],
      ]),
      120,
    );
    expect(j.problems.join()).toMatch(/paused the rollback at 20 s/);
    expect(j.doneSeconds).toBeNull();
  });

  it("FAILS when swarm accepted the failing spec", () => {
    const j = judgeBadUpdate(
      timeline([
        [0.4, "updating", 3, 3],
        [25, "completed", 3, 0],
      ]),
      120,
    );
    expect(j.problems.join()).toMatch(/completed the update with the failing health check/);
  });

  it("FAILS when swarm never rolls back within the deadline", () => {
    const j = judgeBadUpdate(
      timeline([
        [0.4, null, 3, 3],
        [60, "updating", 2, 2],
        [120, "updating", 2, 2],
      ]),
      120,
    );
    expect(j.problems).toEqual([
      "swarm never rolled back within 120 s (last: state updating, 2/3 on the target spec, 2 running)",
    ]);
  });

  it("FAILS when rollback_completed comes while a replica is still off the original spec, to the deadline", () => {
    const j = judgeBadUpdate(
      timeline([
        [0.4, "updating", 3, 3],
        [9, "rollback_started", 2, 2],
        [30, "rollback_completed", 3, 2],
      ]),
      30,
    );
    expect(j.problems.join()).toMatch(/rollback started at 9 s but did not complete within 30 s/);
  });

  it("passes: rollback detected and completed with every replica back on the original spec", () => {
    const j = judgeBadUpdate(
      timeline([
        [0.4, "updating", 3, 3],
        [1, "updating", 2, 2],
        [9.2, "rollback_started", 2, 2],
        [12, "rollback_started", 3, 3],
        [21.3, "rollback_completed", 3, 3],
      ]),
      120,
    );
    expect(j.problems).toEqual([]);
    expect(j.detectSeconds).toBe(9.2);
    expect(j.doneSeconds).toBe(21.3);
    expect(j.marks.at(-1)).toEqual({ t: 21.3, label: "rolled back, 3/3 on the original spec" });
  });

  it("the final check fails when a replica is off the expected spec at the end", () => {
    const [s] = timeline([[40, "rollback_completed", 3, 2]]);
    expect(finalCheck(s, "original spec")).toEqual([
      "at the end 2 of 3 replicas ran the original spec (3 running)",
    ]);
    expect(finalCheck({ ...s, onTarget: 3 }, "original spec")).toEqual([]);
  });
});

describe("scenario rows", () => {
  it("FAILS on p99 over 1.5 s, on no load at all, and on an empty load", () => {
    const base = { name: "bad-update" as const, connections: 200, problems: [], marks: [] };
    expect(scenarioResult({ ...base, load: load(0, 1600) }).failures).toEqual([
      "p99 latency 1600 ms over the 1500 ms budget",
    ]);
    expect(scenarioResult(base).failures).toEqual([
      "no load measured (0 requests); the scenario must run under 200 connections",
    ]);
    expect(scenarioResult({ ...base, load: { ...load(0), requests: 0 } }).passed).toBe(false);
  });

  it("keeps the scenario's problems first and sorts the marks", () => {
    const r = scenarioResult({
      name: "nfs-stop",
      connections: 200,
      load: load(2),
      problems: ["the export did not answer"],
      marks: [
        { t: 20, label: "b" },
        { t: 0, label: "a" },
      ],
      loadOffsetSeconds: -3,
    });
    expect(r.failures).toEqual([
      "the export did not answer",
      "2 of 90000 requests failed (budget 0)",
    ]);
    expect(r.marks).toEqual([
      { t: 0, label: "a" },
      { t: 20, label: "b" },
    ]);
    expect(r.loadOffsetSeconds).toBe(-3);
    expect(r.restoreSeconds).toBeNull();
  });
});

describe("the changes the scenarios post", () => {
  const spec = {
    Name: "was",
    TaskTemplate: {
      ContainerSpec: {
        Image: "swarm-ha/was:abc",
        Env: ["PORT=8080", "SWARM_HA_RELEASE=old"],
        HealthCheck: {
          Test: ["CMD-SHELL", "curl -fsS http://127.0.0.1:8080/healthz"],
          Interval: 1e9,
          Retries: 2,
        },
      },
    },
  };

  it("rolling-update replaces the release env value and changes nothing else; the original is untouched", () => {
    const next = withEnv(spec, RELEASE_ENV, "new");
    expect(next.TaskTemplate.ContainerSpec.Env).toEqual(["PORT=8080", "SWARM_HA_RELEASE=new"]);
    expect(spec.TaskTemplate.ContainerSpec.Env).toEqual(["PORT=8080", "SWARM_HA_RELEASE=old"]);
    expect(
      canonical({
        ...next,
        TaskTemplate: {
          ContainerSpec: {
            ...next.TaskTemplate.ContainerSpec,
            Env: spec.TaskTemplate.ContainerSpec.Env,
          },
        },
      }),
    ).toBe(canonical(spec));
  });

  it("bad-update keeps image, env and timings, and checks a path the sample app answers 404", async () => {
    const bad = withFailingHealthcheck(spec, 8080);
    const hc = bad.TaskTemplate.ContainerSpec.HealthCheck;
    expect(hc.Test).toEqual(healthcheckCommand(8080, NEVER_HEALTHY_PATH));
    expect({ ...hc, Test: undefined }).toEqual({
      ...spec.TaskTemplate.ContainerSpec.HealthCheck,
      Test: undefined,
    });
    expect(bad.TaskTemplate.ContainerSpec.Image).toBe(spec.TaskTemplate.ContainerSpec.Image);
    // The real app: the failing path is a 404 (curl -f and wget fail on it), while / and the real health path answer.
    const port = 18000 + Math.floor(Math.random() * 1000);
    const app = spawn(process.execPath, [path.join(__dirname, "..", "..", "app", "server.js")], {
      env: {
        ...process.env,
        PORT: String(port),
        LOG_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "was-")),
      },
      stdio: "ignore",
    });
    try {
      const get = async (p: string) => {
        for (let i = 0; ; i++) {
          try {
            return (await fetch(`http://127.0.0.1:${port}${p}`)).status;
          } catch (e) {
            if (i > 50) throw e;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      };
      expect(await get("/healthz")).toBe(200);
      expect(await get(NEVER_HEALTHY_PATH)).toBe(404);
      expect(await get("/")).toBe(200);
    } finally {
      app.kill("SIGKILL");
    }
  });
});
