/**
 * The balancer drill (target "edge") on the shared drill core, with a scripted pair: who holds the
 * floating address and whether it answers are functions of the fake clock and of what the stopper
 * did, so takeover, a pair that never takes over, split brain after the return and the
 * always-restart guarantee run instantly and deterministically.
 */
import { describe, expect, it } from "vitest";
import { runDrill, takeover as measureTakeover, type DrillOptions } from "../../chaos/drill/core";
import { MATRIX_BUDGETS } from "../../chaos/scenarios/matrix";
import { AnswerProber, edgeSampler } from "../../chaos/drill/observe";
import { DrillRecord } from "../../chaos/drill/record";
import type { EdgeObserver, LoadHook, LoadSummary, NodeStopper } from "../../chaos/types";
import { FakeClock, FakeSignals, ScriptedSwarm, workerScript, type World } from "./fakes";

interface PairScript {
  /** Holders of the address at this observation. */
  holders(w: World): string[];
  /** Whether the address answers (probed during the measurement only). Default: someone holds it. */
  answers?(w: World): boolean;
  /** Seconds after the start before the stopped balancer takes part in VRRP. Default 1. */
  readyAfter?: number;
}

/** The pair over the ScriptedSwarm's stop/start record (which also plays the swarm for the replicas). */
class ScriptedPair implements EdgeObserver {
  probes = 0;
  constructor(
    private readonly swarm: ScriptedSwarm,
    private readonly script: PairScript,
  ) {}
  async nodes(): Promise<string[]> {
    return ["nginx-1", "nginx-2"];
  }
  async holders(): Promise<string[]> {
    return this.script.holders(this.swarm.world());
  }
  async ready(node: string): Promise<boolean> {
    const w = this.swarm.world();
    return (
      !w.stopped.has(node) &&
      w.sinceStart !== undefined &&
      w.sinceStart >= (this.script.readyAfter ?? 1)
    );
  }
  async answers(): Promise<boolean> {
    this.probes++;
    const w = this.swarm.world();
    return this.script.answers ? this.script.answers(w) : this.script.holders(w).length > 0;
  }
}

/** nginx-1 holds the address; after the stop nginx-2 holds it from `takeoverAt` s. */
function takeover(
  takeoverAt: number,
  opts: { afterReturn?: (w: World) => string[] } = {},
): PairScript {
  return {
    holders: (w) => {
      if (w.sinceStart !== undefined && opts.afterReturn) return opts.afterReturn(w);
      if (w.sinceStop === undefined) return ["nginx-1"];
      return w.sinceStop >= takeoverAt ? ["nginx-2"] : [];
    },
  };
}

function edgeDrill(
  script: PairScript,
  opts: Partial<DrillOptions> = {},
  setup?: (s: ScriptedSwarm) => void,
) {
  const clock = new FakeClock();
  const swarm = new ScriptedSwarm(clock, workerScript({}));
  setup?.(swarm);
  const pair = new ScriptedPair(swarm, script);
  const lines: string[] = [];
  const run = runDrill(swarm, swarm, {
    service: "was",
    target: "edge",
    edge: pair,
    deadlineSeconds: 10,
    rejoinDeadlineSeconds: 30,
    pollMs: 100,
    clock,
    signals: null,
    log: (l) => lines.push(l),
    ...opts,
  });
  return { clock, swarm, pair, lines, run };
}

