/**
 * The chaos drill core, in phases: preflight (choose the target, refuse what is unsafe or
 * meaningless: preflight.ts) → fault (a `Fault`: fault.ts) → observe (the swarm's or the balancer
 * pair's own view: observe.ts) → recover (always heal, then wait for the target to take part
 * again: recover.ts) → verdict (verdict.ts), all in chaos/drill/, sharing timeline.ts. The core knows nothing of
 * EC2 or lab containers: it drives adapters (chaos/types.ts), so the lab drill, `npm run chaos`
 * and the Pulumi ChaosCheck all measure the same thing the same way.
 */

import { DEFAULT_FAULT, type FaultKind } from "../../base/faults";
import { drillName, stopperFault, type Fault } from "./fault";
import { waitNoOrphans, type AfterReturn } from "./orphans";
import {
  AnswerProber,
  EdgeJudge,
  edgeSampler,
  observe,
  sampleUntil,
  SwarmJudge,
  swarmSampler,
  type Judge,
  type Sampler,
} from "./observe";
import {
  preflightEdge,
  preflightSwarm,
  preflightZone,
  zoneOfTarget,
  type PreflightTiming,
  type Refusal,
  type ZonePlan,
} from "./preflight";
import { DrillRecord, errMsg, round } from "./record";
import { Healer, healOnSignals, waitRejoin, watchSingleHolder, type SingleHolder } from "./recover";
import { countRunningOnReady, READY, type Scenario, type TargetSpec } from "./target";
import {
  realClock,
  type Clock,
  type DrillEvent,
  type DrillSample,
  type SignalHost,
} from "./timeline";
import type {
  DrillReport,
  EdgeObserver,
  LoadHook,
  LoadSummary,
  NodeRole,
  NodeStopper,
  SwarmObserver,
} from "../types";
import { DEFAULT_BUDGETS, decideVerdict, type Budgets } from "./verdict";

export {
  countListedRunning,
  countRunningOnReady,
  resolveTarget,
  rolesAllowed,
  type ResolveOptions,
  type Scenario,
  type TargetChoice,
  type TargetSpec,
} from "./target";
export { DEFAULT_BUDGETS, decideVerdict, type Budgets } from "./verdict";
export type { Fault } from "./fault";
export {
  realClock,
  type Clock,
  type DrillEvent,
  type DrillEventKind,
  type DrillSample,
  type SignalHost,
} from "./timeline";

