/**
 * The failure matrix's shared contract: the scenario names, the budgets each is judged by, and the
 * shape of one scenario's result in `lab-report/matrix.json`. The matrix runner (lab/matrix.ts)
 * runs every scenario; the drill scenarios come from chaos/drill/core.ts runDrill, the update and NFS
 * scenarios from their own modules; all of them produce a ScenarioResult judged by these budgets.
 */
import type { DrillResult } from "../drill/core";
import { drillMarks } from "../report/report";
import type { LoadBucket } from "../types";

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

// ---------------------------------------------------------------------------------------------
// Judging a scenario against its budget (additions: the shapes above are unchanged)

/** What a scenario measured, before the matrix judges it. */
export type ScenarioFigures = Omit<ScenarioResult, "passed" | "failures">;

export interface JudgeOptions {
  /** Open connections of the load (the "per-connection" allowance). */
  readonly connections: number;
  /**
   * Whether a "per-connection" budget applies to this run: always for edge-kill; for az-loss only
   * when the lost zone held the balancer with the floating address (else 0 failed). Default true.
   */
  readonly perConnection?: boolean;
  /** Why no restore is measured although the budget has one (the target ran no task). */
  readonly restoreNotApplicable?: string;
}

/** Failed requests this run may cost: "per-connection" only where it applies. */
export function allowedFailedFor(name: ScenarioName, o: JudgeOptions): number {
  const b = MATRIX_BUDGETS[name];
  return b.maxFailed === "per-connection" && o.perConnection === false
    ? 0
    : allowedFailed(b, o.connections);
}

/** Every way the figures break the scenario's budget (MATRIX_BUDGETS); empty when within it. Pure. */
export function budgetFailures(f: ScenarioFigures, o: JudgeOptions): string[] {
  const b = MATRIX_BUDGETS[f.name];
  const failures: string[] = [];
  const what = f.name === "edge-kill" ? "takeover" : "restore";
  if (b.restoreSeconds !== null && o.restoreNotApplicable === undefined) {
    if (f.restoreSeconds === null)
      failures.push(`no ${what} measured (budget ≤ ${b.restoreSeconds} s)`);
    else if (f.restoreSeconds > b.restoreSeconds)
      failures.push(`${what} ${f.restoreSeconds} s over the ${b.restoreSeconds} s budget`);
  }
  // A scenario without load proves nothing about the clients: it cannot pass.
  if (f.load.requests === 0)
    failures.push(
      `no load measured (0 requests); the scenario must run under ${o.connections} connections`,
    );
  const allowed = allowedFailedFor(f.name, o);
  if (f.load.failed > allowed) {
    const why =
      b.maxFailed === "per-connection"
        ? allowed > 0
          ? ", one per open connection"
          : ": the lost zone held no balancer with the floating address"
        : "";
    failures.push(
      `${f.load.failed} of ${f.load.requests} requests failed (budget ${allowed}${why})`,
    );
  }
  if (f.load.p99Ms > b.maxP99Ms)
    failures.push(`p99 latency ${f.load.p99Ms} ms over the ${b.maxP99Ms} ms budget`);
  return failures;
}

/** The row: the figures, the scenario's own failures (a drill's verdict) and the budget's, judged together. */
export function judgeScenario(
  f: ScenarioFigures,
  own: readonly string[],
  o: JudgeOptions,
): ScenarioResult {
  const failures = [...own, ...budgetFailures(f, o)];
  const b = MATRIX_BUDGETS[f.name];
  const budget = {
    restoreSeconds: b.restoreSeconds,
    maxFailed: allowedFailedFor(f.name, o),
    maxP99Ms: b.maxP99Ms,
  };
  return { ...f, passed: failures.length === 0, failures, detail: { ...f.detail, budget } };
}

const NO_LOAD: ScenarioLoad = { requests: 0, failed: 0, p50Ms: 0, p99Ms: 0, resent: 0 };

/** A failed row for a scenario that did not run (not wired, lab not steady, it threw): never a pass. */
export function notRunResult(
  name: ScenarioName,
  reason: string,
  detail: Readonly<Record<string, unknown>> = {},
): ScenarioResult {
  return {
    name,
    passed: false,
    restoreSeconds: null,
    detectSeconds: null,
    load: NO_LOAD,
    failures: [`${name} did not run: ${reason}`],
    detail: { notRun: true, ...detail },
  };
}

/** The row of a scenario absent from the runner's table. */
export function notWiredResult(name: ScenarioName): ScenarioResult {
  return notRunResult(
    name,
    "not wired (no scenario function for it in the matrix table, lab/cli.ts)",
    { notWired: true },
  );
}

/**
 * A drill's result as a matrix row: edge-kill's restore is the takeover, `resent` the GETs resent
 * on a stale keep-alive connection; the drill's own failures come along, the budget judges the rest.
 */
export function scenarioFromDrill(
  name: ScenarioName,
  r: DrillResult,
  o: JudgeOptions,
): ScenarioResult {
  const d = r.loadDetail;
  const figures: ScenarioFigures = {
    name,
    restoreSeconds:
      name === "edge-kill" ? (r.takeoverSeconds ?? r.restoreSeconds) : r.restoreSeconds,
    detectSeconds: r.detectSeconds,
    load: {
      requests: r.load.requests,
      failed: r.load.failed,
      p50Ms: r.load.p50Ms,
      p99Ms: r.load.p99Ms,
      resent: d?.resentOnStaleConnection ?? 0,
    },
    ...(d ? { perSecond: d.perSecond, loadOffsetSeconds: d.offsetSeconds } : {}),
    marks: drillMarks(r.events, r.restoreSeconds).map((m) => ({ t: m.t, label: m.label })),
    detail: {
      drill: r.drill,
      fault: r.fault,
      target: r.target,
      ...(r.targetWhy ? { targetWhy: r.targetWhy } : {}),
      ...(r.refused ? { refused: true } : {}),
      rejoinSeconds: r.rejoinSeconds,
      replicas: r.replicas,
      ...(r.restoreNote ? { restoreNote: r.restoreNote } : {}),
      ...(r.afterReturn ? { afterReturn: r.afterReturn } : {}),
      ...(r.leader ? { leader: r.leader } : {}),
      ...(r.victims ? { victims: r.victims } : {}),
      ...(r.holdersAfterReturn
        ? {
            holdersAfterReturn: r.holdersAfterReturn,
            singleHolderWithinSeconds: r.singleHolderWithinSeconds ?? null,
          }
        : {}),
      otherNodesNotReady: r.otherNodesNotReady,
      ...(d
        ? { loadFailures: d.failures, perNode: d.perNode, durationSeconds: d.durationSeconds }
        : {}),
    },
  };
  return judgeScenario(figures, r.failures, {
    ...o,
    ...(r.restoreNote ? { restoreNotApplicable: r.restoreNote } : {}),
  });
}
