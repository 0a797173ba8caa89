/**
 * Ctrl-C of every lab and chaos entry point, scripted: base/signals.ts's guard (one per signal
 * source: nested heals run innermost first, the process exits once, after all of them), and each
 * entry point's own path interrupted mid-fault: the chaos drill core (what `npm run chaos`, the lab
 * drill and the matrix's drill rows run; test/chaos/core.test.ts has it with scripted signals), the
 * matrix loop, the baseline with Docker's timings (`npm run lab -- drill` and the matrix's
 * --baseline), the update/NFS scenarios (the matrix, scripts/scenarios.ts) and `replace`. The real
 * matrix interrupted during a worker-partition row is test/e2e/matrix.e2e.ts.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { healingOnSignal, SignalGuard, signalGuard, type SignalHost } from "../../base/signals";
import type { ScenarioResult } from "../../chaos/scenarios/matrix";
import type { LabInfo } from "../../lab/lab";
import { runBaseline, runMatrix, type LabScenario } from "../../lab/matrix";
import { restoringOnSignal } from "../../lab/updateScenarios";
import { FakeClock, FakeSignals, ScriptedSwarm, workerScript } from "../chaos/fakes";

const tick = () => new Promise((r) => setImmediate(r));

function guardWith(signals: FakeSignals): { guard: SignalGuard; exits: number[] } {
  const exits: number[] = [];
  return { guard: new SignalGuard(signals as SignalHost, (c) => exits.push(c)), exits };
}

describe("the signal guard (base/signals.ts)", () => {
  it("heals nested registrations innermost first, announcing each, then exits once with 130", async () => {
    const signals = new FakeSignals();
    const { guard, exits } = guardWith(signals);
    const order: string[] = [];
    let releaseInner!: () => void;
    const inner = new Promise<void>((r) => (releaseInner = r));
    guard.register({
      announce: (s) => order.push(`announce outer ${s}`),
      heal: async () => void order.push("heal outer"),
    });
    guard.register({
      announce: (s) => order.push(`announce inner ${s}`),
      heal: async () => (order.push("heal inner"), inner),
    });
    expect(signals.count()).toBe(2); // one SIGINT and one SIGTERM handler, whatever the number of heals
    signals.emit("SIGINT");
    signals.emit("SIGINT"); // a second Ctrl-C while healing changes nothing
    await tick();
    expect(order).toEqual(["announce inner SIGINT", "announce outer SIGINT", "heal inner"]);
    expect(exits).toEqual([]); // not before the inner heal finished
    guard.exit(1); // the interrupted command ending on its own must not cut the heal short
    expect(exits).toEqual([]);
    releaseInner();
    await tick();
    expect(order).toEqual([
      "announce inner SIGINT",
      "announce outer SIGINT",
      "heal inner",
      "heal outer",
    ]);
    expect(exits).toEqual([130]);
    expect(guard.interrupted).toBe("SIGINT");
  });

  it("exits 143 on SIGTERM, goes on after a failing heal, and removes its handlers when nothing is registered", async () => {
    const signals = new FakeSignals();
    const { guard, exits } = guardWith(signals);
    const healed: string[] = [];
    const off = guard.register({
      announce: () => undefined,
      heal: async () => void healed.push("a"),
    });
    off();
    expect(signals.count()).toBe(0);
    guard.register({ announce: () => undefined, heal: async () => void healed.push("b") });
    guard.register({
      announce: () => undefined,
      heal: async () => Promise.reject(new Error("docker gone")),
    });
    signals.emit("SIGTERM");
    await tick();
    expect(healed).toEqual(["b"]);
    expect(exits).toEqual([143]);
  });

  it("without a signal, a command's own exit is immediate", () => {
    const { guard, exits } = guardWith(new FakeSignals());
    guard.exit(0);
    expect(exits).toEqual([0]);
  });

  it("is one guard per signal source", () => {
    const s = new FakeSignals();
    expect(signalGuard(s, () => undefined)).toBe(signalGuard(s, () => undefined));
    expect(signalGuard(new FakeSignals(), () => undefined)).not.toBe(
      signalGuard(s, () => undefined),
    );
  });
});

// ----------------------------------------------------------------------------------------------
// The entry points, on the process's own guard (what the CLIs use), with process.exit stubbed.

function stubExit(): number[] {
  const exits: number[] = [];
  vi.spyOn(process, "exit").mockImplementation(
    ((code?: number) => void exits.push(code ?? 0)) as never,
  );
  return exits;
}

/**
 * A worker-partition row on a scripted swarm: the drill core with the process's signals, held
 * 2 s (fake time) after the fault, as a real row is mid-poll when Ctrl-C comes.
 */