// ---------------------------------------------------------------------------------------------
// The drill

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
  /**
   * Edge drill: seconds after the stopped balancer is back (its keepalived up) within which one
   * balancer must hold the address unchanged for `singleHolderStableSeconds`. Default 10.
   */
  readonly singleHolderSeconds?: number;
  /**
   * Edge drill: the takeover budget in seconds (measured from the fault taking effect when the
   * adapter can tell). Default 1 for `kill` (issue 10's edge-kill budget); none for other kinds.
   */
  readonly takeoverBudgetSeconds?: number;
  /** Edge drill: seconds the same single holder must keep the address (a change restarts it). Default 3. */
  readonly singleHolderStableSeconds?: number;
  /** Requests that may fail under the load. Default 0. */
  readonly maxFailed?: number;
  /** p99 latency budget of the load, ms. Default 1500. */
  readonly maxP99Ms?: number;
  /**
   * The fault kind the NodeStopper implements (the composition root picks the adapter per kind);
   * it names the drill in the report (`fault`, `drill`: "worker-kill"). Default "stop".
   */
  readonly fault?: FaultKind;
  /**
   * The fault to inject on the chosen target(s). Default: the NodeStopper as a fault of kind
   * `fault`. Several targets (an AZ) is another Fault.
   */
  readonly makeFault?: (targets: readonly string[]) => Fault;
  /**
   * Swarm drill: seconds after the target is back within which exactly the desired tasks must run
   * (a returning partitioned node's orphaned task shut down: 3 running, not 4). Default 30.
   */
  readonly orphanWindowSeconds?: number;
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
  /** The fault kind injected (`--fault`). */
  readonly fault: FaultKind;
  /** The drill's matrix name: `worker-kill`, `leader-stop`, `edge-kill`, ... */
  readonly drill: string;
  /** Swarm drill: the tasks once the target was back (no orphan, none missing); absent if it never returned. */
  readonly afterReturn?: AfterReturn;
  /** Every reason the verdict failed (empty when passed); a refusal is its one entry. */
  readonly failures: readonly string[];
  /** The budgets the verdict used. */
  readonly targets: Budgets;
  /** Why restoreSeconds is null although nothing failed (the target ran no task). */
  readonly restoreNote?: string;
  /** The failures joined with "; "; absent when passed. */
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
  readonly leader?: {
    readonly before?: string;
    readonly after?: string;
    readonly electedSeconds: number | null;
  };
  /** Nodes other than the target seen not-Ready during the drill (falsely marked Down, flapping). */
  readonly otherNodesNotReady: readonly string[];
  readonly observerErrors: readonly { readonly t: number; readonly message: string }[];
  readonly events: readonly DrillEvent[];
  readonly timeline: readonly DrillSample[];
  /** Full load summary; perSecond[i] covers t = loadOffsetSeconds + i. */
  readonly loadDetail?: LoadSummary & { readonly offsetSeconds: number };
  readonly startedAt: string;
  /**
   * Edge drill: seconds from `takeoverFrom` until the floating address answered from the other
   * balancer (= restoreSeconds, so the failure matrix reads it there).
   */
  readonly takeoverSeconds?: number | null;
  /**
   * Edge drill: the takeover's origin. "fault-effective": when the fault really took effect (lab
   * kill: the container's State.FinishedAt); "fault-request": t = 0, the stop/kill request (AWS, or
   * an adapter that cannot tell), which includes how long the request took to act.
   */
  readonly takeoverFrom?: "fault-effective" | "fault-request";
  /**
   * Swarm drills: the origin of detectSeconds and restoreSeconds (see takeoverFrom; the events and
   * the timeline keep t = 0 at the request).
   */
  readonly restoreFrom?: "fault-effective" | "fault-request";
  /** Seconds after t = 0 when the fault took effect, when the adapter reports it. */
  readonly faultEffectiveSeconds?: number;
  /** Edge drill: holders of the address at the end of the window after the stopped balancer returned. */
  readonly holdersAfterReturn?: readonly string[];
  /** Edge drill: seconds from the return until exactly one holder (and it stayed so); null if never within the window. */
  readonly singleHolderWithinSeconds?: number | null;
}

const EMPTY_LOAD: DrillReport["load"] = {
  connections: 0,
  durationSeconds: 0,
  requests: 0,
  failed: 0,
  p50Ms: 0,
  p99Ms: 0,
};

/** The options with their defaults applied, and the record every phase writes to. */
interface DrillContext {
  readonly o: DrillOptions;
  readonly rec: DrillRecord;
  readonly service: string;
  readonly pollMs: number;
  readonly deadlineSeconds: number;
  readonly rejoinDeadlineSeconds: number;
  readonly errorToleranceMs: number;
  readonly budgets: Budgets;
  /** Poll period of the observation phase (the edge drill with an answer prober: 100 ms). */
  readonly observePollMs?: number;
  readonly startedAt: string;
  readonly preflight: PreflightTiming;
}

function context(o: DrillOptions): DrillContext {
  const clock = o.clock ?? realClock;
  const log = o.log ?? (() => undefined);
  const pollMs = o.pollMs ?? 250;
  const deadlineSeconds = o.deadlineSeconds ?? 60;
  return {
    o,
    rec: new DrillRecord(clock, log),
    service: o.service,
    pollMs,
    deadlineSeconds,
    rejoinDeadlineSeconds: o.rejoinDeadlineSeconds ?? 180,
    errorToleranceMs: (o.observerErrorToleranceSeconds ?? 30) * 1000,
    budgets: {
      deadlineSeconds,
      maxFailed: o.maxFailed ?? DEFAULT_BUDGETS.maxFailed,
      maxP99Ms: o.maxP99Ms ?? DEFAULT_BUDGETS.maxP99Ms,
      ...(o.target === "edge"
        ? { singleHolderStableSeconds: o.singleHolderStableSeconds ?? 3 }
        : {}),
    },
    startedAt: new Date().toISOString(),
    preflight: { clock, pollMs, steadySeconds: o.steadySeconds ?? 30, log },
  };
}

/**
 * Runs one drill. Never throws for a drill failure: the result says passed=false and why. Throws
 * only for programming errors in the inputs. Whatever happens after the fault was injected, it is
 * healed (finally + signal handlers).
 */