describe("edge drill: takeover in time", () => {
  it("stops the holder, measures the takeover, restarts it and sees one holder after its return", async () => {
    const { swarm, pair, run } = edgeDrill(takeover(0.7));
    const r = await run;
    expect(r.reason).toBeUndefined();
    expect(r.passed).toBe(true);
    expect(r.scenario).toBe("stop-edge");
    expect(r.target).toEqual({ node: "nginx-1", role: "edge" });
    expect(swarm.stopCalls).toEqual(["nginx-1"]);
    expect(swarm.startCalls).toEqual(["nginx-1"]);
    // Samples every 100 ms: nginx-2 holds and answers from the first sample at or after 0.7 s.
    expect(r.detectSeconds).toBe(0.7);
    expect(r.restoreSeconds).toBe(0.7);
    expect(r.takeoverSeconds).toBe(0.7);
    expect(r.holdersAfterReturn).toEqual(["nginx-2"]);
    expect(r.singleHolderWithinSeconds).toBe(0);
    expect(r.rejoinSeconds).toBe(1);
    expect(r.replicas).toEqual({ desired: 3, runningOnReady: 3 });
    expect(pair.probes).toBeGreaterThan(0);
    expect(r.events.map((e) => e.kind)).toEqual([
      "stop",
      "stop-returned",
      "detected",
      "restored",
      "start",
      "start-returned",
      "rejoined",
      "single-holder",
    ]);
    expect(r.timeline.find((s) => s.t === 0.5)?.holders).toEqual([]);
  });

  it("does not count a holder change as the takeover until the address answers", async () => {
    const script: PairScript = {
      ...takeover(0.5),
      answers: (w) => w.sinceStop !== undefined && w.sinceStop >= 1.2,
    };
    const r = await edgeDrill(script).run;
    expect(r.passed).toBe(true);
    expect(r.detectSeconds).toBe(0.5);
    expect(r.takeoverSeconds).toBe(1.2);
  });

  it("runs the load across the takeover and reports it", async () => {
    const summary: LoadSummary = {
      connections: 50,
      durationSeconds: 6,
      requests: 9000,
      failed: 0,
      p50Ms: 4,
      p99Ms: 900,
      perSecond: [],
      perNode: {},
      failures: {},
    };
    let started = false;
    const load: LoadHook = { start: () => void (started = true), stop: async () => summary };
    const r = await edgeDrill(takeover(0.7), { load }).run;
    expect(started).toBe(true);
    expect(r.load).toEqual({
      connections: 50,
      durationSeconds: 6,
      requests: 9000,
      failed: 0,
      p50Ms: 4,
      p99Ms: 900,
    });
    expect(r.passed).toBe(true);
  });
});

