/**
 * Phase 3 of a drill: watch the system's own view after the fault until the scenario's judge says
 * it is restored (or a deadline passes). The loop is written once; what "detected" and "restored"
 * mean for a swarm or a balancer pair is a Judge, and how a sample is read is a Sampler.
 */

import type { DrillSample } from "./timeline";
import { DrillRecord, errMsg, round } from "./record";
import { countListedRunning, isReady, READY, runningOnReady } from "./target";
import type { EdgeObserver, SwarmObserver } from "../types";

/** Reads one sample; an observer error yields the last good figures with `error` set. */
export class Sampler {
  private last: DrillSample | undefined;
  /** Absolute ms since when every sample failed; undefined after a good one. */
  errorSince: number | undefined;

  constructor(
    private readonly rec: DrillRecord,
    private readonly read: () => Promise<Omit<DrillSample, "t">>,
  ) {}

  async sample(): Promise<DrillSample> {
    const t = this.rec.rel();
    try {
      const read = await this.read();
      const s: DrillSample = { t, ...read, readEnd: this.rec.rel() };
      this.errorSince = undefined;
      this.last = s;
      this.rec.timeline.push(s);
      return s;
    } catch (e) {
      const message = errMsg(e);
      this.errorSince ??= this.rec.clock.now();
      this.rec.observerError(message);
      const l = this.last;
      const s: DrillSample = {
        t,
        nodes: l?.nodes ?? {},
        runningOnReady: l?.runningOnReady ?? 0,
        listedRunning: l?.listedRunning ?? 0,
        ...(l?.leader ? { leader: l.leader } : {}),
        ...(l?.holders ? { holders: l.holders } : {}),
        error: message,
      };
      this.rec.timeline.push(s);
      return s;
    }
  }
}

/** The swarm's view: node states, tasks running on Ready nodes (never on the faulted target). */
export function swarmSampler(
  rec: DrillRecord,
  observer: SwarmObserver,
  service: string,
  /** The faulted node(s): one for a node drill, every node of the zone for az-loss. */
  target: { readonly ids: ReadonlySet<string>; readonly readyAtStart: ReadonlySet<string> },
  state: { faulted: boolean; readonly otherNotReady: Set<string> },
): Sampler {
  return new Sampler(rec, async () => {
    const [ns, ts] = await Promise.all([observer.nodes(), observer.tasks(service)]);
    for (const n of ns)
      if (!target.ids.has(n.id) && !isReady(n) && target.readyAtStart.has(n.id))
        state.otherNotReady.add(n.hostname);
    const leader = ns.find((n) => n.leader)?.hostname;
    const counted = runningOnReady(
      ns,
      state.faulted ? ts.filter((t) => !target.ids.has(t.nodeId)) : ts,
    );
    const sinces = counted.map((t) => t.stateSince);
    const newest =
      sinces.length > 0 && sinces.every((x) => x !== undefined)
        ? Math.max(...(sinces as number[]))
        : undefined;
    return {
      nodes: Object.fromEntries(ns.map((n) => [n.hostname, n.status.toLowerCase()])),
      runningOnReady: counted.length,
      ...(newest !== undefined ? { lastRunningSince: round((newest - rec.t0) / 1000) } : {}),
      listedRunning: countListedRunning(ts),
      ...(leader ? { leader } : {}),
    };
  });
}

/**
 * The floating address as a client sees it: one request on a fresh connection per fire(), none
 * awaited, each stamped when its answer lands, so a slow holders() read (docker exec under load)
 * cannot thin the probes out. The takeover is the first answer from a balancer other than the target.
 */
export class AnswerProber {
  /** The first answer from another balancer: seconds (record time) and its name. */
  firstOther: { readonly t: number; readonly balancer: string } | undefined;
  last: { readonly ok: boolean; readonly balancer?: string } | undefined;
  sent = 0;
  answered = 0;
  private inFlight = 0;
  constructor(
    private readonly rec: DrillRecord,
    private readonly ask: () => Promise<{ readonly ok: boolean; readonly balancer?: string }>,
    private readonly target: string,
    /** Probes left open at once (a dead holder's MAC swallows SYNs until TCP gives up). */
    private readonly maxInFlight = 40,
  ) {}

