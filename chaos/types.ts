/**
 * The contract between the chaos drill core and its adapters. The core never knows whether it
 * drives EC2 instances or lab containers: a NodeStopper stops/starts a target, a SwarmObserver
 * reads the swarm's own view (through the manager's Docker API).
 */

import type { LoadFigures, NodeRole } from "../base/drillReport";

// The report contract lives below components/ (the ChaosCheck reads it too); the adapters see it here.
export type { DrillReport, LoadFigures, NodeRole } from "../base/drillReport";

/** A swarm node as `docker node ls` / GET /nodes reports it. */
export interface NodeInfo {
  readonly id: string;
  readonly hostname: string;
  readonly role: NodeRole;
  /** Status.State: ready, down, unknown, disconnected. */
  readonly status: string;
  /** Spec.Availability: active, pause, drain. */
  readonly availability: string;
  /** True for the Raft leader. */
  readonly leader?: boolean;
  /** Status.Addr. */
  readonly addr?: string;
  /** The node's availability zone: its `swarm-ha.zone` label (renderNodeLabels); absent when unlabelled. */
  readonly zone?: string;
}

/** A service task as GET /tasks?filters={"service":[...]} reports it. */
export interface TaskInfo {
  readonly id: string;
  readonly nodeId: string;
  readonly slot?: number;
  /** Status.State: new, pending, assigned, ..., running, shutdown, failed, orphaned. */
  readonly state: string;
  readonly desiredState: string;
  /** Status.Timestamp (epoch ms): when the task entered `state`, as the swarm recorded it. */
  readonly stateSince?: number;
}

export interface SwarmObserver {
  nodes(): Promise<NodeInfo[]>;
  tasks(service: string): Promise<TaskInfo[]>;
  /** Mode.Replicated.Replicas of the service. */
  desiredReplicas(service: string): Promise<number>;
}

/** Stops and starts one drill target, named by its swarm node hostname (or edge node name). */
export interface NodeStopper {
  stop(target: string): Promise<void>;
  start(target: string): Promise<void>;
  /**
   * Epoch ms (this host's clock, as Date.now()) when the last stop of `target` really took effect,
   * read after stop() returned; undefined when the adapter cannot tell (then the drill measures from
   * the stop request). Lab kill: the container's State.FinishedAt. Optional.
   */
  effectiveAt?(target: string): Promise<number | undefined>;
}

/**
 * Where the service may place tasks, as far as the drill needs to know it to refuse a stop that
 * leaves no free slot. Optional on an observer: without it the core infers it from the tasks.
 */
export interface PlacementInfo {
  /** TaskTemplate.Placement.Constraints, e.g. ["node.role==worker"]. */
  readonly constraints: readonly string[];
  /** TaskTemplate.Placement.MaxReplicas; 0 means unlimited. */
  readonly maxReplicasPerNode: number;
}

/** An observer that can also report the service's placement (additive to SwarmObserver). */
export interface PlacementObserver extends SwarmObserver {
  placement(service: string): Promise<PlacementInfo>;
}

/** One second of load: requests that finished in [second, second + 1) after the load started. */
export interface LoadBucket {
  readonly second: number;
  readonly ok: number;
  readonly failed: number;
}

/** What a load generator measured (chaos/load/load.ts): the report's figures plus the detail. */
export interface LoadSummary extends LoadFigures {
  readonly perSecond: readonly LoadBucket[];
  /** Answers per node/upstream that served them (NODE_NAME from the body, else X-Upstream). */
  readonly perNode: Readonly<Record<string, number>>;
  /** Answers (and 5xx) per nginx upstream address, from the X-Upstream header, when present. */
  readonly perUpstream?: Readonly<Record<string, number>>;
  /** Failures by cause: "timeout", "status 502", "ECONNREFUSED", ... */
  readonly failures: Readonly<Record<string, number>>;
  /**
   * GETs resent because they died on a reused keep-alive connection before any response byte (the
   * server closed it); such a request counts once, as ok or failed by its final attempt.
   */
  readonly resentOnStaleConnection?: number;
}

/**
 * The balancer pair as the edge drill sees it (additive: the swarm drill never uses it). The lab
 * reads the VIP on each nginx container's eth0; AWS asks EC2 which instance holds the Elastic IP.
 */
export interface EdgeObserver {
  /** The balancers of the pair, by the name the NodeStopper takes (container / edge node name). */
  nodes(): Promise<string[]>;
  /** Balancers that hold the floating address now; exactly one when the pair is healthy. */
  holders(): Promise<string[]>;
  /** Whether a balancer is up and takes part in VRRP again (after a start). */
  ready(node: string): Promise<boolean>;
  /**
   * One request through the floating address; true when it was answered. Optional: without it
   * the takeover is the address moving alone.
   */
  answers?(): Promise<boolean>;
  /**
   * One request through the floating address on a fresh connection: whether it was answered and by
   * which balancer (the X-Balancer response header nginx adds). Optional: with it the edge drill
   * probes every 100 ms, not blocked by holders(), and the takeover is the first answer from
   * the other balancer.
   */
  answeredBy?(): Promise<{ readonly ok: boolean; readonly balancer?: string }>;
}

/** A load that runs across the drill: started before the stop, stopped after the restore. */
export interface LoadHook {
  start(): void | Promise<void>;
  stop(): Promise<LoadSummary>;
}

/**
 * What `lab/adapters.ts` exports for `npm run chaos -- --lab`:
 * `export const createLabDrillAdapters: CreateLabDrillAdapters`. The lab owns how it stops a node
 * container and reads the swarm through it; the CLI only drives them.
 */
export interface LabDrillAdapters {
  readonly observer: SwarmObserver;
  readonly stopper: NodeStopper;
  /** Swarm service name of the WAS. */
  readonly service: string;
  /** The lab's entry point (nginx, later the floating address), reachable from this machine. */
  readonly url: string;
  /** Whether managers run WAS tasks in this lab (else the core reads the placement or infers it). */
  readonly managersRunTasks?: boolean;
  /** Releases connections the adapters hold. */
  close?(): void | Promise<void>;
}

export type CreateLabDrillAdapters = (opts: {
  readonly log: (line: string) => void;
}) => Promise<LabDrillAdapters>;
