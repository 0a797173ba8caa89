/**
 * The contract between the chaos drill core and its adapters. The core never knows whether it
 * drives EC2 instances or lab containers: a NodeStopper stops/starts a target, a SwarmObserver
 * reads the swarm's own view (through the manager's Docker API).
 */

export type NodeRole = "manager" | "worker";

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
}

/** A service task as GET /tasks?filters={"service":[...]} reports it. */
export interface TaskInfo {
  readonly id: string;
  readonly nodeId: string;
  readonly slot?: number;
  /** Status.State: new, pending, assigned, ..., running, shutdown, failed, orphaned. */
  readonly state: string;
  readonly desiredState: string;
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
}

/** The report every drill writes (lab-report/report.json, `npm run chaos -- --json`). A contract: extend, never rename. */
export interface DrillReport {
  readonly scenario: "stop-worker" | "stop-manager" | "stop-edge";
  readonly target: { readonly node: string; readonly role: NodeRole | "edge" };
  readonly detectSeconds: number | null;
  readonly restoreSeconds: number | null;
  readonly replicas: { readonly desired: number; readonly runningOnReady: number };
  readonly load: {
    readonly connections: number;
    readonly durationSeconds: number;
    readonly requests: number;
    readonly failed: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
  };
  readonly baseline?: { readonly detectSeconds: number | null; readonly restoreSeconds: number | null };
  readonly passed: boolean;
  readonly [extra: string]: unknown;
}