  /**
   * Fires every `everyMs` on its own timer until the returned function is called: the sampler's
   * loop waits on reads (a docker exec per balancer under load takes ~0.3 s), so probes fired only
   * from it would sample the takeover that coarsely.
   */
  tick(everyMs: number): () => void {
    const timer = setInterval(() => this.fire(), everyMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  fire(): void {
    if (this.inFlight >= this.maxInFlight) return;
    this.inFlight++;
    this.sent++;
    this.ask().then(
      (r) => {
        this.inFlight--;
        this.last = r;
        if (!r.ok) return;
        this.answered++;
        if (this.firstOther === undefined && r.balancer !== undefined && r.balancer !== this.target)
          this.firstOther = { t: this.rec.rel(), balancer: r.balancer };
      },
      () => {
        this.inFlight--;
        this.last = { ok: false };
      },
    );
  }
}

/** Lets reads that are already settled (and fakes) land before a sample is built; never waits on I/O. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The pair's view: who holds the floating address, and (while probing) whether it answers. With a
 * prober, probing samples never wait on holders(): they show the last completed read while the next
 * one runs, and each fires one probe.
 */
export function edgeSampler(
  rec: DrillRecord,
  edge: EdgeObserver,
  pair: readonly string[],
  probing: { on: boolean },
  prober?: AnswerProber,
  /**
   * While probing, the least time between two holders() reads. The lab reads them with a docker
   * exec into each balancer, and back-to-back execs took CPU from the very pair and load being
   * measured on 2 cores; the takeover is the prober's figure anyway. Default 0.
   */
  holdersGapMs = 0,
): Sampler {
  const bg: { read?: Promise<string[]>; last?: string[]; error?: Error; startedAt?: number } = {};
  const holders = async (): Promise<string[]> => {
    if (!prober || !probing.on) return (bg.last = await edge.holders());
    const due = bg.startedAt === undefined || rec.clock.now() - bg.startedAt >= holdersGapMs;
    if (bg.read === undefined && (due || bg.last === undefined)) {
      bg.startedAt = rec.clock.now();
      bg.read = edge
        .holders()
        .then(
          (h) => ((bg.last = h), (bg.error = undefined), h),
          (e) => ((bg.error = e instanceof Error ? e : new Error(String(e))), []),
        )
        .finally(() => (bg.read = undefined));
    }
    prober.fire();
    if (bg.last === undefined) await bg.read;
    else await settled();
    if (bg.error !== undefined) throw bg.error;
    return bg.last ?? [];
  };
  return new Sampler(rec, async () => {
    const [hs, answered] = await Promise.all([
      holders(),
      !prober && probing.on && edge.answers ? edge.answers() : Promise.resolve(undefined),
    ]);
    const sorted = [...hs].sort();
    const heard = prober && probing.on ? prober.last : undefined;
    return {
      nodes: Object.fromEntries(pair.map((n) => [n, sorted.includes(n) ? "holder" : "standby"])),
      runningOnReady: 0,
      listedRunning: 0,
      holders: sorted,
      ...(answered !== undefined ? { answered } : {}),
      ...(heard
        ? { answered: heard.ok, ...(heard.balancer ? { answeredBy: heard.balancer } : {}) }
        : {}),
    };
  });
}

/** What a scenario makes of the samples. */
export interface Judge {
  readonly detectSeconds: number | null;
  readonly restoreSeconds: number | null;
  /** Takes one good sample. */
  see(s: DrillSample): void;
  /** Everything the scenario waits for was seen. */
  done(): boolean;
  /** At the deadline: what is missing, and whether that fails the drill (detection alone does not). */
  atDeadline(final: DrillSample | undefined): {
    readonly missing: readonly string[];
    readonly failing: boolean;
  };
}

/** A condition that must hold for `confirm` consecutive samples; its time is the first of the run. */
export class Streak {
  private n = 0;
  private start: number | null = null;
  constructor(private readonly confirm: number) {}
  /** Returns the run's start time once confirmed, else null. */
  see(holds: boolean, t: number): number | null {
    if (!holds) {
      this.n = 0;
      this.start = null;
      return null;
    }
    if (this.n === 0) this.start = t;
    this.n++;
    return this.n >= this.confirm ? this.start : null;
  }
}

export interface SwarmJudgeOptions {
  readonly target: string;
  /** az-loss: every node hit (detected once all are marked down); default [target]. */
  readonly targets?: readonly string[];
  readonly desired: number;
  /** The target was the Raft leader: a new one must be elected. */
  readonly needsLeader: boolean;
  /** Null when the fault removed no replica: no restore is measured (never a ~0 s "restore"). */
  readonly restoreNotApplicable?: string;
  readonly confirmSamples: number;
}

/**
 * When the replicas were whole again by the swarm's own record: the newest Status.Timestamp of the
 * tasks counted in the first sample of the confirmed run, if it lies where it must, after the last
 * sample that still counted too few and no later than that sample's reads returned. A sample's
 * reads take seconds on a loaded machine (1.9 s measured at 200 connections), so its start time
 * alone is that coarse. Outside the window (clock skew between the drill host and the nodes, on
 * AWS) it is not used and the sample time stands.
 */
export function swarmRestoreTime(
  first: DrillSample | undefined,
  lastShort: number,
): number | undefined {
  const at = first?.lastRunningSince;
  if (first === undefined || at === undefined) return undefined;
  return at > lastShort && at <= (first.readEnd ?? first.t) ? at : undefined;
}

export class SwarmJudge implements Judge {
  detectSeconds: number | null = null;
  restoreSeconds: number | null = null;
  electedSeconds: number | null = null;
  leaderAfter: string | undefined;
  private readonly streak: Streak;
  /** t of the last sample that counted too few replicas, and the first sample of the current full run. */
  private lastShort: number | undefined;
  private first: DrillSample | undefined;
  constructor(
    private readonly o: SwarmJudgeOptions,
    private readonly rec: DrillRecord,
  ) {
    this.streak = new Streak(o.confirmSamples);
  }

  see(s: DrillSample): void {
    const names = this.o.targets ?? [this.o.target];
    const states = names.map((n) => s.nodes[n]);
    if (this.detectSeconds === null && states.every((st) => st !== undefined && st !== READY)) {
      this.detectSeconds = s.t;
      this.rec.event("detected", names.map((n, i) => `${n} is ${states[i]}`).join(", "));
    }
    if (
      this.o.needsLeader &&
      this.electedSeconds === null &&
      s.leader &&
      !names.includes(s.leader)
    ) {
      this.electedSeconds = s.t;
      this.leaderAfter = s.leader;
      this.rec.event("leader-elected", s.leader);
    }
    if (this.o.restoreNotApplicable !== undefined || this.restoreSeconds !== null) return;
    const holds = s.runningOnReady >= this.o.desired;
    if (!holds) {
      this.lastShort = s.t;
      this.first = undefined;
    } else this.first ??= s;
    const since = this.streak.see(holds, s.t);
    if (since !== null) {
      const recorded = swarmRestoreTime(this.first, this.lastShort ?? 0);
      this.restoreSeconds = recorded ?? since;
      this.rec.event(
        "restored",
        `${s.runningOnReady}/${this.o.desired} running on Ready nodes since ${since} s (listed: ${s.listedRunning})` +
          (recorded !== undefined
            ? `; the swarm recorded the last of them running at ${recorded} s`
            : ""),
      );
    }
  }

  done(): boolean {
    const restored = this.restoreSeconds !== null || this.o.restoreNotApplicable !== undefined;
    return (
      restored &&
      this.detectSeconds !== null &&
      (!this.o.needsLeader || this.electedSeconds !== null)
    );
  }

  atDeadline(final: DrillSample | undefined) {
    const missing: string[] = [];
    const notRestored = this.restoreSeconds === null && this.o.restoreNotApplicable === undefined;
    if (notRestored)
      missing.push(
        `only ${final?.runningOnReady ?? 0}/${this.o.desired} tasks running on Ready nodes (listed as running: ${final?.listedRunning ?? 0})`,
      );
    if (this.detectSeconds === null) missing.push(`${this.o.target} was never marked down`);
    const noLeader = this.o.needsLeader && this.electedSeconds === null;
    if (noLeader) missing.push("no new leader was elected");
    return { missing, failing: notRestored || noLeader };
  }
}

/** The balancer drill: restored = the other balancer alone holds the address and it answers. */
export class EdgeJudge implements Judge {
  detectSeconds: number | null = null;
  /** Seconds from t = 0 (the fault request) until the address answered from the other balancer. */
  restoreSeconds: number | null = null;
  private readonly streak: Streak;
  constructor(
    private readonly target: string,
    confirmSamples: number,
    private readonly rec: DrillRecord,
    /** With a prober the takeover is its first answer from the other balancer, not a holders sample. */
    private readonly prober?: AnswerProber,
  ) {
    this.streak = new Streak(confirmSamples);
  }

  see(s: DrillSample): void {
    const holders = s.holders ?? [];
    const others = holders.filter((h) => h !== this.target);
    if (this.detectSeconds === null && others.length > 0) {
      this.detectSeconds = s.t;
      this.rec.event("detected", `${others.join(", ")} became MASTER (holds the floating address)`);
    }
    if (this.restoreSeconds !== null) return;
    if (this.prober) {
      const a = this.prober.firstOther;
      if (a === undefined) return;
      this.restoreSeconds = a.t;
      this.rec.eventAt(
        a.t,
        "restored",
        `the floating address answered from ${a.balancer} (takeover)`,
      );
      return;
    }
    const since = this.streak.see(
      holders.length === 1 && others.length === 1 && s.answered !== false,
      s.t,
    );
    if (since !== null) {
      this.restoreSeconds = since;
      this.rec.event(
        "restored",
        `${others[0]} holds the floating address${s.answered ? " and answers" : ""} since ${since} s (takeover)`,
      );
    }
  }

  done(): boolean {
    return this.restoreSeconds !== null && this.detectSeconds !== null;
  }

  atDeadline(final: DrillSample | undefined) {
    const missing: string[] = [];
    const h = final?.holders ?? [];
    if (this.restoreSeconds === null && this.prober) {
      missing.push(
        `the floating address did not answer from another balancer than ${this.target} (${this.prober.answered} of ${this.prober.sent} probes answered)`,
      );
    } else if (this.restoreSeconds === null) {
      missing.push(
        `the floating address did not answer from the standby (holders: ${h.join(", ") || "none"}${final?.answered === false ? ", the address did not answer" : ""})`,
      );
    }
    if (this.detectSeconds === null) missing.push("no other balancer became MASTER");
    return { missing, failing: this.restoreSeconds === null };
  }
}

export interface ObserveOptions {
  readonly deadlineSeconds: number;
  readonly pollMs: number;
  readonly errorToleranceMs: number;
  /** Set once the fault's injection failed: the drill ends with that reason. */
  readonly faultError: () => string | undefined;
}

/**
 * The observation loop: sample, hand good samples to the judge, stop when it is done, when the
 * fault failed, when the observer was blind too long, or at the deadline.
 */
export async function observe(
  rec: DrillRecord,
  sampler: Sampler,
  judge: Judge,
  o: ObserveOptions,
): Promise<{ reason?: string; final?: DrillSample }> {
  const deadline = rec.t0 + o.deadlineSeconds * 1000;
  let final: DrillSample | undefined;
  for (;;) {
    const s = await sampler.sample();
    const faultError = o.faultError();
    if (faultError !== undefined) return { reason: faultError, ...(final ? { final } : {}) };
    if (!s.error) {
      judge.see(s);
      final = s;
    } else if (
      sampler.errorSince !== undefined &&
      rec.clock.now() - sampler.errorSince > o.errorToleranceMs
    ) {
      return {
        reason: `the swarm could not be observed for ${round((rec.clock.now() - sampler.errorSince) / 1000)} s: ${s.error}`,
        ...(final ? { final } : {}),
      };
    }
    if (judge.done()) return { ...(final ? { final } : {}) };
    if (rec.clock.now() >= deadline) {
      const { missing, failing } = judge.atDeadline(final);
      rec.event("deadline", missing.join("; "));
      return {
        ...(failing
          ? {
              reason: `not restored within the ${o.deadlineSeconds} s deadline: ${missing.join("; ")}`,
            }
          : {}),
        ...(final ? { final } : {}),
      };
    }
    await rec.clock.sleep(o.pollMs);
  }
}

/** Keeps sampling (for the timeline) until `until` (absolute ms) or until `stop()` says so. */
export async function sampleUntil(
  rec: DrillRecord,
  sampler: Sampler,
  until: number,
  pollMs: number,
  stop: () => boolean,
): Promise<void> {
  while (!stop() && rec.clock.now() < until) {
    await rec.clock.sleep(Math.min(pollMs, Math.max(0, until - rec.clock.now())));
    await sampler.sample();
  }
}
