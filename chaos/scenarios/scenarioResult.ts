/**
 * One matrix scenario's result from what it measured: the load judged by the scenario's budget
 * (chaos/scenarios/matrix.ts MATRIX_BUDGETS) plus the problems the scenario itself found. Pure; shared by the
 * update and NFS scenarios, whose lab sides only measure.
 */
import {
  judgeScenario,
  type ScenarioFigures,
  type ScenarioLoad,
  type ScenarioMark,
  type ScenarioName,
  type ScenarioResult,
} from "./matrix";
import type { LoadBucket, LoadSummary } from "../types";

/** The matrix row's load figures from a load summary. */
export function scenarioLoad(s: LoadSummary): ScenarioLoad {
  return {
    requests: s.requests,
    failed: s.failed,
    p50Ms: s.p50Ms,
    p99Ms: s.p99Ms,
    resent: s.resentOnStaleConnection ?? 0,
  };
}

export interface ScenarioFacts {
  readonly name: ScenarioName;
  readonly connections: number;
  /** What the load measured; absent when the scenario failed before its load ran. */
  readonly load?: LoadSummary;
  /** Seconds from t = 0 (the update request, the fault) to the load's start; negative when it started before. */
  readonly loadOffsetSeconds?: number;
  /** What the scenario found wrong besides the load (never rolled back, lines lost, restore failed). */
  readonly problems: readonly string[];
  readonly marks: readonly ScenarioMark[];
  readonly detectSeconds?: number | null;
  readonly restoreSeconds?: number | null;
  readonly detail?: Readonly<Record<string, unknown>>;
}

const NO_LOAD = { requests: 0, failed: 0, p50Ms: 0, p99Ms: 0, resent: 0 } as const;

/**
 * The judged row: passed only when no problem was found and the figures keep the scenario's budget
 * (judgeScenario, chaos/scenarios/matrix.ts: the same judgement the drill rows get).
 */
export function scenarioResult(f: ScenarioFacts): ScenarioResult {
  const load = f.load ? scenarioLoad(f.load) : NO_LOAD;
  const perSecond: readonly LoadBucket[] | undefined = f.load?.perSecond;
  const figures: ScenarioFigures = {
    name: f.name,
    restoreSeconds: f.restoreSeconds ?? null,
    detectSeconds: f.detectSeconds ?? null,
    load,
    ...(perSecond ? { perSecond } : {}),
    ...(f.loadOffsetSeconds !== undefined ? { loadOffsetSeconds: f.loadOffsetSeconds } : {}),
    marks: [...f.marks].sort((a, b) => a.t - b.t),
    ...(f.detail ? { detail: f.detail } : {}),
  };
  return judgeScenario(figures, f.problems, { connections: f.connections });
}

/** Seconds with one decimal (the timelines' resolution). */
export const round1 = (x: number): number => Math.round(x * 10) / 10;
