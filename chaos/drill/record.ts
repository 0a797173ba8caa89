/**
 * What every phase of a drill writes to: the clock, the time origin (the fault), the timeline of
 * samples, the events and the observer errors. One object, handed from phase to phase, so the
 * phases share no hidden variables.
 */

import type { Clock, DrillEvent, DrillEventKind, DrillSample } from "./timeline";

export const round = (x: number) => Math.round(x * 1000) / 1000;

export function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class DrillRecord {
  /** Absolute ms of the fault (provisional before it: the planned fault time). */
  t0: number;
  readonly timeline: DrillSample[] = [];
  readonly events: DrillEvent[] = [];
  readonly observerErrors: { t: number; message: string }[] = [];

  constructor(
    readonly clock: Clock,
    readonly log: (line: string) => void,
  ) {
    this.t0 = clock.now();
  }

  /** Seconds since the fault (negative before it). */
  rel(): number {
    return round((this.clock.now() - this.t0) / 1000);
  }

  event(kind: DrillEventKind, detail?: string): void {
    this.events.push({ t: this.rel(), kind, ...(detail !== undefined ? { detail } : {}) });
    this.log(`[${this.rel().toFixed(2)}s] ${kind}${detail ? `: ${detail}` : ""}`);
  }

  /** An event at a time already measured (an answer that landed between samples, the fault taking effect). */
  eventAt(t: number, kind: DrillEventKind, detail?: string): void {
    this.events.push({ t, kind, ...(detail !== undefined ? { detail } : {}) });
    this.log(`[${t.toFixed(2)}s] ${kind}${detail ? `: ${detail}` : ""}`);
  }

  observerError(message: string): void {
    this.observerErrors.push({ t: this.rel(), message });
  }

  /** Moves the origin to now (the real fault moment) and shifts what was recorded before it. */
  anchorHere(): void {
    const shift = round((this.clock.now() - this.t0) / 1000);
    this.t0 = this.clock.now();
    if (shift === 0) return;
    const move = <T extends { t: number }>(xs: T[]) => {
      for (let i = 0; i < xs.length; i++) xs[i] = { ...xs[i], t: round(xs[i].t - shift) };
    };
    move(this.timeline as { t: number }[]);
    move(this.events as { t: number }[]);
    move(this.observerErrors);
  }
}