export async function runDrill(
  observer: SwarmObserver,
  stopper: NodeStopper,
  options: DrillOptions,
): Promise<DrillResult> {
  const c = context(options);
  const kind = options.fault ?? DEFAULT_FAULT;
  const makeFault =
    options.makeFault ?? ((targets: readonly string[]) => stopperFault(kind, stopper, targets));
  if ((options.target ?? "worker") === "edge") {
    const pf = await preflightEdge(options.edge, c.preflight);
    if (!pf.ok) return refusedResult(c, pf);
    return edgeDrill(c, observer, options.edge!, makeFault([pf.plan.target]), pf.plan);
  }
  const zone = zoneOfTarget(options.target ?? "worker");
  if (zone !== undefined) {
    const zp = await preflightZone(
      observer,
      c.service,
      zone,
      options.managersRunTasks,
      c.preflight,
    );
    if (!zp.ok) return refusedResult(c, zp);
    // One fault over the zone: the adapter (lab: docker kill of its containers; AWS: AzLossStopper) finds its members.
    return zoneDrill(c, observer, makeFault([zone]), zp.plan);
  }
  const pf = await preflightSwarm(
    observer,
    c.service,
    options.target ?? "worker",
    options.managersRunTasks,
    c.preflight,
  );
  if (!pf.ok) return refusedResult(c, pf);
  const plan = pf.plan;
  const name = plan.target.hostname;
  const needsLeader = plan.role === "manager" && plan.target.leader === true;
  const restoreNote = plan.targetRanTask
    ? undefined
    : `${name} ran no task of ${c.service}: its stop removed no replica, so no restore is measured`;
  const state = { faulted: false, otherNotReady: new Set<string>() };
  const sampler = swarmSampler(
    c.rec,
    observer,
    c.service,
    { ids: new Set([plan.target.id]), readyAtStart: plan.readyAtStart },
    state,
  );
  const judge = new SwarmJudge(
    {
      target: name,
      desired: plan.desired,
      needsLeader,
      confirmSamples: Math.max(1, options.confirmSamples ?? 3),
      ...(restoreNote ? { restoreNotApplicable: restoreNote } : {}),
    },
    c.rec,
  );
  const out = await runPhases(c, makeFault([name]), sampler, judge, `${name} (${plan.role})`, {
    onFault: () => (state.faulted = true),
    rejoin: () =>
      waitRejoin(
        c.rec,
        async () => {
          const s = await sampler.sample();
          return {
            ok: !s.error && s.nodes[name] === READY,
            detail: `${name} is ${s.nodes[name] ?? "absent"}`,
          };
        },
        c.rejoinDeadlineSeconds,
        c.pollMs,
        `${name} Ready`,
      ),
  });
  const afterReturn =
    out.rejoinSeconds === null
      ? undefined
      : await waitNoOrphans(
          c.rec,
          observer,
          c.service,
          name,
          plan.desired,
          options.orphanWindowSeconds ?? 30,
          c.pollMs,
        );
  // "At the end" is the settled view after the return when there is one: the observation's last
  // sample can fall inside a leader election, when a manager briefly lists no task at all.
  const replicas = {
    desired: plan.desired,
    runningOnReady: afterReturn?.runningOnReady ?? out.final?.runningOnReady ?? 0,
  };
  const clock = sinceEffective(out.effectiveSeconds);
  const restoreSeconds = clock.rebase(judge.restoreSeconds);
  const v = decideVerdict(
    {
      problems: phaseProblems(c, out, name, " as Ready"),
      restoreSeconds,
      ...(restoreNote ? { restoreNotApplicable: restoreNote } : {}),
      replicas,
      ...(afterReturn ? { afterReturn } : {}),
      ...(out.load ? { load: pickLoad(out.load) } : {}),
    },
    c.budgets,
  );
  return {
    ...resultBase(c, out, v),
    scenario: plan.scenario,
    drill: drillName(plan.role, plan.target.leader === true, kind),
    target: { node: name, role: plan.role },
    ...(afterReturn ? { afterReturn } : {}),
    detectSeconds: clock.rebase(judge.detectSeconds),
    restoreSeconds,
    restoreFrom: clock.from,
    ...(out.effectiveSeconds !== undefined ? { faultEffectiveSeconds: out.effectiveSeconds } : {}),
    ...(restoreNote ? { restoreNote } : {}),
    replicas,
    targetWhy: plan.why,
    listedRunning: out.final?.listedRunning ?? 0,
    ...(plan.role === "manager"
      ? {
          leader: {
            ...(plan.leaderBefore ? { before: plan.leaderBefore } : {}),
            ...(judge.leaderAfter ? { after: judge.leaderAfter } : {}),
            electedSeconds: judge.electedSeconds,
          },
        }
      : {}),
    otherNodesNotReady: [...state.otherNotReady].sort(),
  };
}

