/**
 * The swarm rules of the drill, pure: which node a drill may stop, and what counts as a task that
 * really runs. "Restored" is deliberately strict (see lab-notes, the `4/3` trap): `docker service ls`
 * keeps counting the task listed on the Down node, so only tasks whose state AND desired state are
 * `running`, on nodes whose status is `ready`, and never on the stopped node, count.
 */

import type { DrillReport, NodeInfo, NodeRole, PlacementInfo, TaskInfo } from "../types";

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
      /** Whether a task of the service runs on it (a stop of a node without one restores nothing). */
      readonly runsTask: boolean;
    }
  | {
      readonly ok: false;
      readonly reason: string;
      /** The node that was chosen, when one was. */ readonly node?: NodeInfo;
    };

export const READY = "ready";
const RUNNING = "running";

export function isReady(n: NodeInfo): boolean {
  return n.status.toLowerCase() === READY;
}

export function isActive(n: NodeInfo): boolean {
  return n.availability.toLowerCase() === "active";
}

export function isRunning(t: TaskInfo): boolean {
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
  return runningOnReady(nodes, tasks, excludeNodeId).length;
}

/** The tasks countRunningOnReady counts. */
export function runningOnReady(
  nodes: readonly NodeInfo[],
  tasks: readonly TaskInfo[],
  excludeNodeId?: string,
): TaskInfo[] {
  const ready = new Set(nodes.filter(isReady).map((n) => n.id));
  return tasks.filter((t) => isRunning(t) && ready.has(t.nodeId) && t.nodeId !== excludeNodeId);
}

/** Tasks listed as running whatever their node's status: the `4/3` figure of `docker service ls`. */
export function countListedRunning(tasks: readonly TaskInfo[]): number {
  return tasks.filter(isRunning).length;
}

export function managersRunTasksFrom(
  nodes: readonly NodeInfo[],
  tasks: readonly TaskInfo[],
  opts: ResolveOptions,
): boolean {
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
    why = task
      ? `Ready worker running task${task.slot !== undefined ? ` slot ${task.slot}` : ` ${task.id}`}`
      : "Ready worker (none runs a task of the service)";
  } else if (spec === "manager") {
    node = managers.find((n) => n.leader) ?? undefined;
    if (!node)
      return {
        ok: false,
        reason: `no manager is reported as leader (nodes: ${describeNodes(nodes)})`,
      };
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
    return {
      ok: false,
      node,
      reason: `target ${node.hostname} is ${node.status} already; a drill needs a Ready target`,
    };
  }

  if (node.role === "manager") {
    if (managers.length < 3) {
      return {
        ok: false,
        node,
        reason:
          `cannot stop the only manager: ${node.hostname} is ` +
          (managers.length === 1
            ? "the only manager"
            : `one of ${managers.length} managers (no quorum without it)`) +
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
    runsTask: runningOn.has(node.id),
  };
}

export function describeNodes(nodes: readonly NodeInfo[]): string {
  if (nodes.length === 0) return "none";
  return nodes
    .map((n) => `${n.hostname} ${n.role} ${n.status}/${n.availability}${n.leader ? " leader" : ""}`)
    .join(", ");
}
