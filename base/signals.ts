/**
 * Ctrl-C and SIGTERM for every command that changes something it must put back: the chaos drill
 * (its fault), the lab's drill and matrix (Docker's default timings for the baseline, a fault, a
 * service spec mid-update), the scenarios script and `replace` (a removed node). What a command
 * touches registers how to heal it; the first SIGINT or SIGTERM announces every registration
 * ("signal: SIGINT: healing the fault before exiting"), heals them innermost first, one after the
 * other, and only then exits 130 (SIGINT) or 143 (SIGTERM).
 *
 * One guard per signal source, so nested registrations (a matrix row's fault inside the matrix's
 * timing change) heal in order and the process exits once, after all of them; a command's own
 * exit goes through `exit` below, which waits for a heal in progress instead of cutting it short.
 */

export type Signal = "SIGINT" | "SIGTERM";

/** Where signal handlers go: `process`, or a scripted source in tests. */
export interface SignalHost {
  on(signal: Signal, handler: () => void): unknown;
  off(signal: Signal, handler: () => void): unknown;
}

export const SIGNAL_EXIT_CODES: Readonly<Record<Signal, number>> = { SIGINT: 130, SIGTERM: 143 };

export interface HealRegistration {
  /** Says what is being healed, e.g. rec.event("signal", `${sig}: healing the fault before exiting`). */
  readonly announce: (sig: Signal) => void;
  /** Puts back what was touched. Errors are the registration's to report; the guard goes on. */
  readonly heal: () => Promise<unknown>;
}

export class SignalGuard {
  private readonly entries: HealRegistration[] = [];
  private handling: Signal | undefined;
  private readonly handlers: Readonly<Record<Signal, () => void>>;

  constructor(
    private readonly host: SignalHost,
    private readonly exitProcess: (code: number) => void,
  ) {
    this.handlers = {
      SIGINT: () => this.onSignal("SIGINT"),
      SIGTERM: () => this.onSignal("SIGTERM"),
    };
  }

  /** The signal being handled, if one came: a loop checks it before starting more work. */
  get interrupted(): Signal | undefined {
    return this.handling;
  }

  /** Registers a heal until the returned function is called (call it once the thing is put back). */
  register(r: HealRegistration): () => void {
    if (this.entries.length === 0 && !this.handling) this.install();
    this.entries.push(r);
    return () => {
      const i = this.entries.indexOf(r);
      if (i >= 0) this.entries.splice(i, 1);
      if (this.entries.length === 0 && !this.handling) this.uninstall();
    };
  }

  /**
   * A command's own exit: at once, unless a signal is being handled, whose heals then finish and
   * exit with the signal's code (a failing command must not cut a heal short).
   */
  exit(code: number): void {
    if (!this.handling) this.exitProcess(code);
  }

  private install(): void {
    this.host.on("SIGINT", this.handlers.SIGINT);
    this.host.on("SIGTERM", this.handlers.SIGTERM);
  }

  private uninstall(): void {
    this.host.off("SIGINT", this.handlers.SIGINT);
    this.host.off("SIGTERM", this.handlers.SIGTERM);
  }

  private onSignal(sig: Signal): void {
    if (this.handling) return; // a second Ctrl-C while healing: the heal goes on
    this.handling = sig;
    const pending = [...this.entries].reverse();
    for (const r of pending) r.announce(sig);
    void (async () => {
      for (const r of pending) {
        try {
          await r.heal();
        } catch {
          // reported by the registration; the next heal still runs
        }
      }
    })().finally(() => {
      this.uninstall();
      this.exitProcess(SIGNAL_EXIT_CODES[sig]);
    });
  }
}

const guards = new WeakMap<SignalHost, SignalGuard>();

/** The guard of a signal source (one per source; the first caller's `exit` is the one used). */
export function signalGuard(
  host: SignalHost = process,
  exit: (code: number) => void = (code) => process.exit(code),
): SignalGuard {
  let g = guards.get(host);
  if (!g) guards.set(host, (g = new SignalGuard(host, exit)));
  return g;
}

/**
 * Runs `f` with `heal` registered: on SIGINT/SIGTERM meanwhile, says
 * "signal: SIGINT: <action> before exiting" and heals before the process exits.
 */
export async function healingOnSignal<T>(
  action: string,
  heal: () => Promise<unknown>,
  say: (line: string) => void,
  f: () => Promise<T>,
  guard: SignalGuard = signalGuard(),
): Promise<T> {
  const unregister = guard.register({
    announce: (sig) => say(`signal: ${sig}: ${action} before exiting`),
    heal,
  });
  try {
    return await f();
  } finally {
    unregister();
  }
}
