/**
 * Phase 1 of a drill: choose the target and check it is safe and meaningful to hit it. Nothing is
 * touched here; a refusal names the reason and the drill ends before any fault.
 */

import type { Clock } from "./timeline";
import { errMsg } from "./record";
import { planAzLoss, type AzLossPlan } from "./azLoss";
import {
  countRunningOnReady,
  describeNodes,
  isActive,
  isReady,
  isRunning,
  managersRunTasksFrom,
  resolveTarget,
  rolesAllowed,
  type ResolveOptions,
  type Scenario,
  type TargetChoice,
  type TargetSpec,
} from "./target";
import type {
  EdgeObserver,
  NodeInfo,
  NodeRole,
  PlacementInfo,
  SwarmObserver,
  TaskInfo,
} from "../types";

export interface SwarmPlan {
  readonly kind: "swarm";
  readonly desired: number;
  readonly target: NodeInfo;
  readonly role: NodeRole;
  readonly scenario: Scenario;
  readonly why: string;
  readonly leaderBefore?: string;
  /** Node ids Ready before the fault: another of them going down is a false Down. */
  readonly readyAtStart: ReadonlySet<string>;
  /** Whether the target ran a task of the service (else its stop removes no replica). */
  readonly targetRanTask: boolean;
}

export interface EdgePlan {
  readonly kind: "edge";
  readonly target: string;
  readonly pair: readonly string[];
  readonly why: string;
}

export type Refusal = {
  readonly reason: string;
  readonly desired?: number;
  readonly running?: number;
  readonly choice?: TargetChoice;
};
export type Preflight<P> =
  { readonly ok: true; readonly plan: P } | ({ readonly ok: false } & Refusal);

export interface PreflightTiming {
  readonly clock: Clock;
  readonly pollMs: number;
  readonly steadySeconds: number;
  readonly log: (line: string) => void;
}

const refuse = (r: Refusal): { ok: false } & Refusal => ({ ok: false, ...r });

/** Reads the swarm, resolves the target, refuses a stop that restores nothing, waits until steady. */
export async function preflightSwarm(
  observer: SwarmObserver,
  service: string,
  spec: TargetSpec,
  managersRunTasks: boolean | undefined,
  t: PreflightTiming,
): Promise<Preflight<SwarmPlan>> {
  const seen = await readSwarm(observer, service);
  if ("reason" in seen) return refuse(seen);
  const { desired, tasks, placement } = seen;
  let nodes = seen.nodes;
  const choice = resolveTarget(nodes, tasks, spec, { desired, managersRunTasks, placement });
  const running = countRunningOnReady(nodes, tasks);
  if (!choice.ok) return refuse({ reason: choice.reason, desired, running, choice });
  if (choice.role === "worker" && !choice.runsTask) {
    // A worker drill promises that losing a replica's node costs nothing; with no replica on it,
    // the "restore" would be measured as ~0 s while nothing was restored.
    return refuse({
      reason: `target ${choice.node.hostname} runs no task of ${service}: stopping it would restore nothing; target a node that runs one (or --target worker)`,
      desired,
      running,
      choice,
    });
  }
  t.log(
    `target ${choice.node.hostname} (${choice.role}, ${choice.why}); ${desired} replicas desired, ${choice.eligibleAfterStop} eligible node(s) left after the stop`,
  );
  const steady = await waitSteady(observer, service, desired, nodes, tasks, t);
  if (!steady.ok)
    return refuse({ reason: steady.reason, desired, running: steady.running, choice });
  nodes = steady.nodes;
  const downAtStart = nodes.filter((n) => !isReady(n)).map((n) => `${n.hostname} (${n.status})`);
  if (downAtStart.length > 0)
    t.log(`note: not Ready before the drill, ignored: ${downAtStart.join(", ")}`);
  const leaderBefore = nodes.find((n) => n.leader)?.hostname;
  return {
    ok: true,
    plan: {
      kind: "swarm",
      desired,
      target: choice.node,
      role: choice.role,
      scenario: choice.scenario,
      why: choice.why,
      ...(leaderBefore ? { leaderBefore } : {}),
      readyAtStart: new Set(nodes.filter(isReady).map((n) => n.id)),
      targetRanTask: choice.runsTask,
    },
  };
}