/**
 * `az-loss`: every node of one zone at once. Restored = the desired tasks run on Ready nodes
 * outside the zone; after the heal every node of the zone is Ready again and no orphan is left.
 */
async function zoneDrill(
  c: DrillContext,
  observer: SwarmObserver,
  fault: Fault,
  plan: ZonePlan,
): Promise<DrillResult> {
  const names = plan.victims.map((v) => v.hostname);
  const label = `az:${plan.zone}`;
  const restoreNote = plan.ranTask
    ? undefined
    : `no node of ${plan.zone} ran a task of ${c.service}: its loss removed no replica, so no restore is measured`;
  const state = { faulted: false, otherNotReady: new Set<string>() };
  const sampler = swarmSampler(
    c.rec,
    observer,
    c.service,
    { ids: new Set(plan.victims.map((v) => v.id)), readyAtStart: plan.readyAtStart },
    state,
  );
  const judge = new SwarmJudge(
    {
      target: label,
      targets: names,
      desired: plan.desired,
      needsLeader: plan.needsLeader,
      confirmSamples: Math.max(1, c.o.confirmSamples ?? 3),
      ...(restoreNote ? { restoreNotApplicable: restoreNote } : {}),
    },
    c.rec,
  );
  const out = await runPhases(c, fault, sampler, judge, `${label} (${names.join(", ")})`, {
    onFault: () => (state.faulted = true),
    rejoin: () =>
      waitRejoin(
        c.rec,
        async () => {
          const s = await sampler.sample();
          const notBack = names.filter((n) => s.nodes[n] !== READY);
          return {
            ok: !s.error && notBack.length === 0,
            detail: notBack.map((n) => `${n} is ${s.nodes[n] ?? "absent"}`).join(", "),
          };
        },
        c.rejoinDeadlineSeconds,
        c.pollMs,
        `every node of ${plan.zone} Ready`,
      ),
  });
  const afterReturn =
    out.rejoinSeconds === null
      ? undefined
      : await waitNoOrphans(
          c.rec,
          observer,
          c.service,
          label,
          plan.desired,
          c.o.orphanWindowSeconds ?? 30,
          c.pollMs,
        );
  // As for one node: "at the end" is the settled view after the return. A zone that held the leader
  // ends its observation at the election, while the survivors are still finding the new leader and
  // it lists them not Ready (their tasks serving throughout).
  const replicas = {
    desired: plan.desired,
    runningOnReady: afterReturn?.runningOnReady ?? out.final?.runningOnReady ?? 0,
  };
  const v = decideVerdict(
    {
      problems: phaseProblems(c, out, label, " (every node Ready)"),
      restoreSeconds: judge.restoreSeconds,
      ...(restoreNote ? { restoreNotApplicable: restoreNote } : {}),
      replicas,
      ...(afterReturn ? { afterReturn } : {}),
      ...(out.load ? { load: pickLoad(out.load) } : {}),
    },
    c.budgets,
  );
  return {
    ...resultBase(c, out, v),
    scenario: "az-loss",
    drill: "az-loss",
    target: { node: plan.zone, role: "zone" },
    victims: plan.victims.map((n) => ({ node: n.hostname, role: n.role })),
    ...(afterReturn ? { afterReturn } : {}),
    detectSeconds: judge.detectSeconds,
    restoreSeconds: judge.restoreSeconds,
    ...(restoreNote ? { restoreNote } : {}),
    replicas,
    targetWhy: plan.why,
    listedRunning: out.final?.listedRunning ?? 0,
    ...(plan.needsLeader || plan.victims.some((n) => n.role === "manager")
      ? {
          leader: {
            ...(plan.leaderBefore ? { before: plan.leaderBefore } : {}),
            ...(judge.leaderAfter ? { after: judge.leaderAfter } : {}),
            electedSeconds: judge.electedSeconds,
          },
        }
      : {}),
    otherNodesNotReady: [...state.otherNotReady].sort(),
  };
}