async function gatedRow(): Promise<{
  scenario: LabScenario;
  swarm: ScriptedSwarm;
  atFault: Promise<void>;
  release: () => void;
}> {
  // From the test's fresh module graph, so the drill registers on the same guard as the lab code.
  const { runDrill } = await import("../../chaos/drill/core");
  const clock = new FakeClock();
  const swarm = new ScriptedSwarm(clock, workerScript({ restoreAt: 10_000 }));
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let reached!: () => void;
  const atFault = new Promise<void>((r) => (reached = r));
  const sleep = clock.sleep.bind(clock);
  clock.sleep = async (ms: number) => {
    if (swarm.stopAt !== undefined && clock.now() - swarm.stopAt === 2000) {
      reached();
      await gate;
    }
    return sleep(ms);
  };
  const scenario: LabScenario = async (_info, o) => {
    const r = await runDrill(swarm, swarm, {
      service: "was",
      managersRunTasks: false,
      clock,
      deadlineSeconds: 30,
      log: o.log,
    });
    return {
      name: "worker-partition",
      passed: r.passed,
      restoreSeconds: null,
      detectSeconds: null,
      load: { requests: 0, failed: 0, p50Ms: 0, p99Ms: 0, resent: 0 },
      failures: [],
    } as unknown as ScenarioResult;
  };
  return { scenario, swarm, atFault, release };
}

const INFO = {} as LabInfo;
const steady = async () => undefined;