/** Waits until the desired tasks run on Ready nodes: a restore measured from a degraded state means nothing. */
async function waitSteady(
  observer: SwarmObserver,
  service: string,
  desired: number,
  nodes: NodeInfo[],
  tasks: TaskInfo[],
  t: PreflightTiming,
): Promise<{ ok: true; nodes: NodeInfo[] } | { ok: false; reason: string; running: number }> {
  const until = t.clock.now() + t.steadySeconds * 1000;
  for (;;) {
    // Nodes already down (e.g. left behind by a replaced instance) do not block the drill.
    const running = countRunningOnReady(nodes, tasks);
    if (running >= desired) return { ok: true, nodes };
    if (t.clock.now() >= until) {
      return {
        ok: false,
        running,
        reason: `the swarm is not steady before the drill: ${running}/${desired} tasks running on Ready nodes, nodes: ${describeNodes(nodes)}`,
      };
    }
    await t.clock.sleep(t.pollMs);
    try {
      [nodes, tasks] = await Promise.all([observer.nodes(), observer.tasks(service)]);
    } catch (e) {
      t.log(`observer error while waiting for a steady swarm: ${errMsg(e)}`);
    }
  }
}

/** The balancer drill: a pair, exactly one holder (steady), which becomes the target. */
export async function preflightEdge(
  edge: EdgeObserver | undefined,
  t: PreflightTiming,
): Promise<Preflight<EdgePlan>> {
  if (!edge)
    return refuse({
      reason:
        "--target edge needs the balancer pair's observer (EdgeObserver); this setup has none",
    });
  let pair: string[];
  let holders: string[];
  try {
    pair = await edge.nodes();
    holders = await edge.holders();
  } catch (e) {
    return refuse({ reason: `cannot read the balancer pair before the drill: ${errMsg(e)}` });
  }
  if (pair.length < 2) {
    return refuse({
      reason: `a single balancer (${pair.join(", ") || "none"}) has no standby to take over: run the pair (lab --edge 2, config edge.nodes=2)`,
    });
  }
  const until = t.clock.now() + t.steadySeconds * 1000;
  while (holders.length !== 1) {
    if (t.clock.now() >= until) {
      return refuse({
        reason: `the pair is not steady before the drill: ${holders.length === 0 ? "no balancer holds" : `${holders.join(" and ")} all hold`} the floating address`,
      });
    }
    await t.clock.sleep(t.pollMs);
    try {
      holders = await edge.holders();
    } catch (e) {
      t.log(`edge observer error while waiting for one holder: ${errMsg(e)}`);
    }
  }
  const why = "holds the floating address (active balancer)";
  t.log(
    `target ${holders[0]} (edge, ${why}); standby: ${pair.filter((n) => n !== holders[0]).join(", ")}`,
  );
  return { ok: true, plan: { kind: "edge", target: holders[0], pair, why } };
}

// ---------------------------------------------------------------------------------------------
// az-loss: every node of one zone at once

/** `--target az:<zone>`: the zone named, or undefined for any other target. */
export function zoneOfTarget(spec: TargetSpec): string | undefined {
  return spec.startsWith("az:") ? spec.slice(3) : undefined;
}

export interface ZonePlan {
  readonly kind: "zone";
  readonly zone: string;
  readonly desired: number;
  /** The swarm nodes of the zone (the balancer of the zone is the stopper's to find). */
  readonly victims: readonly NodeInfo[];
  readonly why: string;
  readonly leaderBefore?: string;
  /** The Raft leader is in the zone: a new one must be elected outside it. */
  readonly needsLeader: boolean;
  readonly readyAtStart: ReadonlySet<string>;
  /** Whether a task of the service ran in the zone (else its loss removes no replica). */
  readonly ranTask: boolean;
}