/** How often the edge drill probes the floating address while it waits for the takeover. */
const PROBE_EVERY_MS = 50;
/** While it probes, the least time between two reads of the holders (edgeSampler). */
const HOLDERS_GAP_MS = 1000;

/** The balancer drill: stop the holder, measure the takeover, then one stable holder after its return. */
async function edgeDrill(
  c0: DrillContext,
  observer: SwarmObserver,
  edge: EdgeObserver,
  fault: Fault,
  plan: { target: string; pair: readonly string[]; why: string },
): Promise<DrillResult> {
  const name = plan.target;
  const probing = { on: false };
  // With answeredBy the client's view decides: the first answer from the other balancer. With the
  // real clock the prober fires on its own timer and holders() reads are spaced; scripted clocks
  // keep the sampler's pace (a timer of its own would run in real time beside them).
  const realTime = c0.rec.clock === realClock;
  const prober = edge.answeredBy
    ? new AnswerProber(c0.rec, () => edge.answeredBy!(), name)
    : undefined;
  const c: DrillContext = prober ? { ...c0, observePollMs: Math.min(c0.pollMs, 100) } : c0;
  const sampler = edgeSampler(
    c.rec,
    edge,
    plan.pair,
    probing,
    prober,
    realTime ? HOLDERS_GAP_MS : 0,
  );
  // Without a prober: one answered request while the other balancer holds the address is the takeover.
  const judge = new EdgeJudge(name, Math.max(1, c.o.confirmSamples ?? 1), c.rec, prober);
  const ticking = { stop: () => undefined as void };
  const out = await runPhases(c, fault, sampler, judge, `${name} (edge)`, {
    onFault: () => {
      ticking.stop();
      probing.on = true;
      if (prober && realTime) ticking.stop = prober.tick(PROBE_EVERY_MS);
    },
    onObserved: () => {
      probing.on = false;
      ticking.stop();
    },
    // On AWS ready() means the returning node's keepalived runs (read over SSH), not EC2 `running`.
    rejoin: () =>
      waitRejoin(
        c.rec,
        async () => ({ ok: await edge.ready(name), detail: `${name} is not back in the pair` }),
        c.rejoinDeadlineSeconds,
        c.pollMs,
        `${name} takes part in VRRP again`,
      ),
    afterRejoin: () =>
      watchSingleHolder(
        c.rec,
        sampler,
        name,
        c.o.singleHolderSeconds ?? 10,
        c.budgets.singleHolderStableSeconds ?? 3,
        c.pollMs,
      ),
  }).finally(() => ticking.stop());
  const tk = takeover(
    judge.restoreSeconds,
    out.effectiveSeconds,
    c.o.takeoverBudgetSeconds ?? (fault.kind === "kill" ? 1 : undefined),
  );
  const v = decideVerdict(
    {
      problems: [...phaseProblems(c, out, name, " the pair"), ...(tk.problem ? [tk.problem] : [])],
      restoreSeconds: tk.seconds,
      ...(out.load ? { load: pickLoad(out.load) } : {}),
      ...(out.after ? { edge: { target: name, ...out.after } } : {}),
    },
    c.budgets,
  );
  const replicas = await edgeReplicas(c, observer);
  return {
    ...resultBase(c, out, v),
    scenario: "stop-edge",
    drill: drillName("edge", false, fault.kind),
    target: { node: name, role: "edge" },
    detectSeconds: judge.detectSeconds,
    restoreSeconds: tk.seconds,
    replicas,
    targetWhy: plan.why,
    listedRunning: 0,
    otherNodesNotReady: [],
    takeoverSeconds: tk.seconds,
    takeoverFrom: tk.from,
    ...(out.effectiveSeconds !== undefined ? { faultEffectiveSeconds: out.effectiveSeconds } : {}),
    ...(prober ? { probes: { sent: prober.sent, answered: prober.answered } } : {}),
    holdersAfterReturn: out.after?.holdersAfterReturn ?? [],
    singleHolderWithinSeconds: out.after?.singleHolderWithinSeconds ?? null,
  };
}

/**
 * A worker's detect and restore figures as the budget means them: from when the fault took effect
 * (lab kill: the node container's State.FinishedAt; `docker kill` of a node acted 1.8 s after the
 * call on the loaded lab machine) when the adapter can tell, else from t = 0, the request (AWS).
 * The timeline keeps t = 0 at the request; a figure stamped before the effective time counts as 0.
 */
