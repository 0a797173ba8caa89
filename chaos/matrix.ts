/**
 * The failure matrix's shared contract: the scenario names, the budgets each is judged by, and the
 * shape of one scenario's result in `lab-report/matrix.json`. The matrix runner (lab/matrix.ts)
 * runs every scenario; the drill scenarios come from chaos/core.ts runDrill, the update and NFS
 * scenarios from their own modules; all of them produce a ScenarioResult judged by these budgets.
 */
import type { LoadBucket } from "./types";

export const SCENARIO_NAMES = [
  "worker-stop",
  "worker-kill",
  "worker-partition",
  "leader-kill",
  "az-loss",
  "edge-kill",
  "rolling-update",
  "bad-update",
  "nfs-stop",
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface ScenarioBudget {
  /** Seconds within which the scenario must restore (edge-kill: the takeover); null: no restore budget. */
  readonly restoreSeconds: number | null;
  /** Failed requests allowed; "per-connection": at most one per open connection (the hard-killed holder's). */
  readonly maxFailed: number | "per-connection";
  readonly maxP99Ms: number;
}

/** Issue 10's budgets, at 200 connections. */
export const MATRIX_BUDGETS: Readonly<Record<ScenarioName, ScenarioBudget>> = {
  "worker-stop": { restoreSeconds: 5, maxFailed: 0, maxP99Ms: 1500 },
  "worker-kill": { restoreSeconds: 5, maxFailed: 0, maxP99Ms: 1500 },
  "worker-partition": { restoreSeconds: 8, maxFailed: 0, maxP99Ms: 1500 },
  "leader-kill": { restoreSeconds: null, maxFailed: 0, maxP99Ms: 1500 },
  "az-loss": { restoreSeconds: null, maxFailed: "per-connection", maxP99Ms: 1500 },
  "edge-kill": { restoreSeconds: 1, maxFailed: "per-connection", maxP99Ms: 1500 },
  "rolling-update": { restoreSeconds: null, maxFailed: 0, maxP99Ms: 1500 },
  "bad-update": { restoreSeconds: null, maxFailed: 0, maxP99Ms: 1500 },
  "nfs-stop": { restoreSeconds: null, maxFailed: 0, maxP99Ms: 1500 },
};

export interface ScenarioLoad {
  readonly requests: number;
  readonly failed: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** GETs resent after a keep-alive connection died before any response byte (LoadSummary.resentOnStaleConnection). */
  readonly resent: number;
}

/** One event on a scenario's timeline (seconds from the fault or the update request). */
export interface ScenarioMark {
  readonly t: number;
  readonly label: string;
}

/** One scenario's row of matrix.json (issue 10: name, passed, restoreSeconds, detectSeconds, load, failures). */
export interface ScenarioResult {
  readonly name: ScenarioName;
  readonly passed: boolean;
  /** null when not applicable (rolling-update: see detail.updateSeconds); edge-kill: the takeover time. */
  readonly restoreSeconds: number | null;
  readonly detectSeconds: number | null;
  readonly load: ScenarioLoad;
  /** Every reason the verdict failed; empty when passed. */
  readonly failures: readonly string[];
  /** Load per second (from LoadSummary.perSecond) and its offset from t = 0, for the timeline SVG. */
  readonly perSecond?: readonly LoadBucket[];
  readonly loadOffsetSeconds?: number;
  readonly marks?: readonly ScenarioMark[];
  /** Scenario-specific figures (update seconds, rollback seconds, NFS lines lost, the drill's own report). */
  readonly detail?: Readonly<Record<string, unknown>>;
}

export interface MatrixReport {
  readonly connections: number;
  readonly scenarios: readonly ScenarioResult[];
}

/** Failed requests the budget allows for a run with `connections` open connections. */
export function allowedFailed(b: ScenarioBudget, connections: number): number {
  return b.maxFailed === "per-connection" ? connections : b.maxFailed;
}
