/**
 * The report every chaos drill writes, as a contract shared by the drill (chaos/) and the
 * ChaosCheck component that reads it from the drill's stdout (components/chaosCheck.ts): it lives
 * here, below both, so neither reaches sideways into the other.
 */

/** A swarm node's role. */
export type NodeRole = "manager" | "worker";

/** The report every drill writes (lab-report/report.json, `npm run chaos -- --json`). A contract: extend, never rename. */
export interface DrillReport {
  readonly scenario: "stop-worker" | "stop-manager" | "stop-edge" | "az-loss";
  /** For `az-loss`, node is the zone and role "zone"; the nodes hit are in the result's `victims`. */
  readonly target: { readonly node: string; readonly role: NodeRole | "edge" | "zone" };
  readonly detectSeconds: number | null;
  readonly restoreSeconds: number | null;
  readonly replicas: { readonly desired: number; readonly runningOnReady: number };
  readonly load: LoadFigures;
  readonly baseline?: {
    readonly detectSeconds: number | null;
    readonly restoreSeconds: number | null;
  };
  readonly passed: boolean;
  readonly [extra: string]: unknown;
}

/** The load figures every report carries (report.json `load`). */
export interface LoadFigures {
  readonly connections: number;
  readonly durationSeconds: number;
  readonly requests: number;
  readonly failed: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}
