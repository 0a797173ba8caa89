/**
 * Phase 4 of a drill: heal the fault whatever happened (also on Ctrl-C / SIGTERM), then wait for
 * the target to take part again: Ready in the swarm, or back in the balancer pair with exactly one
 * holder of the floating address that stays the same.
 */

import { signalGuard } from "../../base/signals";
import type { Clock, SignalHost } from "./timeline";
import type { Fault } from "./fault";
import type { Sampler } from "./observe";
import { DrillRecord, errMsg, round } from "./record";

/** Heals a fault once (memoized), with retries; the signal handlers and the finally share it. */
export class Healer {
  readonly errors: string[] = [];
  private healing: Promise<boolean> | undefined;
  constructor(
    private readonly fault: Fault,
    private readonly rec: DrillRecord,
    private readonly attempts: number,
  ) {}

  /** Whether heal() was called at all. */
  get requested(): boolean {
    return this.healing !== undefined;
  }

  heal(): Promise<boolean> {
    this.healing ??= this.run();
    return this.healing;
  }

  private async run(): Promise<boolean> {
    const name = this.fault.targets.join(", ");
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      this.rec.event("start", attempt > 1 ? `attempt ${attempt}` : name);
      try {
        await this.fault.heal();
        this.rec.event("start-returned");
        return true;
      } catch (e) {
        this.errors.push(errMsg(e));
        this.rec.event("start-failed", errMsg(e));
        if (attempt < this.attempts) await this.rec.clock.sleep(2000);
      }
    }
    return false;
  }
}

/**
 * Heals on SIGINT/SIGTERM before exiting (base/signals.ts: the one mechanism every entry point
 * shares); returns the function that unregisters the heal.
 */
export function healOnSignals(
  healer: Healer,
  rec: DrillRecord,
  signals: SignalHost | null,
  exit: (code: number) => void,
  onSignal: (sig: string) => void,
): () => void {
  if (!signals) return () => undefined;
  return signalGuard(signals, exit).register({
    announce: (sig) => {
      onSignal(sig);
      rec.event("signal", `${sig}: healing the fault before exiting`);
    },
    heal: () => healer.heal(),
  });
}

/**
 * Polls `back()` until it says the target takes part again; returns the seconds since the call,
 * or null at the deadline. `back` records its own samples; errors count as "not yet".
 */
export async function waitRejoin(
  rec: DrillRecord,
  back: () => Promise<{ ok: boolean; detail?: string }>,
  deadlineSeconds: number,
  pollMs: number,
  what: string,
): Promise<number | null> {
  const startT = rec.rel();
  const until = rec.clock.now() + deadlineSeconds * 1000;
  for (;;) {
    let r: { ok: boolean; detail?: string };
    try {
      r = await back();
    } catch (e) {
      rec.observerError(errMsg(e));
      r = { ok: false, detail: errMsg(e) };
    }
    if (r.ok) {
      const seconds = round(rec.rel() - startT);
      rec.event("rejoined", `${what} after ${seconds} s`);
      return seconds;
    }
    if (rec.clock.now() >= until) {
      rec.event("rejoin-deadline", r.detail ?? what);
      return null;
    }
    await rec.clock.sleep(pollMs);
  }
}

export interface SingleHolder {
  /** Holders at the last sample of the window. */
  readonly holdersAfterReturn: readonly string[];
  /** Seconds after the return when the final holder began its stable run; null if none was stable. */
  readonly singleHolderWithinSeconds: number | null;
}

/**
 * After the stopped balancer is back (its keepalived up), exactly one balancer must hold the
 * address and keep it for `stableSeconds` within `windowSeconds`. A change of holder, none or two
 * holders restart the run: a pair that flaps never passes.
 */
export async function watchSingleHolder(
  rec: DrillRecord,
  sampler: Sampler,
  target: string,
  windowSeconds: number,
  stableSeconds: number,
  pollMs: number,
  clock: Clock = rec.clock,
): Promise<SingleHolder> {
  const windowStart = clock.now();
  const windowT = rec.rel();
  let holder: string | undefined;
  let since: number | null = null;
  let holders: readonly string[] = [];
  for (;;) {
    const s = await sampler.sample();
    if (!s.error) {
      holders = s.holders ?? [];
      const single = holders.length === 1 ? holders[0] : undefined;
      if (single === undefined || single !== holder) since = single === undefined ? null : s.t;
      holder = single;
      if (since !== null && s.t - since >= stableSeconds) {
        const within = round(Math.max(0, since - windowT));
        rec.event(
          "single-holder",
          `${holder} alone holds the floating address, unchanged for ${stableSeconds} s, from ${within} s after ${target} returned`,
        );
        return { holdersAfterReturn: holders, singleHolderWithinSeconds: within };
      }
    }
    if (clock.now() - windowStart >= windowSeconds * 1000) break;
    await clock.sleep(pollMs);
  }
  rec.event(
    "split-brain",
    `${windowSeconds} s after ${target} returned no balancer held the floating address alone for ${stableSeconds} s (last: ${holders.join(", ") || "none"})`,
  );
  return { holdersAfterReturn: holders, singleHolderWithinSeconds: null };
}