export type ZoneChoice =
  | {
      readonly ok: true;
      readonly victims: readonly NodeInfo[];
      readonly eligibleAfter: number;
      readonly why: string;
      readonly ranTask: boolean;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * Pure: the swarm nodes losing `zone` takes (by their `swarm-ha.zone` label), or why not. Refuses
 * what planAzLoss refuses (the Raft quorum) and a loss that leaves fewer eligible Ready+active nodes
 * than replicas (the rule of the config's AZ-aware check, config/schema.ts, on the live swarm).
 */
export function resolveZoneLoss(
  nodes: readonly NodeInfo[],
  tasks: readonly TaskInfo[],
  zone: string,
  opts: ResolveOptions,
): ZoneChoice {
  const zoneOf = new Map(
    nodes.filter((n) => n.zone !== undefined).map((n) => [n.id, n.zone!] as const),
  );
  if (zoneOf.size === 0) {
    return {
      ok: false,
      reason: `no swarm node carries the swarm-ha.zone label (nodes: ${describeNodes(nodes)}); label them: npm run lab -- up, or pulumi up (the zone-labels step)`,
    };
  }
  const members = nodes.map((n) => ({ name: n.hostname, role: n.role, instanceId: n.id, node: n }));
  let plan: AzLossPlan<(typeof members)[number]>;
  try {
    plan = planAzLoss(members, zoneOf, zone);
  } catch (e) {
    return { ok: false, reason: errMsg(e) };
  }
  const victims = plan.victims.map((m) => m.node);
  const down = victims.filter((n) => !isReady(n));
  if (down.length > 0)
    return {
      ok: false,
      reason: `${down.map((n) => `${n.hostname} is ${n.status}`).join(", ")} already; an az-loss drill needs every node of ${zone} Ready`,
    };
  const lost = new Set(victims.map((n) => n.id));
  const allowed = rolesAllowed(opts.placement?.constraints ?? []);
  const managersOk = managersRunTasksFrom(nodes, tasks, opts) && allowed.manager;
  const eligible = nodes.filter(
    (n) =>
      !lost.has(n.id) &&
      isReady(n) &&
      isActive(n) &&
      (n.role === "manager" ? managersOk : allowed.worker),
  );
  const perNode = opts.placement?.maxReplicasPerNode ?? 1;
  const capacity = perNode > 0 ? eligible.length * perNode : eligible.length > 0 ? Infinity : 0;
  if (capacity < opts.desired) {
    return {
      ok: false,
      reason:
        `refusing az-loss of ${zone}: it leaves ${eligible.length} eligible Ready+active node(s) (${
          eligible
            .map((n) => n.hostname)
            .sort()
            .join(", ") || "none"
        }` +
        `${perNode > 0 ? `, at most ${perNode} task(s) each` : ""}) for ${opts.desired} replicas; add a worker in another zone or lower the replicas`,
    };
  }
  const running = new Set(tasks.filter(isRunning).map((t) => t.nodeId));
  const names = victims.map((n) => `${n.hostname} (${n.role})`).join(", ");
  return {
    ok: true,
    victims,
    eligibleAfter: eligible.length,
    why: `every node of ${zone}: ${names}; ${plan.managersInZone} of ${plan.managersTotal} managers`,
    ranTask: victims.some((n) => running.has(n.id)),
  };
}

/** Reads the swarm, plans the zone's loss (or refuses it), waits until steady. */
export async function preflightZone(
  observer: SwarmObserver,
  service: string,
  zone: string,
  managersRunTasks: boolean | undefined,
  t: PreflightTiming,
): Promise<Preflight<ZonePlan>> {
  const seen = await readSwarm(observer, service);
  if ("reason" in seen) return refuse(seen);
  const { desired, nodes, tasks, placement } = seen;
  const choice = resolveZoneLoss(nodes, tasks, zone, {
    desired,
    ...(managersRunTasks !== undefined ? { managersRunTasks } : {}),
    ...(placement ? { placement } : {}),
  });
  const running = countRunningOnReady(nodes, tasks);
  if (!choice.ok) return refuse({ reason: choice.reason, desired, running });
  t.log(
    `target az:${zone} (${choice.why}); ${desired} replicas desired, ${choice.eligibleAfter} eligible node(s) left after the loss`,
  );
  const steady = await waitSteady(observer, service, desired, nodes, tasks, t);
  if (!steady.ok) return refuse({ reason: steady.reason, desired, running: steady.running });
  const leader = steady.nodes.find((n) => n.leader);
  return {
    ok: true,
    plan: {
      kind: "zone",
      zone,
      desired,
      victims: choice.victims,
      why: choice.why,
      ...(leader ? { leaderBefore: leader.hostname } : {}),
      needsLeader: leader !== undefined && choice.victims.some((v) => v.id === leader.id),
      readyAtStart: new Set(steady.nodes.filter(isReady).map((n) => n.id)),
      ranTask: choice.ranTask,
    },
  };
}

/** What both preflights read before the drill: desired replicas, nodes, tasks and placement (when the observer has it). */
async function readSwarm(
  observer: SwarmObserver,
  service: string,
): Promise<
  | { desired: number; nodes: NodeInfo[]; tasks: TaskInfo[]; placement?: PlacementInfo }
  | { reason: string }
> {
  try {
    const desired = await observer.desiredReplicas(service);
    const [nodes, tasks] = await Promise.all([observer.nodes(), observer.tasks(service)]);
    const po = observer as Partial<{ placement(s: string): Promise<PlacementInfo> }>;
    const placement = typeof po.placement === "function" ? await po.placement(service) : undefined;
    return { desired, nodes, tasks, ...(placement ? { placement } : {}) };
  } catch (e) {
    return { reason: `cannot read the swarm before the drill: ${errMsg(e)}` };
  }
}