describe("Ctrl-C of each entry point, mid-fault (process signals, scripted swarm)", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });
  // Each test leaves the process guard handling its signal (as the real process would exit); the
  // guard is per process, so each test below gets a fresh module graph.
  afterEach(() => vi.resetModules());

  it("npm run lab -- matrix: a worker-partition row heals its node, says so, exits 130 after, and starts no further row", async () => {
    const { runMatrix: run } = await import("../../lab/matrix");
    const exits = stubExit();
    const lines: string[] = [];
    const row = await gatedRow();
    const next = vi.fn(async () => ({}) as ScenarioResult);
    const matrix = run(
      INFO,
      { "worker-partition": row.scenario, "leader-kill": next },
      {
        connections: 10,
        log: (l) => lines.push(l),
        steady,
        only: ["worker-partition", "leader-kill"],
      },
    );
    await row.atFault;
    expect(row.swarm.stopCalls).toEqual(["w1"]);
    expect(row.swarm.startCalls).toEqual([]);
    process.emit("SIGINT");
    await tick();
    expect(row.swarm.startCalls).toEqual(["w1"]); // healed at once
    expect(lines.some((l) => /signal: SIGINT: healing the fault before exiting/.test(l))).toBe(
      true,
    );
    expect(exits).toEqual([130]);
    row.release();
    await matrix;
    expect(next).not.toHaveBeenCalled();
  });

  it("the matrix's --baseline (Docker's timings): the row's fault heals first, then the tuned timings come back, then one exit", async () => {
    const { runBaseline: baseline } = await import("../../lab/matrix");
    const { signalGuard: guardOf } = await import("../../base/signals");
    const exits = stubExit();
    const lines: string[] = [];
    const row = await gatedRow();
    const timings: string[] = [];
    const setTimings = async (k: "docker-defaults" | "tuned") => {
      timings.push(`${k}${row.swarm.startCalls.length ? " (after the heal)" : ""}`);
    };
    const run = baseline(
      INFO,
      { "worker-stop": row.scenario },
      { connections: 10, log: (l) => lines.push(l), steady },
      setTimings,
    );
    await row.atFault;
    process.emit("SIGINT");
    await tick();
    await tick();
    expect(lines.filter((l) => l.includes("signal: SIGINT"))).toEqual([
      expect.stringContaining("healing the fault before exiting"),
      "signal: SIGINT: restoring the tuned swarm timings before exiting",
    ]);
    expect(timings[0]).toBe("docker-defaults");
    expect(timings[1]).toBe("tuned (after the heal)");
    expect(exits).toEqual([130]);
    expect(guardOf().interrupted).toBe("SIGINT");
    row.release();
    await run;
  });

  it("scripts/scenarios.ts and the matrix's update/NFS rows: the service spec (or the NFS server) is put back before the exit", async () => {
    const { restoringOnSignal: restoring } = await import("../../lab/updateScenarios");
    const exits = stubExit();
    const lines: string[] = [];
    const restored: string[] = [];
    let release!: () => void;
    const inUpdate = new Promise<void>((r) => (release = r));
    const run = restoring(
      async () => void restored.push("spec"),
      (l) => lines.push(l),
      () => inUpdate,
    );
    process.emit("SIGTERM");
    await tick();
    expect(lines).toEqual([
      "signal: SIGTERM: putting service was back on its original spec before exiting",
    ]);
    expect(restored).toEqual(["spec"]);
    expect(exits).toEqual([143]);
    release();
    await run;
  });

  it("npm run lab -- drill (its baseline, Docker's timings): the drill's fault heals, then the tuned timings, then exit 130", async () => {
    const { withDockerDefaults: dockerDefaults } = await import("../../lab/drill");
    const exits = stubExit();
    const lines: string[] = [];
    const row = await gatedRow();
    const timings: string[] = [];
    const setTimings = async (k: "docker-defaults" | "tuned") =>
      void timings.push(`${k}${row.swarm.startCalls.length ? " (after the heal)" : ""}`);
    const run = dockerDefaults(
      setTimings,
      "▶ back to the tuned timings",
      (l) => lines.push(l),
      () => row.scenario(INFO, { connections: 10, log: (l) => lines.push(l) }),
    );
    await row.atFault;
    process.emit("SIGINT");
    await tick();
    await tick();
    expect(lines.filter((l) => l.includes("signal: SIGINT"))).toEqual([
      expect.stringContaining("healing the fault before exiting"),
      "signal: SIGINT: restoring the tuned swarm timings before exiting",
    ]);
    expect(timings.slice(0, 2)).toEqual(["docker-defaults", "tuned (after the heal)"]);
    expect(exits).toEqual([130]);
    row.release();
    await run;
  });

  it("npm run lab -- replace: before the removal nothing to heal; after it a fresh node is brought back before the exit", async () => {
    const { replaceHeal } = await import("../../lab/replace");
    const signals = new FakeSignals();
    const { guard, exits } = guardWith(signals);
    const lines: string[] = [];
    const calls: string[] = [];
    const removal = { started: false };
    const heal = replaceHeal(
      "swarm-ha-worker-2",
      removal,
      async () => void calls.push("watch stopped"),
      async () => void calls.push("brought back"),
      (l) => lines.push(l),
    );
    // Interrupted mid-replacement: the old container is gone.
    removal.started = true;
    guard.register(heal);
    signals.emit("SIGINT");
    await tick();
    expect(lines).toEqual([
      "signal: SIGINT: healing swarm-ha-worker-2 (a fresh node rejoins the swarm) before exiting",
    ]);
    expect(calls).toEqual(["watch stopped", "brought back"]);
    expect(exits).toEqual([130]);
    // Before the removal the same signal heals nothing and says so.
    const before = replaceHeal(
      "swarm-ha-worker-2",
      { started: false },
      async () => void calls.push("x"),
      async () => void calls.push("y"),
      (l) => lines.push(l),
    );
    before.announce("SIGTERM");
    await before.heal();
    expect(lines[1]).toBe("signal: SIGTERM: nothing changed yet, nothing to heal before exiting");
    expect(calls).toEqual(["watch stopped", "brought back"]);
  });

  it("healingOnSignal (every lab heal: bring-up, replace, NFS): without a signal it only runs the command, and leaves no handler", async () => {
    const { healingOnSignal: healing } = await import("../../base/signals");
    const before = process.listenerCount("SIGINT");
    const heal = vi.fn(async () => undefined);
    expect(
      await healing(
        "x",
        heal,
        () => undefined,
        async () => 7,
      ),
    ).toBe(7);
    expect(heal).not.toHaveBeenCalled();
    expect(process.listenerCount("SIGINT")).toBe(before);
  });
});

// Keep the static imports used (the dynamic ones above get a fresh guard per test).
void healingOnSignal;
void runBaseline;
void runMatrix;
void restoringOnSignal;
