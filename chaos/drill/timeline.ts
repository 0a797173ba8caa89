/**
 * What every phase of the drill shares (chaos/drill/core.ts runs them): the injectable clock and
 * signal host, so tests run scripted timelines instantly, and the timeline the drill records, its
 * samples and events. A leaf module: the phases import it, it imports none of them.
 */

export interface Clock {
  /** Milliseconds, monotonic enough for durations (Date.now() in production). */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** The part of `process` the drill uses to restart the target on Ctrl-C / SIGTERM (base/signals.ts). */
export type { SignalHost } from "../../base/signals";

export interface DrillSample {
  /** Seconds relative to the stop request (negative before it). */
  readonly t: number;
  /** Node hostname → Status.State as the swarm reports it. */
  readonly nodes: Readonly<Record<string, string>>;
  /** Tasks running on Ready nodes other than the stopped target: the figure that decides "restored". */
  readonly runningOnReady: number;
  /** Tasks listed as running wherever they are (what `docker service ls` shows: the `4/3`). */
  readonly listedRunning: number;
  readonly leader?: string;
  /** Edge drill: balancers holding the floating address at this sample. */
  readonly holders?: readonly string[];
  /** Edge drill: whether a request through the floating address was answered at this sample. */
  readonly answered?: boolean;
  /** Edge drill with an answer prober: the balancer that answered the last landed probe (X-Balancer). */
  readonly answeredBy?: string;
  /** Set when the observer failed for this sample (the other fields then repeat the last good sample). */
  readonly error?: string;
  /** Seconds (same origin as t) when this sample's reads returned; a read under load takes seconds. */
  readonly readEnd?: number;
  /**
   * Swarm drill: when the newest of the tasks counted in runningOnReady entered `running`, from the
   * swarm's own Status.Timestamp (same origin as t); absent when the observer does not report it.
   */
  readonly lastRunningSince?: number;
}

export type DrillEventKind =
  | "load-start"
  | "stop"
  | "stop-returned"
  | "stop-failed"
  | "fault-effective"
  | "detected"
  | "leader-elected"
  | "restored"
  | "deadline"
  | "load-stop"
  | "start"
  | "start-returned"
  | "start-failed"
  | "rejoined"
  | "rejoin-deadline"
  | "single-holder"
  | "tasks-settled"
  | "orphans-left"
  | "split-brain"
  | "signal";

export interface DrillEvent {
  readonly t: number;
  readonly kind: DrillEventKind;
  readonly detail?: string;
}