export function sinceEffective(effectiveSeconds: number | undefined): {
  from: "fault-effective" | "fault-request";
  rebase: (t: number | null) => number | null;
} {
  if (effectiveSeconds === undefined) return { from: "fault-request", rebase: (t) => t };
  return {
    from: "fault-effective",
    rebase: (t) => (t === null ? null : round(Math.max(0, t - effectiveSeconds))),
  };
}

/**
 * The takeover as the budget means it: from the fault taking effect (when the adapter can tell;
 * else from t = 0, the request) to the first answer from the other balancer. An answer stamped
 * before the effective time (the two clocks' resolutions) counts as 0.
 */
export function takeover(
  answeredAt: number | null,
  effectiveAt: number | undefined,
  budgetSeconds: number | undefined,
): { seconds: number | null; from: "fault-effective" | "fault-request"; problem?: string } {
  const from = effectiveAt === undefined ? "fault-request" : "fault-effective";
  if (answeredAt === null) return { seconds: null, from };
  const seconds = round(Math.max(0, answeredAt - (effectiveAt ?? 0)));
  const origin =
    from === "fault-effective"
      ? "the fault took effect"
      : "the fault request (when it took effect is unknown)";
  if (budgetSeconds !== undefined && seconds > budgetSeconds) {
    return {
      seconds,
      from,
      problem: `takeover ${seconds} s after ${origin}, over the ${budgetSeconds} s budget`,
    };
  }
  return { seconds, from };
}

/** What the fault, observe and recover phases produced. */
interface PhaseOutcome {
  readonly reason?: string;
  readonly final?: DrillSample;
  readonly load?: LoadSummary;
  readonly loadOffset: number;
  readonly injected: boolean;
  readonly healed: boolean;
  readonly healErrors: readonly string[];
  readonly signalled?: string;
  readonly rejoinSeconds: number | null;
  readonly after?: SingleHolder;
  /** Seconds after t = 0 when the fault took effect (Fault.effectiveAt), when known. */
  readonly effectiveSeconds?: number;
}

interface PhaseHooks {
  /** Called at the fault moment (count tasks without the target, probe the address). */
  readonly onFault?: () => void;
  /** Called once the observation is over, before the heal. */
  readonly onObserved?: () => void;
  /** Waits for the healed target to take part again; seconds or null. */
  readonly rejoin: () => Promise<number | null>;
  /** Runs once the target is back (the edge's single-holder window). */
  readonly afterRejoin?: () => Promise<SingleHolder>;
}

/** Load lead → fault → observe → load tail, then ALWAYS heal and wait for the target. */
async function runPhases(
  c: DrillContext,
  fault: Fault,
  sampler: Sampler,
  judge: Judge,
  label: string,
  hooks: PhaseHooks,
): Promise<PhaseOutcome> {
  const { rec } = c;
  const healer = new Healer(fault, rec, Math.max(1, c.o.startAttempts ?? 3));
  let signalled: string | undefined;
  const signals = c.o.signals === undefined ? (process as SignalHost) : c.o.signals;
  const unregister = healOnSignals(
    healer,
    rec,
    signals,
    c.o.exit ?? ((code: number) => process.exit(code)),
    (sig) => (signalled = sig),
  );
  const load = new LoadRun(c.o.load, rec);
  let observed: Observed = {};
  let injected = false;
  let healed = false;
  let rejoinSeconds: number | null = null;
  let after: SingleHolder | undefined;
  try {
    await load.lead(sampler, c.o.loadLeadSeconds ?? 2, c.pollMs);
    rec.anchorHere();
    load.anchored();
    hooks.onFault?.();
    injected = true;
    observed = await injectAndObserve(c, fault, sampler, judge, label);
    if (observed.reason === undefined) await load.tail(sampler, c.o.loadTailSeconds ?? 3, c.pollMs);
  } catch (e) {
    observed = { ...observed, reason: `drill aborted: ${errMsg(e)}` };
    rec.log(observed.reason!);
  } finally {
    await load.stop();
    hooks.onObserved?.();
    if (injected) {
      healed = await healer.heal();
      if (healed) rejoinSeconds = await hooks.rejoin();
      if (rejoinSeconds !== null && hooks.afterRejoin) after = await hooks.afterRejoin();
    }
    unregister();
  }
  return {
    ...observed,
    ...(load.summary ? { load: load.summary } : {}),
    loadOffset: load.offset,
    injected,
    healed,
    healErrors: healer.errors,
    ...(signalled ? { signalled } : {}),
    rejoinSeconds,
    ...(after ? { after } : {}),
  };
}