describe("edge drill: never taken over", () => {
  it("fails at the deadline naming what is missing, and still starts the balancer again", async () => {
    const { swarm, run } = edgeDrill({
      holders: (w) => (w.sinceStop === undefined || w.sinceStart !== undefined ? ["nginx-1"] : []),
    });
    const r = await run;
    expect(r.passed).toBe(false);
    expect(r.restoreSeconds).toBeNull();
    expect(r.takeoverSeconds).toBeNull();
    expect(r.detectSeconds).toBeNull();
    expect(r.reason).toMatch(
      /not restored within the 10 s deadline: the floating address did not answer from the standby \(holders: none/,
    );
    expect(r.reason).toMatch(/no other balancer became MASTER/);
    expect(swarm.startCalls).toEqual(["nginx-1"]);
    expect(r.restarted).toBe(true);
  });

  it("refuses a single balancer without stopping anything", async () => {
    const clock = new FakeClock();
    const swarm = new ScriptedSwarm(clock, workerScript({}));
    const single: EdgeObserver = {
      nodes: async () => ["nginx-1"],
      holders: async () => ["nginx-1"],
      ready: async () => true,
    };
    const r = await runDrill(swarm, swarm, {
      service: "was",
      target: "edge",
      edge: single,
      clock,
      signals: null,
    });
    expect(r.refused).toBe(true);
    expect(r.scenario).toBe("stop-edge");
    expect(r.target.role).toBe("edge");
    expect(r.reason).toMatch(/no standby.*--edge 2.*edge\.nodes=2/);
    expect(swarm.stopCalls).toEqual([]);
  });

  it("refuses a pair that is already split (two holders) before the stop", async () => {
    const { swarm, run } = edgeDrill(
      { holders: () => ["nginx-1", "nginx-2"] },
      { steadySeconds: 2 },
    );
    const r = await run;
    expect(r.refused).toBe(true);
    expect(r.reason).toMatch(/not steady.*nginx-1 and nginx-2 all hold/);
    expect(swarm.stopCalls).toEqual([]);
  });

  it("refuses without an edge observer", async () => {
    const clock = new FakeClock();
    const swarm = new ScriptedSwarm(clock, workerScript({}));
    const r = await runDrill(swarm, swarm, {
      service: "was",
      target: "edge",
      clock,
      signals: null,
    });
    expect(r.refused).toBe(true);
    expect(r.reason).toMatch(/EdgeObserver/);
  });
});

describe("edge drill: split brain after the return", () => {
  it("fails when both balancers hold the address 5 s after the stopped one returned", async () => {
    const r = await edgeDrill(takeover(0.7, { afterReturn: () => ["nginx-1", "nginx-2"] })).run;
    expect(r.takeoverSeconds).toBe(0.7);
    expect(r.passed).toBe(false);
    expect(r.holdersAfterReturn).toEqual(["nginx-1", "nginx-2"]);
    expect(r.singleHolderWithinSeconds).toBeNull();
    expect(r.reason).toMatch(
      /split brain: after nginx-1 returned, nginx-1 and nginx-2 held the floating address/,
    );
    expect(r.events.map((e) => e.kind)).toContain("split-brain");
  });

  it("passes when a brief double holding resolves within the window, and says when", async () => {
    const r = await edgeDrill(
      takeover(0.7, {
        afterReturn: (w) => (w.sinceStart! < 3 ? ["nginx-1", "nginx-2"] : ["nginx-2"]),
      }),
    ).run;
    expect(r.passed).toBe(true);
    expect(r.holdersAfterReturn).toEqual(["nginx-2"]);
    // Ready 1 s after the start, single from 3 s after the start: 2 s after the return.
    expect(r.singleHolderWithinSeconds).toBe(2);
  });

  it("FAILS a pair that flaps after the return: each change of holder restarts the single-holder timer", async () => {
    // Exactly one holder at every sample, but it changes every 0.5 s: never one stable holder.
    const flap = (w: World) => (Math.floor(w.sinceStart! * 2) % 2 ? ["nginx-1"] : ["nginx-2"]);
    const r = await edgeDrill(takeover(0.7, { afterReturn: flap })).run;
    expect(r.passed).toBe(false);
    expect(r.singleHolderWithinSeconds).toBeNull();
    expect(r.failures.some((f) => /^split brain: after nginx-1 returned/.test(f))).toBe(true);
    expect(r.events.map((e) => e.kind)).toContain("split-brain");
  });

  it("a single holder must stay unchanged for the stable time (3 s by default), not merely appear", async () => {
    // Single from 1 s after the return, but it changes once at 2.5 s: the run restarts there.
    const late = (w: World) =>
      w.sinceStart! < 2 ? ["nginx-1", "nginx-2"] : w.sinceStart! < 3.5 ? ["nginx-1"] : ["nginx-2"];
    const r = await edgeDrill(takeover(0.7, { afterReturn: late })).run;
    expect(r.passed).toBe(true);
    expect(r.singleHolderWithinSeconds).toBe(2.5);
  });

  it("fails when nobody holds the address after the return", async () => {
    const r = await edgeDrill(takeover(0.7, { afterReturn: () => [] })).run;
    expect(r.passed).toBe(false);
    expect(r.reason).toMatch(/split brain: .*no balancer held/);
  });
});

describe("edge drill: always restarts", () => {
  it("starts the balancer again when the stop fails midway", async () => {
    const { swarm, run } = edgeDrill(takeover(0.7), {}, (s) => (s.stopError = "docker stop: boom"));
    const r = await run;
    expect(r.passed).toBe(false);
    expect(r.reason).toMatch(/stopping nginx-1 failed: docker stop: boom/);
    expect(swarm.startCalls).toEqual(["nginx-1"]);
  });

  it("retries a failing start and reports when it never comes back", async () => {
    const { swarm, run } = edgeDrill(
      takeover(0.7),
      { startAttempts: 2 },
      (s) => (s.startErrors = ["e1", "e2"]),
    );
    const r = await run;
    expect(swarm.startCalls).toEqual(["nginx-1", "nginx-1"]);
    expect(r.restarted).toBe(false);
    expect(r.passed).toBe(false);
    expect(r.reason).toMatch(/starting nginx-1 again failed: e1; e2/);
  });

  it("starts the balancer again on SIGINT during the takeover and exits 130", async () => {
    const signals = new FakeSignals();
    const exits: number[] = [];
    const { swarm, clock, run } = edgeDrill(takeover(1000), {
      signals,
      exit: (c) => exits.push(c),
      deadlineSeconds: 5,
    });
    await clock.until(clock.now() + 1000);
    signals.emit("SIGINT");
    const r = await run;
    expect(swarm.startCalls).toEqual(["nginx-1"]);
    expect(exits).toEqual([130]);
    expect(r.passed).toBe(false);
    expect(signals.count()).toBe(0);
  });
});

/**
 * The takeover as a client sees it (issue 10, edge-kill ≤ 1 s): the kill's request may take seconds
 * to act (`docker kill` on a loaded host); the adapter says when it took effect, and the answer
 * prober names the balancer behind each answer. nginx-1 answers until the kill takes effect.
 */
describe("edge drill: takeover from the kill taking effect to the first answer from the standby", () => {
  function killDrill(o: {
    effectAfterMs: number;
    standbyAnswersAt: number;
    reportsEffect: boolean;
  }) {
    const clock = new FakeClock();
    const swarm = new ScriptedSwarm(clock, workerScript({}));
    swarm.stopTakesMs = o.effectAfterMs; // the kill call returns when it took effect
    const effectAt = () =>
      swarm.stopAt === undefined ? undefined : swarm.stopAt + o.effectAfterMs;
    const script = takeover(o.standbyAnswersAt);
    const pair = new ScriptedPair(swarm, script);
    const probed: string[] = [];
    const answering: EdgeObserver = {
      nodes: () => pair.nodes(),
      holders: () => pair.holders(),
      ready: (n) => pair.ready(n),
      answeredBy: async () => {
        const w = swarm.world();
        const s = w.sinceStop;
        const by =
          s === undefined || s * 1000 < o.effectAfterMs
            ? "nginx-1"
            : s >= o.standbyAnswersAt
              ? "nginx-2"
              : undefined;
        if (by) probed.push(by);
        return by ? { ok: true, balancer: by } : { ok: false };
      },
    };
    const stopper: NodeStopper = {
      stop: (t) => swarm.stop(t),
      start: (t) => swarm.start(t),
      ...(o.reportsEffect ? { effectiveAt: async () => effectAt() } : {}),
    };
    const run = runDrill(swarm, stopper, {
      service: "was",
      target: "edge",
      edge: answering,
      fault: "kill",
      deadlineSeconds: 10,
      rejoinDeadlineSeconds: 30,
      pollMs: 250,
      clock,
      signals: null,
    });
    return { run, probed, swarm };
  }

  it("reports 0.8 s for a kill that acts 3 s after the call and a standby answer 0.8 s later", async () => {
    const { run, probed } = killDrill({
      effectAfterMs: 3000,
      standbyAnswersAt: 3.8,
      reportsEffect: true,
    });
    const r = await run;
    expect(r.reason).toBeUndefined();
    expect(r.passed).toBe(true);
    expect(r.faultEffectiveSeconds).toBe(3);
    expect(r.takeoverFrom).toBe("fault-effective");
    expect(r.takeoverSeconds).toBe(0.8);
    // The failure matrix reads the takeover from restoreSeconds.
    expect(r.restoreSeconds).toBe(0.8);
    expect(r.restoreSeconds!).toBeLessThanOrEqual(MATRIX_BUDGETS["edge-kill"].restoreSeconds!);
    expect(r.events.find((e) => e.kind === "fault-effective")?.t).toBe(3);
    expect(r.events.find((e) => e.kind === "restored")).toMatchObject({
      t: 3.8,
      detail: expect.stringMatching(/answered from nginx-2/),
    });
    // Answers from the killed holder before the kill acted do not count; probes every 100 ms, not every 250.
    expect(probed.filter((b) => b === "nginx-1").length).toBeGreaterThanOrEqual(29);
    expect(r.probes).toMatchObject({ sent: expect.any(Number) });
  });

  it("fails the 1 s budget when the standby answers 1.4 s after the kill took effect", async () => {
    const r = await killDrill({ effectAfterMs: 3000, standbyAnswersAt: 4.4, reportsEffect: true })
      .run;
    expect(r.takeoverSeconds).toBe(1.4);
    expect(r.restoreSeconds).toBe(1.4);
    expect(r.restoreSeconds!).toBeGreaterThan(MATRIX_BUDGETS["edge-kill"].restoreSeconds!);
    expect(r.passed).toBe(false);
    expect(r.reason).toMatch(/takeover 1\.4 s after the fault took effect, over the 1 s budget/);
  });

  it("measures from the kill request, and says so, when the adapter cannot tell when it acted (AWS)", async () => {
    const r = await killDrill({ effectAfterMs: 3000, standbyAnswersAt: 3.8, reportsEffect: false })
      .run;
    expect(r.faultEffectiveSeconds).toBeUndefined();
    expect(r.events.some((e) => e.kind === "fault-effective")).toBe(false);
    expect(r.takeoverFrom).toBe("fault-request");
    expect(r.takeoverSeconds).toBe(3.8);
    expect(r.passed).toBe(false);
    expect(r.reason).toMatch(
      /takeover 3\.8 s after the fault request \(when it took effect is unknown\), over the 1 s budget/,
    );
  });

  it("passes from the request when the kill acts at once", async () => {
    const r = await killDrill({ effectAfterMs: 0, standbyAnswersAt: 0.9, reportsEffect: false })
      .run;
    expect(r.takeoverFrom).toBe("fault-request");
    expect(r.takeoverSeconds).toBe(0.9);
    expect(r.passed).toBe(true);
  });

  it("fails when only the killed balancer ever answers", async () => {
    const r = await killDrill({ effectAfterMs: 3000, standbyAnswersAt: 1e6, reportsEffect: true })
      .run;
    expect(r.takeoverSeconds).toBeNull();
    expect(r.passed).toBe(false);
    expect(r.reason).toMatch(/did not answer from another balancer than nginx-1/);
  });
});

describe("takeover()", () => {
  it("counts an answer stamped just before the effective time as 0, never negative", () => {
    expect(measureTakeover(2.95, 3, 1)).toEqual({ seconds: 0, from: "fault-effective" });
  });
  it("has no figure and no budget failure without an answer", () => {
    expect(measureTakeover(null, 3, 1)).toEqual({ seconds: null, from: "fault-effective" });
  });
});

describe("edgeSampler: holders() reads spaced while probing", () => {
  it("starts at most one read per gap while the prober decides the takeover, and one per sample otherwise", async () => {
    const clock = new FakeClock();
    const rec = new DrillRecord(clock, () => undefined);
    let reads = 0;
    const edge: EdgeObserver = {
      nodes: async () => ["nginx-1", "nginx-2"],
      holders: async () => (reads++, ["nginx-2"]),
      ready: async () => true,
    };
    const prober = new AnswerProber(
      rec,
      async () => ({ ok: true, balancer: "nginx-2" }),
      "nginx-1",
    );
    const probing = { on: true };
    const sampler = edgeSampler(rec, edge, ["nginx-1", "nginx-2"], probing, prober, 1000);
    for (let i = 0; i < 20; i++) {
      await sampler.sample();
      await clock.sleep(100);
    }
    expect(reads).toBe(2); // 2 s of samples every 100 ms
    probing.on = false;
    await sampler.sample();
    await sampler.sample();
    expect(reads).toBe(4);
  });
});
