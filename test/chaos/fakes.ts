/**
 * Scripted swarms for the drill core: node and task states are functions of the fake clock and of
 * what the stopper did, so a whole drill runs instantly and deterministically.
 */

import type { Clock, SignalHost } from "../../chaos/drill/core";
import type { NodeInfo, NodeRole, NodeStopper, SwarmObserver, TaskInfo } from "../../chaos/types";

export class FakeClock implements Clock {
  ms = 1_000_000;
  sleeps = 0;
  now(): number {
    return this.ms;
  }
  private waiters: Array<{ at: number; resolve: () => void }> = [];
  async sleep(ms: number): Promise<void> {
    this.sleeps++;
    if (this.sleeps > 1_000_000) throw new Error("fake clock: runaway loop");
    this.ms += ms;
    const due = this.waiters.filter((w) => w.at <= this.ms);
    this.waiters = this.waiters.filter((w) => w.at > this.ms);
    for (const w of due) w.resolve();
  }
  /** Resolves once other code's sleeps have moved the clock to `at` (a slow call in fake time). */
  until(at: number): Promise<void> {
    if (at <= this.ms) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ at, resolve }));
  }
}

export function node(hostname: string, role: NodeRole, extra: Partial<NodeInfo> = {}): NodeInfo {
  return {
    id: `id-${hostname}`,
    hostname,
    role,
    status: "ready",
    availability: "active",
    ...extra,
  };
}

export function task(
  id: string,
  host: string,
  state = "running",
  desiredState = "running",
): TaskInfo {
  return { id, nodeId: `id-${host}`, state, desiredState };
}

/** What the script sees at each observation. */
export interface World {
  /** Seconds since the stop call, or undefined before it. */
  readonly sinceStop: number | undefined;
  /** Seconds since the (first) start call, or undefined. */
  readonly sinceStart: number | undefined;
  readonly stopped: ReadonlySet<string>;
  /** Every target the stopper was asked to stop (stays after the start). */
  readonly hit: ReadonlySet<string>;
}

export interface Script {
  nodes(w: World): NodeInfo[];
  tasks(w: World): TaskInfo[];
  desired?: number;
  /** Throw from the observer for this observation. */
  fail?(w: World): string | undefined;
}

export class ScriptedSwarm implements SwarmObserver, NodeStopper {
  stopCalls: string[] = [];
  startCalls: string[] = [];
  stopAt: number | undefined;
  startAt: number | undefined;
  stopped = new Set<string>();
  observations = 0;
  /** Make stop/start reject with these messages. */
  stopError?: string;
  startErrors: string[] = [];
  /** Milliseconds of fake time the stop call takes (EC2 waiter). */
  stopTakesMs = 0;

  constructor(
    /** A FakeClock, or the real clock (then stopTakesMs must stay 0). */
    readonly clock: FakeClock,
    readonly script: Script,
  ) {}

  world(): World {
    const s = (at: number | undefined) =>
      at === undefined ? undefined : (this.clock.now() - at) / 1000;
    return {
      sinceStop: s(this.stopAt),
      sinceStart: s(this.startAt),
      stopped: this.stopped,
      hit: new Set(this.stopCalls),
    };
  }

  private check(): World {
    this.observations++;
    const w = this.world();
    const err = this.script.fail?.(w);
    if (err) throw new Error(err);
    return w;
  }

  async nodes(): Promise<NodeInfo[]> {
    return this.script.nodes(this.check());
  }
  async tasks(): Promise<TaskInfo[]> {
    return this.script.tasks(this.check());
  }
  async desiredReplicas(): Promise<number> {
    return this.script.desired ?? 3;
  }
  async stop(target: string): Promise<void> {
    this.stopCalls.push(target);
    this.stopAt = this.clock.now();
    if (this.stopError) throw new Error(this.stopError);
    this.stopped.add(target);
    if (this.stopTakesMs > 0) await this.clock.until(this.clock.now() + this.stopTakesMs);
  }
  async start(target: string): Promise<void> {
    this.startCalls.push(target);
    this.startAt ??= this.clock.now();
    const err = this.startErrors.shift();
    if (err) throw new Error(err);
    this.stopped.delete(target);
  }
}

/**
 * The common topology: manager m1 (leader, runs no task), workers w1..w3 each running one task,
 * w1 is the one the drill picks. After the stop, w1 is marked down at `detectAt` s, its task stays
 * listed as running (the 4/3 trap) and a replacement runs on `spare` from `restoreAt` s.
 * After the start, w1 is ready again `rejoinAfter` s later, and the swarm then shuts its old
 * task down (no orphan: 3 running, not 4).
 */
export function workerScript(opts: {
  detectAt?: number;
  restoreAt?: number;
  rejoinAfter?: number;
  spare?: string;
  extraWorkers?: number;
}): Script {
  const detectAt = opts.detectAt ?? 4;
  const restoreAt = opts.restoreAt ?? 9;
  const rejoinAfter = opts.rejoinAfter ?? 2;
  const spare = opts.spare ?? "w4";
  const workers = [
    "w1",
    "w2",
    "w3",
    ...Array.from({ length: opts.extraWorkers ?? 1 }, (_, i) => `w${4 + i}`),
  ];
  const w1Down = (w: World) =>
    w.sinceStop !== undefined &&
    w.sinceStop >= detectAt &&
    !(w.sinceStart !== undefined && w.sinceStart >= rejoinAfter);
  return {
    nodes: (w) => [
      node("m1", "manager", { leader: true }),
      ...workers.map((h) => node(h, "worker", h === "w1" && w1Down(w) ? { status: "down" } : {})),
    ],
    tasks: (w) => {
      const back = w.hit.has("w1") && w.sinceStart !== undefined && w.sinceStart >= rejoinAfter;
      const ts = [
        task("t1", "w1", back ? "shutdown" : "running", back ? "shutdown" : "running"),
        task("t2", "w2"),
        task("t3", "w3"),
      ];
      if (w.sinceStop !== undefined && w.sinceStop >= restoreAt) ts.push(task("t4", spare));
      return ts;
    },
  };
}

export class FakeSignals implements SignalHost {
  handlers = new Map<string, Array<() => void>>();
  on(signal: string, handler: () => void): void {
    this.handlers.set(signal, [...(this.handlers.get(signal) ?? []), handler]);
  }
  off(signal: string, handler: () => void): void {
    this.handlers.set(
      signal,
      (this.handlers.get(signal) ?? []).filter((h) => h !== handler),
    );
  }
  emit(signal: string): void {
    for (const h of this.handlers.get(signal) ?? []) h();
  }
  count(): number {
    return [...this.handlers.values()].reduce((a, b) => a + b.length, 0);
  }
}