interface Observed {
  readonly reason?: string;
  readonly final?: DrillSample;
  readonly effectiveSeconds?: number;
}

/** When the fault took effect, if its adapter can tell; recorded as the event "fault-effective". */
async function recordEffective(rec: DrillRecord, fault: Fault): Promise<number | undefined> {
  if (!fault.effectiveAt) return undefined;
  try {
    const at = await fault.effectiveAt();
    if (at === undefined) return undefined;
    const t = round((at - rec.t0) / 1000);
    rec.eventAt(t, "fault-effective", `${fault.kind} took effect (the adapter's own timestamp)`);
    return t;
  } catch (e) {
    rec.log(`when the fault took effect is unknown: ${errMsg(e)}`);
    return undefined;
  }
}

/** Injects the fault alongside the observation (an EC2 stop waiter takes far longer than detection). */
async function injectAndObserve(
  c: DrillContext,
  fault: Fault,
  sampler: Sampler,
  judge: Judge,
  label: string,
): Promise<Observed> {
  const { rec } = c;
  const names = fault.targets.join(", ");
  rec.event("stop", fault.kind === "stop" ? label : `${fault.kind} ${label}`);
  let error: string | undefined;
  let done = false;
  let effectiveSeconds: number | undefined;
  void fault.inject().then(
    async () => {
      rec.event("stop-returned");
      effectiveSeconds = await recordEffective(rec, fault);
      done = true;
    },
    (e) => {
      done = true;
      error = errMsg(e);
      rec.event("stop-failed", error);
    },
  );
  const failed = () => (error === undefined ? undefined : `stopping ${names} failed: ${error}`);
  const r = await observe(rec, sampler, judge, {
    deadlineSeconds: c.deadlineSeconds,
    pollMs: c.observePollMs ?? c.pollMs,
    errorToleranceMs: c.errorToleranceMs,
    faultError: failed,
  });
  const withEffective = (x: Observed): Observed =>
    effectiveSeconds === undefined ? x : { ...x, effectiveSeconds };
  if (done) return withEffective(r);
  // Let the injection finish before healing (StartInstances on a stopping instance fails), still
  // sampling; bounded so a hung stop cannot block the heal.
  const waitSeconds = c.o.stopWaitSeconds ?? 600;
  await sampleUntil(rec, sampler, rec.clock.now() + waitSeconds * 1000, c.pollMs, () => done);
  if (!done)
    rec.event("stop-failed", `stop did not return within ${waitSeconds} s; starting anyway`);
  return withEffective(
    r.reason === undefined && failed() !== undefined ? { ...r, reason: failed() } : r,
  );
}

/** The load across the drill: started a lead before the fault, stopped after the tail. */
class LoadRun {
  summary: LoadSummary | undefined;
  offset = 0;
  private startAbs: number | undefined;
  private running = false;
  constructor(
    private readonly hook: LoadHook | undefined,
    private readonly rec: DrillRecord,
  ) {}

  /** Starts the load and samples while it warms up, so the timeline shows the steady state too. */
  async lead(sampler: Sampler, seconds: number, pollMs: number): Promise<void> {
    if (!this.hook) return;
    const clock = this.rec.clock;
    this.rec.t0 = clock.now() + seconds * 1000; // provisional: t is negative until the fault
    await this.hook.start();
    this.running = true;
    this.startAbs = clock.now();
    this.rec.event("load-start");
    while (clock.now() < this.rec.t0) {
      await sampler.sample();
      await clock.sleep(Math.min(pollMs, Math.max(0, this.rec.t0 - clock.now())));
    }
  }

  /** After the record was re-anchored on the fault: where the load's second 0 lies. */
  anchored(): void {
    if (this.startAbs !== undefined) this.offset = round((this.startAbs - this.rec.t0) / 1000);
  }

  async tail(sampler: Sampler, seconds: number, pollMs: number): Promise<void> {
    if (this.running)
      await sampleUntil(
        this.rec,
        sampler,
        this.rec.clock.now() + seconds * 1000,
        pollMs,
        () => false,
      );
  }

