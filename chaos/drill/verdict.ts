/**
 * The drill's verdict: one pure function of what the phases measured and the budgets the user
 * set. It alone decides `passed`; every reason it did not pass is one entry of `failures`. The CLI's
 * exit code, the lab's exit code and the ChaosCheck all read this result.
 */

import type { AfterReturn } from "./orphans";
import type { LoadFigures } from "../types";

/** What a drill may cost and still pass (report.json `targets`). */
export interface Budgets {
  /** Seconds after the fault within which the desired replicas must run again (or the standby answer). */
  readonly deadlineSeconds: number;
  /** Requests that may fail under the load (any answer outside 2xx/3xx, a timeout, a reset). Default 0. */
  readonly maxFailed: number;
  /** 99th percentile latency the load may reach, in ms. Default 1500. */
  readonly maxP99Ms: number;
  /** Edge drill: seconds one balancer must hold the address, unchanged, after the stopped one is back. */
  readonly singleHolderStableSeconds?: number;
}

export const DEFAULT_BUDGETS = { maxFailed: 0, maxP99Ms: 1500 } as const;

/** The facts the verdict judges; every field is something a phase measured (none is a flag). */
export interface VerdictFacts {
  /** Problems the phases met (fault injection failed, swarm unobservable, target not back, signal). */
  readonly problems: readonly string[];
  /** Seconds until restored; null when it never was or does not apply. */
  readonly restoreSeconds: number | null;
  /**
   * Why no restore is measured although nothing failed (e.g. the stopped leader ran no task, so its
   * stop removed no replica). Absent: a restore was required.
   */
  readonly restoreNotApplicable?: string;
  /** Replicas wanted and running on Ready nodes at the end of the observation (swarm drills). */
  readonly replicas?: { readonly desired: number; readonly runningOnReady: number };
  /** The load's figures; absent or connections 0 when the drill ran without load. */
  readonly load?: LoadFigures;
  /**
   * Swarm drill: the service's tasks once the target was back (chaos/drill/orphans.ts). Absent when the
   * target never returned (that is a problem already).
   */
  readonly afterReturn?: AfterReturn;
  /** Edge drill: what the pair looked like after the stopped balancer returned. */
  readonly edge?: {
    /** The balancer that was stopped and came back. */
    readonly target: string;
    readonly holdersAfterReturn: readonly string[];
    /** Seconds after the return when the final single holder began its stable run; null if never. */
    readonly singleHolderWithinSeconds: number | null;
  };
}

export interface Verdict {
  readonly passed: boolean;
  readonly failures: readonly string[];
}

/** Decides the drill. Pure: the same facts and budgets always give the same verdict. */
export function decideVerdict(f: VerdictFacts, b: Budgets): Verdict {
  const failures: string[] = [...f.problems];
  if (f.restoreNotApplicable === undefined) {
    if (f.restoreSeconds === null) {
      if (!f.problems.some((p) => p.startsWith("not restored"))) {
        failures.push(`not restored within the ${b.deadlineSeconds} s deadline`);
      }
    } else if (f.restoreSeconds > b.deadlineSeconds) {
      failures.push(
        `restored after ${f.restoreSeconds} s, over the ${b.deadlineSeconds} s deadline`,
      );
    }
  }
  if (f.replicas && f.replicas.runningOnReady < f.replicas.desired) {
    failures.push(
      `only ${f.replicas.runningOnReady}/${f.replicas.desired} replicas running on Ready nodes at the end`,
    );
  }
  const load = f.load;
  if (load && load.connections > 0) {
    if (load.failed > b.maxFailed) {
      failures.push(
        `${load.failed} of ${load.requests} requests failed (budget ${b.maxFailed}; --max-failed)`,
      );
    }
    if (load.p99Ms > b.maxP99Ms) {
      failures.push(`p99 latency ${load.p99Ms} ms over the ${b.maxP99Ms} ms budget (--max-p99-ms)`);
    }
  }
  const a = f.afterReturn;
  if (a && a.settledSeconds === null) {
    failures.push(
      `${a.running} tasks running ${a.windowSeconds} s after ${a.target} returned, ${a.runningOnReady} of them on Ready nodes (desired ${a.desired}, exactly that many must run)` +
        (a.orphans.length ? `: orphaned task(s) not shut down: ${a.orphans.join(", ")}` : ""),
    );
  }
  if (f.edge) {
    const h = f.edge.holdersAfterReturn;
    if (h.length !== 1 || f.edge.singleHolderWithinSeconds === null) {
      const who = h.length === 0 ? "no balancer" : h.join(" and ");
      failures.push(
        `split brain: after ${f.edge.target} returned, ${who} held the floating address; no single balancer kept it ` +
          `for ${b.singleHolderStableSeconds ?? "the required"} s in a row (exactly one must, unchanged)`,
      );
    }
  }
  return { passed: failures.length === 0, failures };
}
