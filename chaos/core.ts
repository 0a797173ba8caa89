/**
 * The chaos drill core: choose a target, stop it, watch the swarm's own view until the desired
 * tasks run again on Ready nodes (or a deadline passes), then ALWAYS start the target again and
 * wait for it to rejoin. The core knows nothing of EC2 or lab containers: it drives a NodeStopper
 * and reads a SwarmObserver (chaos/types.ts), so the lab drill, `npm run chaos` and the Pulumi
 * ChaosCheck all measure the same thing the same way.
 *
 * "Restored" is deliberately strict (see lab-notes, the `4/3` trap): `docker service ls` keeps
 * counting the task listed on the Down node, so the core counts only tasks whose state AND desired
 * state are `running`, on nodes whose status is `ready`, and never on the node it stopped.
 */

import type {
  DrillReport,
  EdgeObserver,
  LoadHook,
  LoadSummary,
  NodeInfo,
  NodeRole,
  NodeStopper,
  PlacementInfo,
  SwarmObserver,
  TaskInfo,
} from "./types";

// ---------------------------------------------------------------------------------------------
// Clock, signals, logging: injectable so tests run scripted timelines instantly.

export interface Clock {
  /** Milliseconds, monotonic enough for durations (Date.now() in production). */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** The part of `process` the drill uses to restart the target on Ctrl-C / SIGTERM. */
export interface SignalHost {
  on(signal: "SIGINT" | "SIGTERM", handler: () => void): unknown;
  off(signal: "SIGINT" | "SIGTERM", handler: () => void): unknown;
}

// ---------------------------------------------------------------------------------------------
// Target resolution

/** `worker`, `manager` (the Raft leader) or a node hostname / id. */
export type TargetSpec = string;

export interface ResolveOptions {
  /** Replicas the service wants (Mode.Replicated.Replicas). */
  readonly desired: number;
  /**
   * Whether managers may run tasks of the service. When omitted it is taken from `placement`'s
   * constraints, else inferred: true if a task currently runs on a manager, otherwise false (the
   * conservative answer for the free-slot check).
   */
  readonly managersRunTasks?: boolean;
  /** The service's placement (constraints, max replicas per node). Default: no constraints, 1 per node. */
  readonly placement?: PlacementInfo;
}

export type Scenario = DrillReport["scenario"];

export type TargetChoice =
  | {
      readonly ok: true;
      readonly node: NodeInfo;
      readonly role: NodeRole;
      readonly scenario: Scenario;
      /** Eligible Ready+active nodes left once the target is stopped. */
      readonly eligibleAfterStop: number;
      /** Why this node (e.g. "worker running task slot 2"). */
      readonly why: string;
    }
  | { readonly ok: false; readonly reason: string; /** The node that was chosen, when one was. */ readonly node?: NodeInfo };

const READY = "ready";
const RUNNING = "running";

function isReady(n: NodeInfo): boolean {
  return n.status.toLowerCase() === READY;
}

function isActive(n: NodeInfo): boolean {
  return n.availability.toLowerCase() === "active";
}

function isRunning(t: TaskInfo): boolean {
  return t.state.toLowerCase() === RUNNING && t.desiredState.toLowerCase() === RUNNING;
}

/**
 * Which roles the placement constraints allow. Only `node.role` constraints can be evaluated from
 * NodeInfo; other constraints (labels, hostnames) are reported back so the caller can say so.
 */
export function rolesAllowed(constraints: readonly string[]): {
  manager: boolean;
  worker: boolean;
  unevaluated: string[];
} {
  let manager = true;
  let worker = true;
  const unevaluated: string[] = [];
  for (const raw of constraints) {
    const c = raw.replace(/\s+/g, "");
    const m = /^node\.role(==|!=)(manager|worker)$/.exec(c);
    if (!m) {
      unevaluated.push(raw);
      continue;
    }
    const [, op, role] = m;
    const allowsManager = op === "==" ? role === "manager" : role !== "manager";
    const allowsWorker = op === "==" ? role === "worker" : role !== "worker";
    manager = manager && allowsManager;
    worker = worker && allowsWorker;
  }
  return { manager, worker, unevaluated };
}

/** Tasks that really run: state and desired state running, on a Ready node, not on `exclude`. */
export function countRunningOnReady(
  nodes: readonly NodeInfo[],
  tasks: readonly TaskInfo[],
  excludeNodeId?: string,
): number {
  const ready = new Set(nodes.filter(isReady).map((n) => n.id));
  return tasks.filter((t) => isRunning(t) && ready.has(t.nodeId) && t.nodeId !== excludeNodeId).length;
}

/** Tasks listed as running whatever their node's status: the `4/3` figure of `docker service ls`. */
export function countListedRunning(tasks: readonly TaskInfo[]): number {
  return tasks.filter(isRunning).length;
}

function managersRunTasksFrom(nodes: readonly NodeInfo[], tasks: readonly TaskInfo[], opts: ResolveOptions): boolean {
  if (opts.managersRunTasks !== undefined) return opts.managersRunTasks;
  if (opts.placement) return rolesAllowed(opts.placement.constraints).manager;
  const managerIds = new Set(nodes.filter((n) => n.role === "manager").map((n) => n.id));
  return tasks.some((t) => isRunning(t) && managerIds.has(t.nodeId));
}

/**
 * Chooses the node a drill stops, or refuses with the reason. Pure: the same inputs always give
 * the same choice (ties broken by hostname).
 */
export function resolveTarget(
  nodes: readonly NodeInfo[],
  tasks: readonly TaskInfo[],
  spec: TargetSpec,
  opts: ResolveOptions,
): TargetChoice {
  const byHost = [...nodes].sort((a, b) => a.hostname.localeCompare(b.hostname));
  const managers = byHost.filter((n) => n.role === "manager");
  const runningOn = new Map<string, TaskInfo>();
  for (const t of tasks) if (isRunning(t)) runningOn.set(t.nodeId, t);

  let node: NodeInfo | undefined;
  let why: string;
  if (spec === "worker") {
    const readyWorkers = byHost.filter((n) => n.role === "worker" && isReady(n));
    if (readyWorkers.length === 0) {
      return { ok: false, reason: `no Ready worker to stop (nodes: ${describeNodes(nodes)})` };
    }
    node = readyWorkers.find((n) => runningOn.has(n.id)) ?? readyWorkers[0];
    const task = runningOn.get(node.id);
    why = task ? `Ready worker running task${task.slot !== undefined ? ` slot ${task.slot}` : ` ${task.id}`}` : "Ready worker (none runs a task of the service)";
  } else if (spec === "manager") {
    node = managers.find((n) => n.leader) ?? undefined;
    if (!node) return { ok: false, reason: `no manager is reported as leader (nodes: ${describeNodes(nodes)})` };
    why = "Raft leader";
  } else {
    node = byHost.find((n) => n.hostname === spec || n.id === spec);
    if (!node) {
      return {
        ok: false,
        reason: `no swarm node named "${spec}"; use worker, manager or one of: ${byHost.map((n) => n.hostname).join(", ")}`,
      };
    }
    why = "named on the command line";
  }

  if (!isReady(node)) {
    return { ok: false, node, reason: `target ${node.hostname} is ${node.status} already; a drill needs a Ready target` };
  }

  if (node.role === "manager") {
    if (managers.length < 3) {
      return {
        ok: false,
        node,
        reason:
          `cannot stop the only manager: ${node.hostname} is ` +
          (managers.length === 1 ? "the only manager" : `one of ${managers.length} managers (no quorum without it)`) +
          "; with one manager the swarm cannot reschedule anything. Run 3 managers (managerCount=3 / lab --managers 3) or target a worker",
      };
    }
    const readyManagers = managers.filter(isReady).length;
    const quorum = Math.floor(managers.length / 2) + 1;
    if (readyManagers - 1 < quorum) {
      return {
        ok: false,
        node,
        reason: `stopping ${node.hostname} would lose the Raft quorum: ${readyManagers - 1} of ${managers.length} managers would be Ready, ${quorum} needed`,
      };
    }
  }

  const desired = opts.desired;
  const allowed = rolesAllowed(opts.placement?.constraints ?? []);
  const managersOk = managersRunTasksFrom(nodes, tasks, opts) && allowed.manager;
  const eligible = byHost.filter(
    (n) =>
      n.id !== node!.id &&
      isReady(n) &&
      isActive(n) &&
      (n.role === "manager" ? managersOk : allowed.worker),
  );
  const perNode = opts.placement?.maxReplicasPerNode ?? 1;
  const capacity = perNode > 0 ? eligible.length * perNode : eligible.length > 0 ? Infinity : 0;
  if (capacity < desired) {
    return {
      ok: false,
      node,
      reason:
        `no free slot to restore into: stopping ${node.hostname} leaves ${eligible.length} eligible Ready+active node(s) ` +
        `(${eligible.map((n) => n.hostname).join(", ") || "none"}${perNode > 0 ? `, at most ${perNode} task(s) each` : ""}) ` +
        `for ${desired} replicas; add a worker${managersOk ? "" : " or let managers run tasks (managersRunTasks=true)"}`,
    };
  }

  return {
    ok: true,
    node,
    role: node.role,
    scenario: node.role === "manager" ? "stop-manager" : "stop-worker",
    eligibleAfterStop: eligible.length,
    why,
  };
}

function describeNodes(nodes: readonly NodeInfo[]): string {
  if (nodes.length === 0) return "none";
  return nodes.map((n) => `${n.hostname} ${n.role} ${n.status}/${n.availability}${n.leader ? " leader" : ""}`).join(", ");
}

// ---------------------------------------------------------------------------------------------
// The drill

export interface DrillSample {
  /** Seconds relative to the stop request (negative before it). */
  readonly t: number;
  /** Node hostname → Status.State as the swarm reports it. */
  readonly nodes: Readonly<Record<string, string>>;
  /** Tasks running on Ready nodes other than the stopped target: the figure that decides "restored". */
  readonly runningOnReady: number;
  /** Tasks listed as running wherever they are (what `docker service ls` shows: the `4/3`). */
  readonly listedRunning: number;
  readonly leader?: string;
  /** Edge drill: balancers holding the floating address at this sample. */
  readonly holders?: readonly string[];
  /** Edge drill: whether a request through the floating address was answered at this sample. */
  readonly answered?: boolean;
  /** Set when the observer failed for this sample (the other fields then repeat the last good sample). */
  readonly error?: string;
}

export type DrillEventKind =
  | "load-start"
  | "stop"
  | "stop-returned"
  | "stop-failed"
  | "detected"
  | "leader-elected"
  | "restored"
  | "deadline"
  | "load-stop"
  | "start"
  | "start-returned"
  | "start-failed"
  | "rejoined"
  | "rejoin-deadline"
  | "single-holder"
  | "split-brain"
  | "signal";

export interface DrillEvent {
  readonly t: number;
  readonly kind: DrillEventKind;
  readonly detail?: string;
}

export interface DrillOptions {
  /** Swarm service name of the WAS (e.g. "was"). */
  readonly service: string;
  /** `worker`, `manager` or a node hostname. Default "worker". */
  readonly target?: TargetSpec;
  /** Seconds after the stop request within which the replicas must be restored. Default 60. */
  readonly deadlineSeconds?: number;
  /** Seconds after the start request within which the target must be Ready again. Default 180. */
  readonly rejoinDeadlineSeconds?: number;
  /** Poll period. Default 250 ms. */
  readonly pollMs?: number;
  /**
   * Consecutive samples the restored condition must hold before it counts (a flapping node must
   * not produce a restore that is gone a moment later). restoreSeconds is the first sample of
   * the run. Default 3.
   */
  readonly confirmSamples?: number;
  /** Seconds to wait before the stop for the swarm to be steady (desired running on Ready). Default 30. */
  readonly steadySeconds?: number;
  /** Consecutive seconds of observer errors tolerated (a stopped leader's API). Default 30. */
  readonly observerErrorToleranceSeconds?: number;
  /** Seconds to wait for a slow stop call (EC2 stop waiter) to return before starting again. Default 600. */
  readonly stopWaitSeconds?: number;
  /** Start attempts after the drill (each failure is recorded; retried with a 2 s pause). Default 3. */
  readonly startAttempts?: number;
  /**
   * The balancer pair. With target "edge" the drill stops the balancer holding the floating
   * address; "restored" then means the address answers from the other balancer (the takeover),
   * and after the stopped one returns exactly one balancer must hold the address.
   */
  readonly edge?: EdgeObserver;
  /** Edge drill: seconds after the stopped balancer is back within which one node must hold the address. Default 5. */
  readonly singleHolderSeconds?: number;
  /** See ResolveOptions.managersRunTasks. */
  readonly managersRunTasks?: boolean;
  /** Load that runs from `loadLeadSeconds` before the stop until `loadTailSeconds` after the restore. */
  readonly load?: LoadHook;
  /** Default 2. */
  readonly loadLeadSeconds?: number;
  /** Default 3. */
  readonly loadTailSeconds?: number;
  readonly clock?: Clock;
  readonly log?: (line: string) => void;
  /** Where SIGINT/SIGTERM handlers are registered. Default `process`; `null` disables. */
  readonly signals?: SignalHost | null;
  /** Called after the target was started on a signal. Default process.exit. */
  readonly exit?: (code: number) => void;
}

export interface DrillResult extends DrillReport {
  readonly service: string;
  /** Why the drill failed or was refused; absent when passed. */
  readonly reason?: string;
  /** True when the drill refused to stop anything (safety check). */
  readonly refused: boolean;
  readonly deadlineSeconds: number;
  /** Why this target: e.g. "Ready worker running task slot 2". */
  readonly targetWhy?: string;
  /** Whether the target was started again without error. */
  readonly restarted: boolean;
  /** Seconds from the start request until the target was Ready again; null if it did not rejoin. */
  readonly rejoinSeconds: number | null;
  /** The `docker service ls` figure at the end of the measurement (shows the `4/3` trap). */
  readonly listedRunning: number;
  readonly leader?: { readonly before?: string; readonly after?: string; readonly electedSeconds: number | null };
  /** Nodes other than the target seen not-Ready during the drill (falsely marked Down, flapping). */
  readonly otherNodesNotReady: readonly string[];
  readonly observerErrors: readonly { readonly t: number; readonly message: string }[];
  readonly events: readonly DrillEvent[];
  readonly timeline: readonly DrillSample[];
  /** Full load summary; perSecond[i] covers t = loadOffsetSeconds + i. */
  readonly loadDetail?: LoadSummary & { readonly offsetSeconds: number };
  readonly startedAt: string;
  /** Edge drill: seconds from the stop until the floating address answered from the other balancer (= restoreSeconds). */
  readonly takeoverSeconds?: number | null;
  /** Edge drill: holders of the address at the end of the window after the stopped balancer returned. */
  readonly holdersAfterReturn?: readonly string[];
  /** Edge drill: seconds from the return until exactly one holder (and it stayed so); null if never within the window. */
  readonly singleHolderWithinSeconds?: number | null;
}

const EMPTY_LOAD: DrillReport["load"] = { connections: 0, durationSeconds: 0, requests: 0, failed: 0, p50Ms: 0, p99Ms: 0 };

function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Runs one drill. Never throws for a drill failure: the result says passed=false and why. Throws
 * only for programming errors in the inputs. Whatever happens after the stop was requested, the
 * target is started again (finally + signal handlers).
 */
export async function runDrill(observer: SwarmObserver, stopper: NodeStopper, options: DrillOptions): Promise<DrillResult> {
  const clock = options.clock ?? realClock;
  const log = options.log ?? (() => undefined);
  const pollMs = options.pollMs ?? 250;
  const deadlineSeconds = options.deadlineSeconds ?? 60;
  const rejoinDeadlineSeconds = options.rejoinDeadlineSeconds ?? 180;
  const edge = options.target === "edge" ? options.edge : undefined;
  // One answered request from the other balancer is the takeover; swarm restores must hold 3 samples.
  const confirmSamples = Math.max(1, options.confirmSamples ?? (edge ? 1 : 3));
  const singleHolderSeconds = options.singleHolderSeconds ?? 5;
  const steadySeconds = options.steadySeconds ?? 30;
  const errorTolerance = (options.observerErrorToleranceSeconds ?? 30) * 1000;
  const startAttempts = Math.max(1, options.startAttempts ?? 3);
  const spec = options.target ?? "worker";
  const service = options.service;
  const signals = options.signals === undefined ? (process as SignalHost) : options.signals;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const startedAt = new Date().toISOString();

  let t0 = clock.now(); // moved to the stop request once it happens
  const rel = () => round((clock.now() - t0) / 1000);
  const timeline: DrillSample[] = [];
  const events: DrillEvent[] = [];
  const observerErrors: { t: number; message: string }[] = [];
  const event = (kind: DrillEventKind, detail?: string) => {
    events.push({ t: rel(), kind, ...(detail !== undefined ? { detail } : {}) });
    log(`[${rel().toFixed(2)}s] ${kind}${detail ? `: ${detail}` : ""}`);
  };

  let desired = 0;
  let targetName: string;
  let targetId: string;
  let role: NodeRole | "edge";
  let scenario: Scenario;
  let why: string;
  let targetWasLeader = false;
  let leaderBefore: string | undefined;
  let readyAtStart = new Set<string>();
  let pairNodes: string[] = [];
  if (spec === "edge") {
    // --- preflight of the balancer drill: a pair, one holder, which is the target.
    if (!edge) return refusedResult("--target edge needs the balancer pair's observer (EdgeObserver); this setup has none");
    let holders: string[] = [];
    try {
      pairNodes = await edge.nodes();
      holders = await edge.holders();
    } catch (e) {
      return refusedResult(`cannot read the balancer pair before the drill: ${errMsg(e)}`);
    }
    if (pairNodes.length < 2) {
      const why1 = `a single balancer (${pairNodes.join(", ") || "none"}) has no standby to take over: run the pair (lab --edge 2, config edge.nodes=2)`;
      log(`refused: ${why1}`);
      return refusedResult(why1);
    }
    const until = clock.now() + steadySeconds * 1000;
    while (holders.length !== 1) {
      if (clock.now() >= until) {
        return refusedResult(`the pair is not steady before the drill: ${holders.length === 0 ? "no balancer holds" : `${holders.join(" and ")} all hold`} the floating address`);
      }
      await clock.sleep(pollMs);
      try {
        holders = await edge.holders();
      } catch (e) {
        log(`edge observer error while waiting for one holder: ${errMsg(e)}`);
      }
    }
    targetName = targetId = holders[0];
    role = "edge";
    scenario = "stop-edge";
    why = "holds the floating address (active balancer)";
    log(`target ${targetName} (edge, ${why}); standby: ${pairNodes.filter((n) => n !== targetName).join(", ")}`);
  } else {
    // --- preflight: read the swarm, resolve the target, wait until steady.
    let nodes: NodeInfo[];
    let tasks: TaskInfo[];
    let placement: PlacementInfo | undefined;
    try {
      desired = await observer.desiredReplicas(service);
      [nodes, tasks] = await Promise.all([observer.nodes(), observer.tasks(service)]);
      const po = observer as Partial<{ placement(s: string): Promise<PlacementInfo> }>;
      if (typeof po.placement === "function") placement = await po.placement(service);
    } catch (e) {
      return refusedResult(`cannot read the swarm before the drill: ${errMsg(e)}`);
    }

    const choice = resolveTarget(nodes, tasks, spec, {
      desired,
      managersRunTasks: options.managersRunTasks,
      placement,
    });
    if (!choice.ok) {
      log(`refused: ${choice.reason}`);
      return refusedResult(choice.reason, desired, countRunningOnReady(nodes, tasks), choice);
    }
    const target = choice.node;
    log(`target ${target.hostname} (${choice.role}, ${choice.why}); ${desired} replicas desired, ${choice.eligibleAfterStop} eligible node(s) left after the stop`);

    // Wait for a steady swarm: measuring a restore from an already-degraded state means nothing.
    {
      const until = clock.now() + steadySeconds * 1000;
      for (;;) {
        const running = countRunningOnReady(nodes, tasks);
        // Nodes that are already down (e.g. left behind by a replaced instance) do not block the
        // drill: the free-slot check already ignores them, and they are not flagged as false downs.
        if (running >= desired) break;
        if (clock.now() >= until) {
          return refusedResult(
            `the swarm is not steady before the drill: ${running}/${desired} tasks running on Ready nodes, nodes: ${describeNodes(nodes)}`,
            desired,
            running,
            choice,
          );
        }
        await clock.sleep(pollMs);
        try {
          [nodes, tasks] = await Promise.all([observer.nodes(), observer.tasks(service)]);
        } catch (e) {
          log(`observer error while waiting for a steady swarm: ${errMsg(e)}`);
        }
      }
    }
    leaderBefore = nodes.find((n) => n.leader)?.hostname;
    readyAtStart = new Set(nodes.filter(isReady).map((n) => n.id));
    const downAtStart = nodes.filter((n) => !isReady(n)).map((n) => `${n.hostname} (${n.status})`);
    if (downAtStart.length > 0) log(`note: not Ready before the drill, ignored: ${downAtStart.join(", ")}`);
    targetName = target.hostname;
    targetId = target.id;
    role = choice.role;
    scenario = choice.scenario;
    why = choice.why;
    targetWasLeader = target.leader === true;
  }

  // --- state shared by the drill, the finally and the signal handlers.
  let stopRequested = false;
  let startPromise: Promise<boolean> | undefined;
  const startErrors: string[] = [];
  const ensureStarted = (): Promise<boolean> => {
    if (!startPromise) {
      startPromise = (async () => {
        for (let attempt = 1; attempt <= startAttempts; attempt++) {
          event("start", attempt > 1 ? `attempt ${attempt}` : targetName);
          try {
            await stopper.start(targetName);
            event("start-returned");
            return true;
          } catch (e) {
            startErrors.push(errMsg(e));
            event("start-failed", errMsg(e));
            if (attempt < startAttempts) await clock.sleep(2000);
          }
        }
        return false;
      })();
    }
    return startPromise;
  };
  let signalled: string | undefined;
  const onSignal = (sig: "SIGINT" | "SIGTERM") => () => {
    if (signalled) return;
    signalled = sig;
    event("signal", `${sig}: starting ${targetName} again before exiting`);
    void ensureStarted().finally(() => exit(sig === "SIGINT" ? 130 : 143));
  };
  const handlers = { SIGINT: onSignal("SIGINT"), SIGTERM: onSignal("SIGTERM") };
  if (signals) {
    signals.on("SIGINT", handlers.SIGINT);
    signals.on("SIGTERM", handlers.SIGTERM);
  }

  // --- sampling
  let last: DrillSample | undefined;
  let errorSince: number | undefined;
  const otherNotReady = new Set<string>();
  // Edge drill: probe the floating address only while measuring the takeover.
  let probing = false;
  const sampleEdge = async (e: EdgeObserver): Promise<DrillSample> => {
    const [holders, answered] = await Promise.all([
      e.holders(),
      probing && e.answers ? e.answers() : Promise.resolve(undefined),
    ]);
    const sorted = [...holders].sort();
    return {
      t: rel(),
      nodes: Object.fromEntries(pairNodes.map((n) => [n, sorted.includes(n) ? "holder" : "standby"])),
      runningOnReady: 0,
      listedRunning: 0,
      holders: sorted,
      ...(answered !== undefined ? { answered } : {}),
    };
  };
  const sample = async (): Promise<DrillSample> => {
    try {
      if (edge) {
        const s = await sampleEdge(edge);
        errorSince = undefined;
        last = s;
        timeline.push(s);
        return s;
      }
      const [ns, ts] = await Promise.all([observer.nodes(), observer.tasks(service)]);
      errorSince = undefined;
      const s: DrillSample = {
        t: rel(),
        nodes: Object.fromEntries(ns.map((n) => [n.hostname, n.status.toLowerCase()])),
        runningOnReady: countRunningOnReady(ns, ts, stopRequested ? targetId : undefined),
        listedRunning: countListedRunning(ts),
        ...(ns.find((n) => n.leader) ? { leader: ns.find((n) => n.leader)!.hostname } : {}),
      };
      for (const n of ns) if (n.id !== targetId && !isReady(n) && readyAtStart.has(n.id)) otherNotReady.add(n.hostname);
      last = s;
      timeline.push(s);
      return s;
    } catch (e) {
      const message = errMsg(e);
      errorSince ??= clock.now();
      observerErrors.push({ t: rel(), message });
      const s: DrillSample = {
        t: rel(),
        nodes: last?.nodes ?? {},
        runningOnReady: last?.runningOnReady ?? 0,
        listedRunning: last?.listedRunning ?? 0,
        ...(last?.leader ? { leader: last.leader } : {}),
        ...(last?.holders ? { holders: last.holders } : {}),
        error: message,
      };
      timeline.push(s);
      return s;
    }
  };

  let detectSeconds: number | null = null;
  let restoreSeconds: number | null = null;
  let electedSeconds: number | null = null;
  let leaderAfter: string | undefined;
  let reason: string | undefined;
  let loadSummary: LoadSummary | undefined;
  let loadStartAbs: number | undefined;
  let loadOffset = 0;
  let loadRunning = false;
  let rejoinSeconds: number | null = null;
  let holdersAfterReturn: readonly string[] | undefined;
  let singleHolderWithinSeconds: number | null = null;
  let final: DrillSample | undefined;
  const needsLeader = role === "manager" && targetWasLeader;

  const stopLoad = async () => {
    if (!options.load || !loadRunning) return;
    loadRunning = false;
    try {
      loadSummary = await options.load.stop();
      event("load-stop", `${loadSummary.requests} requests, ${loadSummary.failed} failed`);
    } catch (e) {
      event("load-stop", `load generator failed: ${errMsg(e)}`);
    }
  };

  try {
    // Load first, sampled while it warms up so the timeline shows the steady state too.
    if (options.load) {
      const leadMs = (options.loadLeadSeconds ?? 2) * 1000;
      t0 = clock.now() + leadMs; // provisional: t is negative until the stop
      await options.load.start();
      loadRunning = true;
      loadStartAbs = clock.now();
      event("load-start");
      while (clock.now() < t0) {
        await sample();
        await clock.sleep(Math.min(pollMs, Math.max(0, t0 - clock.now())));
      }
    }

    // Re-anchor on the real stop moment: what was recorded during the lead shifts by the overshoot.
    const shift = round((clock.now() - t0) / 1000);
    t0 = clock.now();
    if (shift !== 0) {
      for (let i = 0; i < timeline.length; i++) timeline[i] = { ...timeline[i], t: round(timeline[i].t - shift) };
      for (let i = 0; i < events.length; i++) events[i] = { ...events[i], t: round(events[i].t - shift) };
      for (let i = 0; i < observerErrors.length; i++) observerErrors[i] = { ...observerErrors[i], t: round(observerErrors[i].t - shift) };
    }
    if (loadStartAbs !== undefined) loadOffset = round((loadStartAbs - t0) / 1000);
    stopRequested = true;
    probing = true;
    event("stop", `${targetName} (${role})`);
    let stopError: string | undefined;
    let stopDone = false;
    // The stop runs alongside the polling: an EC2 stop waiter takes far longer than detection.
    const stopPromise = stopper.stop(targetName).then(
      () => {
        stopDone = true;
        event("stop-returned");
      },
      (e) => {
        stopDone = true;
        stopError = errMsg(e);
        event("stop-failed", stopError);
      },
    );

    const deadline = t0 + deadlineSeconds * 1000;
    let streak = 0;
    let streakStart: number | null = null;
    for (;;) {
      const s = await sample();
      if (stopError !== undefined) {
        reason = `stopping ${targetName} failed: ${stopError}`;
        break;
      }
      if (!s.error && edge) {
        const holders = s.holders ?? [];
        const others = holders.filter((h) => h !== targetName);
        if (detectSeconds === null && others.length > 0) {
          detectSeconds = s.t;
          event("detected", `${others.join(", ")} became MASTER (holds the floating address)`);
        }
        // Taken over: the other balancer alone holds the address, and it answers (when probed).
        if (holders.length === 1 && others.length === 1 && s.answered !== false) {
          if (streak === 0) streakStart = s.t;
          streak++;
          if (streak >= confirmSamples && restoreSeconds === null) {
            restoreSeconds = streakStart;
            event("restored", `${others[0]} holds the floating address${s.answered ? " and answers" : ""} since ${streakStart} s (takeover)`);
          }
        } else {
          streak = 0;
          streakStart = null;
        }
      } else if (!s.error) {
        const st = s.nodes[targetName];
        if (detectSeconds === null && st !== undefined && st !== READY) {
          detectSeconds = s.t;
          event("detected", `${targetName} is ${st}`);
        }
        if (needsLeader && electedSeconds === null && s.leader && s.leader !== targetName) {
          electedSeconds = s.t;
          leaderAfter = s.leader;
          event("leader-elected", s.leader);
        }
        if (s.runningOnReady >= desired) {
          if (streak === 0) streakStart = s.t;
          streak++;
          if (streak >= confirmSamples && restoreSeconds === null) {
            restoreSeconds = streakStart;
            event("restored", `${s.runningOnReady}/${desired} running on Ready nodes since ${streakStart} s (listed: ${s.listedRunning})`);
          }
        } else {
          streak = 0;
          streakStart = null;
        }
      } else if (errorSince !== undefined && clock.now() - errorSince > errorTolerance) {
        reason = `the swarm could not be observed for ${round((clock.now() - errorSince) / 1000)} s: ${s.error}`;
        break;
      }
      final = s.error ? final : s;
      const done = restoreSeconds !== null && detectSeconds !== null && (!needsLeader || electedSeconds !== null);
      if (done) break;
      if (clock.now() >= deadline) {
        const r = final?.runningOnReady ?? 0;
        const missing: string[] = [];
        if (edge) {
          const h = final?.holders ?? [];
          if (restoreSeconds === null) {
            missing.push(`the floating address did not answer from the standby (holders: ${h.join(", ") || "none"}${final?.answered === false ? ", the address did not answer" : ""})`);
          }
          if (detectSeconds === null) missing.push(`no other balancer became MASTER`);
        } else if (restoreSeconds === null) missing.push(`only ${r}/${desired} tasks running on Ready nodes (listed as running: ${final?.listedRunning ?? 0})`);
        if (!edge && detectSeconds === null) missing.push(`${targetName} was never marked down`);
        if (needsLeader && electedSeconds === null) missing.push("no new leader was elected");
        event("deadline", missing.join("; "));
        // Detection alone missing is not a restore failure: the replicas are what the drill promises.
        if (restoreSeconds === null || (needsLeader && electedSeconds === null)) {
          reason = `not restored within the ${deadlineSeconds} s deadline: ${missing.join("; ")}`;
        }
        break;
      }
      await clock.sleep(pollMs);
    }
    if (!stopDone) {
      // Let an EC2 stop waiter finish before starting again (StartInstances on a stopping instance
      // fails), still sampling so the timeline covers it; bounded so a hung stop cannot block the start.
      const stopUntil = clock.now() + (options.stopWaitSeconds ?? 600) * 1000;
      while (!stopDone && clock.now() < stopUntil) {
        await clock.sleep(pollMs);
        await sample();
      }
      if (!stopDone) event("stop-failed", `stop did not return within ${options.stopWaitSeconds ?? 600} s; starting anyway`);
      if (stopError !== undefined && reason === undefined) reason = `stopping ${targetName} failed: ${stopError}`;
    }
    void stopPromise;

    if (options.load && loadRunning) {
      const tailUntil = clock.now() + (options.loadTailSeconds ?? 3) * 1000;
      while (reason === undefined && clock.now() < tailUntil) {
        await clock.sleep(Math.min(pollMs, tailUntil - clock.now()));
        await sample();
      }
    }
  } catch (e) {
    reason = `drill aborted: ${errMsg(e)}`;
    log(reason);
  } finally {
    await stopLoad();
    probing = false;
    if (stopRequested) {
      const started = await ensureStarted();
      if (started && edge) {
        const startT = rel();
        const until = clock.now() + rejoinDeadlineSeconds * 1000;
        for (;;) {
          let ready = false;
          try {
            ready = await edge.ready(targetName);
          } catch (e) {
            observerErrors.push({ t: rel(), message: errMsg(e) });
          }
          if (ready) {
            rejoinSeconds = round(rel() - startT);
            event("rejoined", `${targetName} takes part in VRRP again after ${rejoinSeconds} s`);
            break;
          }
          if (clock.now() >= until) {
            event("rejoin-deadline", `${targetName} is not back in the pair`);
            break;
          }
          await clock.sleep(pollMs);
        }
        if (rejoinSeconds !== null) {
          // No split brain: within the window exactly one balancer must hold the address, and keep it.
          const windowStart = clock.now();
          const windowT = rel();
          let singleSince: number | null = null;
          let holders: readonly string[] | undefined;
          for (;;) {
            const s = await sample();
            if (!s.error) {
              holders = s.holders ?? [];
              if (holders.length === 1) singleSince ??= s.t;
              else singleSince = null;
            }
            if (clock.now() - windowStart >= singleHolderSeconds * 1000) break;
            await clock.sleep(pollMs);
          }
          holdersAfterReturn = holders ?? [];
          singleHolderWithinSeconds = singleSince !== null ? round(Math.max(0, singleSince - windowT)) : null;
          if (holdersAfterReturn.length === 1 && singleHolderWithinSeconds !== null) {
            event("single-holder", `${holdersAfterReturn[0]} alone holds the floating address ${singleHolderWithinSeconds} s after ${targetName} returned`);
          } else {
            event("split-brain", `${singleHolderSeconds} s after ${targetName} returned: ${holdersAfterReturn.length === 0 ? "no balancer holds" : `${holdersAfterReturn.join(" and ")} hold`} the floating address`);
          }
        }
      } else if (started) {
        const startT = rel();
        const until = clock.now() + rejoinDeadlineSeconds * 1000;
        for (;;) {
          const s = await sample();
          if (!s.error && s.nodes[targetName] === READY) {
            rejoinSeconds = round(s.t - startT);
            event("rejoined", `${targetName} Ready after ${rejoinSeconds} s`);
            break;
          }
          if (clock.now() >= until) {
            event("rejoin-deadline", `${targetName} is ${s.nodes[targetName] ?? "absent"}`);
            break;
          }
          await clock.sleep(pollMs);
        }
      }
    }
    if (signals) {
      signals.off("SIGINT", handlers.SIGINT);
      signals.off("SIGTERM", handlers.SIGTERM);
    }
  }

  const restarted = startErrors.length < startAttempts && startPromise !== undefined;
  const problems: string[] = [];
  if (reason) problems.push(reason);
  if (!restarted) problems.push(`starting ${targetName} again failed: ${startErrors.join("; ")}`);
  else if (rejoinSeconds === null) problems.push(`${targetName} did not rejoin${edge ? " the pair" : " as Ready"} within ${rejoinDeadlineSeconds} s`);
  else if (edge && (holdersAfterReturn?.length !== 1 || singleHolderWithinSeconds === null)) {
    problems.push(
      `split brain: ${singleHolderSeconds} s after ${targetName} returned, ${holdersAfterReturn?.length ? holdersAfterReturn.join(" and ") : "no balancer"} held the floating address (exactly one must)`,
    );
  }
  if (signalled) problems.push(`interrupted by ${signalled}`);
  const passed = problems.length === 0 && restoreSeconds !== null;

  return {
    scenario: scenario,
    target: { node: targetName, role: role },
    detectSeconds,
    restoreSeconds,
    replicas: edge ? await edgeReplicas() : { desired, runningOnReady: final?.runningOnReady ?? 0 },
    load: loadSummary ? pickLoad(loadSummary) : EMPTY_LOAD,
    passed,
    ...(problems.length ? { reason: problems.join("; ") } : {}),
    service,
    refused: false,
    deadlineSeconds,
    targetWhy: why,
    restarted,
    rejoinSeconds,
    listedRunning: final?.listedRunning ?? 0,
    ...(needsLeader || role === "manager"
      ? { leader: { ...(leaderBefore ? { before: leaderBefore } : {}), ...(leaderAfter ? { after: leaderAfter } : {}), electedSeconds } }
      : {}),
    otherNodesNotReady: [...otherNotReady].sort(),
    observerErrors,
    events,
    timeline,
    ...(loadSummary ? { loadDetail: { ...loadSummary, offsetSeconds: loadOffset } } : {}),
    startedAt,
    ...(edge ? { takeoverSeconds: restoreSeconds, holdersAfterReturn: holdersAfterReturn ?? [], singleHolderWithinSeconds } : {}),
  };

  /** The WAS behind the pair, read once after the edge drill (zeros when the swarm cannot be read). */
  async function edgeReplicas(): Promise<DrillReport["replicas"]> {
    try {
      const [d, ns, ts] = await Promise.all([observer.desiredReplicas(service), observer.nodes(), observer.tasks(service)]);
      return { desired: d, runningOnReady: countRunningOnReady(ns, ts) };
    } catch (e) {
      log(`swarm not readable after the edge drill: ${errMsg(e)}`);
      return { desired: 0, runningOnReady: 0 };
    }
  }

  function refusedResult(why: string, d = 0, running = 0, c?: TargetChoice): DrillResult {
    const node = c?.node;
    const role: NodeRole | "edge" = spec === "edge" ? "edge" : node ? node.role : spec === "manager" ? "manager" : "worker";
    return {
      scenario: role === "edge" ? "stop-edge" : role === "manager" ? "stop-manager" : "stop-worker",
      target: { node: node ? node.hostname : spec, role },
      detectSeconds: null,
      restoreSeconds: null,
      replicas: { desired: d, runningOnReady: running },
      load: EMPTY_LOAD,
      passed: false,
      reason: why,
      service,
      refused: true,
      deadlineSeconds,
      restarted: false,
      rejoinSeconds: null,
      listedRunning: 0,
      otherNodesNotReady: [],
      observerErrors,
      events,
      timeline,
      startedAt,
    };
  }
}

/** The six DrillReport.load fields of a LoadSummary. */
export function pickLoad(s: LoadSummary): DrillReport["load"] {
  return {
    connections: s.connections,
    durationSeconds: s.durationSeconds,
    requests: s.requests,
    failed: s.failed,
    p50Ms: s.p50Ms,
    p99Ms: s.p99Ms,
  };
}