  async stop(): Promise<void> {
    if (!this.hook || !this.running) return;
    this.running = false;
    try {
      this.summary = await this.hook.stop();
      this.rec.event(
        "load-stop",
        `${this.summary.requests} requests, ${this.summary.failed} failed`,
      );
    } catch (e) {
      this.rec.event("load-stop", `load generator failed: ${errMsg(e)}`);
    }
  }
}

/** What went wrong in the phases themselves, for the verdict. */
function phaseProblems(
  c: DrillContext,
  out: PhaseOutcome,
  name: string,
  rejoinWhat: string,
): string[] {
  const problems: string[] = [];
  if (out.reason) problems.push(out.reason);
  if (out.injected && !out.healed)
    problems.push(`starting ${name} again failed: ${out.healErrors.join("; ")}`);
  else if (out.injected && out.rejoinSeconds === null)
    problems.push(`${name} did not rejoin${rejoinWhat} within ${c.rejoinDeadlineSeconds} s`);
  if (out.signalled) problems.push(`interrupted by ${out.signalled}`);
  return problems;
}

/** The fields every drilled result shares. */
function resultBase(
  c: DrillContext,
  out: PhaseOutcome,
  v: { passed: boolean; failures: readonly string[] },
) {
  return {
    load: out.load ? pickLoad(out.load) : EMPTY_LOAD,
    passed: v.passed,
    failures: v.failures,
    ...(v.failures.length ? { reason: v.failures.join("; ") } : {}),
    targets: c.budgets,
    service: c.service,
    fault: c.o.fault ?? DEFAULT_FAULT,
    refused: false,
    deadlineSeconds: c.deadlineSeconds,
    restarted: out.healed,
    rejoinSeconds: out.rejoinSeconds,
    observerErrors: c.rec.observerErrors,
    events: c.rec.events,
    timeline: c.rec.timeline,
    ...(out.load ? { loadDetail: { ...out.load, offsetSeconds: out.loadOffset } } : {}),
    startedAt: c.startedAt,
  };
}

/** The WAS behind the pair, read once after the edge drill (zeros when the swarm cannot be read). */
async function edgeReplicas(
  c: DrillContext,
  observer: SwarmObserver,
): Promise<DrillReport["replicas"]> {
  try {
    const [d, ns, ts] = await Promise.all([
      observer.desiredReplicas(c.service),
      observer.nodes(),
      observer.tasks(c.service),
    ]);
    return { desired: d, runningOnReady: countRunningOnReady(ns, ts) };
  } catch (e) {
    c.rec.log(`swarm not readable after the edge drill: ${errMsg(e)}`);
    return { desired: 0, runningOnReady: 0 };
  }
}

/** A drill that touched nothing: the preflight said no. */
function refusedResult(c: DrillContext, r: Refusal): DrillResult {
  const spec = c.o.target ?? "worker";
  const zone = zoneOfTarget(spec);
  const node = r.choice?.node;
  const role: NodeRole | "edge" =
    spec === "edge" ? "edge" : node ? node.role : spec === "manager" ? "manager" : "worker";
  const scenario: Scenario =
    role === "edge" ? "stop-edge" : role === "manager" ? "stop-manager" : "stop-worker";
  c.rec.log(`refused: ${r.reason}`);
  return {
    scenario: zone !== undefined ? "az-loss" : scenario,
    fault: c.o.fault ?? DEFAULT_FAULT,
    drill:
      zone !== undefined
        ? "az-loss"
        : drillName(role, node?.leader === true, c.o.fault ?? DEFAULT_FAULT),
    target:
      zone !== undefined
        ? { node: zone, role: "zone" }
        : { node: node ? node.hostname : spec, role },
    detectSeconds: null,
    restoreSeconds: null,
    replicas: { desired: r.desired ?? 0, runningOnReady: r.running ?? 0 },
    load: EMPTY_LOAD,
    passed: false,
    failures: [r.reason],
    reason: r.reason,
    targets: c.budgets,
    service: c.service,
    refused: true,
    deadlineSeconds: c.deadlineSeconds,
    restarted: false,
    rejoinSeconds: null,
    listedRunning: 0,
    otherNodesNotReady: [],
    observerErrors: c.rec.observerErrors,
    events: c.rec.events,
    timeline: c.rec.timeline,
    startedAt: c.startedAt,
  };
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
