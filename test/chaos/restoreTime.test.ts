/**
 * The restore figure from the swarm's own record (Status.Timestamp of the newest task counted),
 * bounded by the samples around it: a sample's reads take seconds on the loaded lab, so its start
 * time alone is that coarse; a timestamp outside the window (clock skew on AWS) is not used.
 */
import { describe, expect, it } from "vitest";
import type { DrillSample } from "../../chaos/drill/core";
import { taskFromEngine } from "../../chaos/engineApi";
import { SwarmJudge, swarmRestoreTime, swarmSampler } from "../../chaos/drill/observe";
import { DrillRecord } from "../../chaos/drill/record";
import type { SwarmObserver } from "../../chaos/types";
import { FakeClock, node } from "./fakes";

const sample = (t: number, running: number, extra: Partial<DrillSample> = {}): DrillSample => ({
  t,
  nodes: { w1: "down" },
  runningOnReady: running,
  listedRunning: running,
  ...extra,
});

function judge(samples: DrillSample[]): { restore: number | null; detail: string | undefined } {
  const rec = new DrillRecord(new FakeClock(), () => undefined);
  const j = new SwarmJudge(
    { target: "w1", desired: 3, needsLeader: false, confirmSamples: 3 },
    rec,
  );
  for (const s of samples) j.see(s);
  return {
    restore: j.restoreSeconds,
    detail: rec.events.find((e) => e.kind === "restored")?.detail,
  };
}

describe("restore time from the swarm's task timestamps", () => {
  const run = (since: number | undefined) =>
    judge([
      sample(4, 2, { readEnd: 5.9 }),
      sample(6, 3, { readEnd: 7.9, ...(since !== undefined ? { lastRunningSince: since } : {}) }),
      sample(8, 3, { readEnd: 9.5 }),
      sample(10, 3, { readEnd: 11 }),
    ]);

  it("uses the recorded time when it lies after the last short sample and before the full one's reads returned", () => {
    const r = run(5.2);
    expect(r.restore).toBe(5.2);
    expect(r.detail).toMatch(/since 6 s .*the swarm recorded the last of them running at 5\.2 s/);
    // Recorded during the full sample's own reads (later than its start): still the record.
    expect(run(7.1).restore).toBe(7.1);
  });

  it("keeps the sample time when the record is missing or outside the window (the cases that must not move it)", () => {
    expect(run(undefined).restore).toBe(6);
    expect(run(3.5).restore).toBe(6); // before a sample that still counted 2: impossible, so skewed
    expect(run(8.4).restore).toBe(6); // after the reads that saw it returned: skewed the other way
    expect(run(undefined).detail).not.toMatch(/recorded/);
  });

  it("swarmRestoreTime: the bounds are strict below and inclusive above", () => {
    const first = sample(6, 3, { readEnd: 7.9, lastRunningSince: 4 });
    expect(swarmRestoreTime(first, 4)).toBeUndefined();
    expect(swarmRestoreTime({ ...first, lastRunningSince: 7.9 }, 4)).toBe(7.9);
    expect(swarmRestoreTime(undefined, 0)).toBeUndefined();
  });

  it("taskFromEngine reads Status.Timestamp (ns precision) as stateSince", () => {
    const t = taskFromEngine({
      ID: "t1",
      NodeID: "n1",
      Status: { State: "running", Timestamp: "2026-12-01T10:52:28.059790122Z" },
      DesiredState: "running",
    });
    expect(t.stateSince).toBe(Date.parse("2026-12-01T10:52:28.059Z"));
    expect(taskFromEngine({ ID: "t2", Status: { State: "running" } }).stateSince).toBeUndefined();
  });

  it("the sampler reports the newest timestamp among the tasks it counts, never the faulted node's", async () => {
    const clock = new FakeClock();
    const rec = new DrillRecord(clock, () => undefined);
    rec.t0 = clock.now();
    const at = (s: number) => rec.t0 + s * 1000;
    const observer: SwarmObserver = {
      nodes: async () => [
        node("w1", "worker"),
        node("w2", "worker"),
        node("w3", "worker"),
        node("w4", "worker"),
      ],
      tasks: async () => [
        { id: "a", nodeId: "id-w1", state: "running", desiredState: "running", stateSince: at(9) }, // the target's: excluded
        {
          id: "b",
          nodeId: "id-w2",
          state: "running",
          desiredState: "running",
          stateSince: at(-50),
        },
        {
          id: "c",
          nodeId: "id-w4",
          state: "running",
          desiredState: "running",
          stateSince: at(4.25),
        },
      ],
      desiredReplicas: async () => 3,
    };
    const s = await swarmSampler(
      rec,
      observer,
      "was",
      { ids: new Set(["id-w1"]), readyAtStart: new Set() },
      { faulted: true, otherNotReady: new Set() },
    ).sample();
    expect(s.runningOnReady).toBe(2);
    expect(s.lastRunningSince).toBe(4.25);
    expect(s.readEnd).toBe(0);
  });
});
