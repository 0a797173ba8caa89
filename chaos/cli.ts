/**
 * `npm run chaos -- ...`: runs the drill against a deployed stack (EC2 + SSH) or the local lab.
 *
 * Exit codes (EXIT below): 0 the verdict passed; 1 the drill ran and its verdict failed (every
 * reason in the report's `failures`); 2 bad command line or stack outputs (chaos/outputsSchema.ts,
 * checked whole before AWS or a lab is contacted); 3 refused by a safety check; 4 could not
 * be set up (outputs unreadable, no lab, no engine): nothing was touched with 2, 3 and 4.
 * Progress goes to stderr; `--json -` prints the compact report on stdout (what the ChaosCheck
 * parses). This module wires nothing: the composition root `cli/chaos.ts` passes the adapters.
 */

import * as fs from "fs";
import * as path from "path";
import { readArgv, type FlagSpec } from "../base/argv";
import { DEFAULT_FAULT, FAULT_KINDS, isFaultKind, type FaultKind } from "../base/faults";
import { parseStackOutputs, type StackOutputs } from "./aws/aws";
import { runDrill, type DrillOptions, type DrillResult } from "./drill/core";
import { checkOutputsDocument, OutputsSchemaError, parseOutputsText } from "./outputsSchema";
import { compactReport, renderReportJson, writeReport } from "./report/report";
import type { EdgeObserver, LoadHook, NodeStopper, SwarmObserver } from "./types";
import { DEFAULT_BUDGETS } from "./drill/verdict";

/** The CLI's exit codes (documented in --help and the README). */
export const EXIT = { passed: 0, failed: 1, usage: 2, refused: 3, setup: 4 } as const;

export interface CliOptions {
  readonly source:
    | { readonly kind: "stack"; readonly stack: string }
    | { readonly kind: "outputs"; readonly file: string }
    | { readonly kind: "lab" };
  readonly target: string;
  /** What is done to the target (--fault). Default "stop". */
  readonly fault: FaultKind;
  readonly deadlineSeconds: number;
  readonly rejoinDeadlineSeconds: number;
  /** File for report.json, "-" for stdout (compact), or undefined. */
  readonly json?: string;
  readonly reportDir?: string;
  /** 0 disables the load. */
  readonly connections: number;
  readonly url?: string;
  /** Verdict budgets: failed requests allowed, p99 latency allowed (ms). */
  readonly maxFailed: number;
  readonly maxP99Ms: number;
}

export const USAGE = `usage: npm run chaos -- (--stack <name> | --outputs <file.json|-> | --lab) [options]
  --target worker|manager|edge|az:<zone>|<node>
                                   what to stop (default worker; manager = the leader, needs 3 managers;
                                   edge = the balancer holding the floating address, needs the pair;
                                   az:<zone> = every node of a zone and its balancer at once, fault
                                   kill, refused if it would lose the Raft quorum or a replica's slot;
                                   lab zones az-a|az-b|az-c, AWS e.g. az:eu-west-1a)
  ${`--fault ${FAULT_KINDS.join("|")}`.padEnd(33)}what is done to it (default ${DEFAULT_FAULT}): stop = graceful (the node drains);
                                   kill = abrupt loss (docker kill; EC2 stop skipping the OS shutdown);
                                   partition = it runs on, cut off from the cluster and the balancers
                                   (lab: iptables DROP inside the node; AWS: an isolating security group)
  --deadline <seconds>             restore deadline after the stop (default 60)
  --rejoin-deadline <seconds>      how long the target may take to be Ready again (default 300)
  --json <file|->                  write report.json there (- : compact report on stdout)
  --report-dir <dir>               write report.json, report.md and timeline.svg there
  --connections <n>                concurrent HTTP connections of the load (default 50, 0: no load)
  --url <url>                      entry point to load (default: the stack's or the lab's)
  --max-failed <n>                 failed requests the verdict allows (default 0; with --target edge
                                   --fault kill or az:<zone>, one per open connection: the connections
                                   open on a killed address holder die with it; any answer outside
                                   2xx/3xx, a timeout or a reset fails a request)
  --max-p99-ms <ms>                p99 latency the verdict allows (default 1500)
exit: 0 the verdict passed; 1 the drill ran and failed (the report lists every reason);
      2 bad flags or stack outputs (the field is named); 3 refused by a safety check (nothing
      stopped); 4 could not be set up
      (outputs unreadable, no lab or engine; nothing touched)`;

export class UsageError extends Error {}

/** The CLI's flags (util.parseArgs through base/argv.ts): --lab and --help take no value, every other one does. */
const FLAGS = {
  stack: { type: "string" },
  outputs: { type: "string" },
  target: { type: "string" },
  fault: { type: "string" },
  deadline: { type: "string" },
  "rejoin-deadline": { type: "string" },
  json: { type: "string" },
  "report-dir": { type: "string" },
  connections: { type: "string" },
  url: { type: "string" },
  "max-failed": { type: "string" },
  "max-p99-ms": { type: "string" },
  lab: { type: "boolean" },
  help: { type: "boolean" },
} as const satisfies FlagSpec;
/** Flags whose value is a number: a negative one is a value to range-check, not a forgotten value. */
const NUMBER_FLAGS = new Set([
  "--deadline",
  "--rejoin-deadline",
  "--connections",
  "--max-failed",
  "--max-p99-ms",
]);

function wholeNumber(
  flag: string,
  raw: string,
  min: number,
  max: number,
  unit: string,
  example = 60,
): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new UsageError(
      `${flag} must be a whole number of ${unit} from ${min} to ${max} (got ${JSON.stringify(raw)}), e.g. ${flag} ${Math.max(min, Math.min(max, example))}`,
    );
  }
  return Number(raw);
}

/** Parses argv strictly; throws a UsageError whose message is the one line to print. */
export function parseArgs(argv: readonly string[]): CliOptions | "help" {
  const values = new Map<string, string>();
  const bools = new Set<string>();
  for (const w of readArgv(argv, FLAGS)) {
    if (w.kind !== "flag") {
      if (w.raw.startsWith("-")) {
        const eq = w.raw.indexOf("=");
        throw new UsageError(
          `unknown flag ${w.raw.startsWith("--") && eq > 0 ? w.raw.slice(0, eq) : w.raw}; run npm run chaos -- --help for the flags`,
        );
      }
      throw new UsageError(
        `unexpected argument ${JSON.stringify(w.raw)}; flags take the form --name value`,
      );
    }
    const name = `--${w.name}`;
    if (FLAGS[w.name as keyof typeof FLAGS].type === "boolean") {
      if (w.inline) throw new UsageError(`${name} takes no value; drop "=${w.value ?? ""}"`);
      bools.add(name);
      continue;
    }
    const v = w.value;
    if (!w.inline) {
      // "-" is a value (stdin/stdout); any other dash-led word is a forgotten value.
      const negativeNumber = NUMBER_FLAGS.has(name) && v !== undefined && /^-\d/.test(v);
      if (v === undefined || (v.startsWith("-") && v !== "-" && !negativeNumber))
        throw new UsageError(`${name} needs a value, e.g. ${exampleOf(name)}`);
    }
    if (v === undefined || v === "")
      throw new UsageError(`${name} needs a value, e.g. ${exampleOf(name)}`);
    if (values.has(name)) throw new UsageError(`${name} is given twice; keep one`);
    values.set(name, v);
  }
  if (bools.has("--help")) return "help";

  const target = values.get("--target") ?? "worker";
  const zone = target.startsWith("az:") ? target.slice(3) : undefined;
  if (zone !== undefined && !/^[a-z0-9][a-z0-9-]*$/.test(zone)) {
    throw new UsageError(
      `--target ${JSON.stringify(target)}: az: needs a zone name, e.g. --target az:az-b (lab) or --target az:eu-west-1a`,
    );
  }
  if (zone === undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(target))
    throw new UsageError(
      `--target ${JSON.stringify(target)} must be worker, manager, edge, az:<zone> or a node host name`,
    );

  // A zone's loss is abrupt by nature: az: defaults to kill and takes nothing else.
  const faultRaw = values.get("--fault") ?? (zone !== undefined ? "kill" : DEFAULT_FAULT);
  if (!isFaultKind(faultRaw))
    throw new UsageError(
      `--fault must be one of ${FAULT_KINDS.join(", ")} (got ${JSON.stringify(faultRaw)}), e.g. --fault kill`,
    );
  if (zone !== undefined && faultRaw !== "kill") {
    throw new UsageError(
      `--target ${target} loses the whole zone at once: only --fault kill applies (got ${faultRaw}); drop --fault or pass --fault kill`,
    );
  }
  const fault: FaultKind = faultRaw;

  const url = values.get("--url");
  if (url !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(url);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== "http:" && u.protocol !== "https:"))
      throw new UsageError(
        `--url ${JSON.stringify(url)} must be an http(s) URL like http://127.0.0.1:8080/`,
      );
  }
  const deadlineSeconds = values.has("--deadline")
    ? wholeNumber("--deadline", values.get("--deadline")!, 1, 3600, "seconds")
    : 60;
  const rejoinDeadlineSeconds = values.has("--rejoin-deadline")
    ? wholeNumber("--rejoin-deadline", values.get("--rejoin-deadline")!, 1, 3600, "seconds")
    : 300;
  const connections = values.has("--connections")
    ? wholeNumber("--connections", values.get("--connections")!, 0, 2000, "connections", 50)
    : 50;
  const maxFailed = values.has("--max-failed")
    ? wholeNumber("--max-failed", values.get("--max-failed")!, 0, 1_000_000_000, "requests", 0)
    : defaultMaxFailed(target, fault, connections);
  const maxP99Ms = values.has("--max-p99-ms")
    ? wholeNumber("--max-p99-ms", values.get("--max-p99-ms")!, 1, 600_000, "milliseconds", 1500)
    : DEFAULT_BUDGETS.maxP99Ms;

  // Sources last: a bad value is named before a missing source.
  const sources = ["--stack", "--outputs"]
    .filter((f) => values.has(f))
    .concat(bools.has("--lab") ? ["--lab"] : []);
  if (sources.length !== 1) {
    throw new UsageError(
      sources.length === 0
        ? "say what to drill: --stack <name>, --outputs <file.json> or --lab"
        : `${sources.join(" and ")} are exclusive; pass exactly one of --stack, --outputs, --lab`,
    );
  }
  let source: CliOptions["source"];
  if (values.has("--stack")) {
    const stack = values.get("--stack")!;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.\/-]*$/.test(stack))
      throw new UsageError(
        `--stack ${JSON.stringify(stack)} is not a stack name like dev or org/swarm-ha/dev`,
      );
    source = { kind: "stack", stack };
  } else if (values.has("--outputs")) {
    source = { kind: "outputs", file: values.get("--outputs")! };
  } else source = { kind: "lab" };

  return {
    source,
    target,
    fault,
    deadlineSeconds,
    rejoinDeadlineSeconds,
    ...(values.has("--json") ? { json: values.get("--json")! } : {}),
    ...(values.has("--report-dir") ? { reportDir: values.get("--report-dir")! } : {}),
    connections,
    ...(url !== undefined ? { url } : {}),
    maxFailed,
    maxP99Ms,
  };
}

/**
 * The failed requests a drill may cost when --max-failed is not given (issue 10's budgets): none,
 * except when the fault kills the balancer holding the floating address, abruptly (`edge` with kill,
 * or a zone, which may hold it). Then every connection open on the dead balancer dies with it: at
 * most one failed request per open connection, what a client that does not resend would see.
 */
export function defaultMaxFailed(target: string, fault: FaultKind, connections: number): number {
  const losesHolderAbruptly = (target === "edge" && fault === "kill") || target.startsWith("az:");
  return losesHolderAbruptly ? connections : DEFAULT_BUDGETS.maxFailed;
}

function exampleOf(flag: string): string {
  const ex: Record<string, string> = {
    "--stack": "--stack dev",
    "--outputs": "--outputs outputs.json",
    "--target": "--target worker",
    "--fault": "--fault kill",
    "--deadline": "--deadline 60",
    "--rejoin-deadline": "--rejoin-deadline 300",
    "--json": "--json report.json",
    "--report-dir": "--report-dir chaos-report",
    "--connections": "--connections 50",
    "--url": "--url http://127.0.0.1:8080/",
    "--max-failed": "--max-failed 0",
    "--max-p99-ms": "--max-p99-ms 1500",
  };
  return ex[flag] ?? flag;
}

/** What the drill runs against, however it was obtained. */
export interface DrillSetup {
  readonly observer: SwarmObserver;
  readonly stopper: NodeStopper;
  readonly service: string;
  readonly url: string;
  /** Hosts the load may target besides lab/loopback addresses. */
  readonly allowHosts: readonly string[];
  readonly managersRunTasks?: boolean;
  /** The balancer pair, for --target edge. */
  readonly edge?: EdgeObserver;
  close(): void | Promise<void>;
}

/** The fault the setup must build its stopper for, and how long a partition may live at most. */
export interface FaultChoice {
  readonly kind: FaultKind;
  /**
   * `--target az:<zone>`: the stopper must take the zone name as its target and kill every node of
   * the zone and its balancer (lab: LabZoneKiller; AWS: AzLossStopper).
   */
  readonly zone?: string;
  /**
   * Seconds after which an adapter with a self-expiring safety (the lab's partition) heals on its
   * own, even if this process dies: the restore deadline plus a margin for the tail and the heal.
   */
  readonly expireAfterSeconds: number;
}

/** Everything main() touches outside itself: the composition root (cli/chaos.ts) wires it. */
export interface CliDeps {
  readonly readText: (file: string) => string;
  /**
   * Re-reads what changes under a deployed stack (public addresses after a stop/start) by instance
   * id, so outputs saved earlier (the ChaosCheck's stdin) still reach the right hosts.
   */
  readonly refreshOutputs?: (
    outputs: StackOutputs,
    log: (l: string) => void,
  ) => Promise<StackOutputs>;
  readonly pulumiOutputs: (stack: string) => Promise<string>;
  /**
   * Each setup's stopper implements `fault.kind` (absent: the graceful stop); one that cannot
   * throws (exit 4, nothing touched).
   */
  readonly awsSetup: (
    outputs: StackOutputs,
    log: (l: string) => void,
    fault?: FaultChoice,
  ) => DrillSetup;
  readonly labSetup: (log: (l: string) => void, fault?: FaultChoice) => Promise<DrillSetup>;
  /** --target edge: the pair's observer and a stopper of balancers (defaults below). */
  readonly awsEdgeSetup: (
    outputs: StackOutputs,
    log: (l: string) => void,
    fault?: FaultChoice,
  ) => DrillSetup;
  readonly labEdgeSetup: (log: (l: string) => void, fault?: FaultChoice) => Promise<DrillSetup>;
  readonly makeLoad: (
    url: string,
    connections: number,
    allowHosts: readonly string[],
    maxSeconds: number,
  ) => LoadHook;
  readonly runDrill: typeof runDrill;
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly drillOptions?: Partial<DrillOptions>;
}

/** One line for the log: the verdict and the figures. */
export function summaryLine(r: DrillResult): string {
  const s = (x: number | null) => (x === null ? "never" : `${x.toFixed(2)} s`);
  if (r.refused) return `REFUSED: ${r.reason}`;
  const did = { stop: "stopped", kill: "killed", partition: "partitioned" }[r.fault ?? "stop"];
  if (r.scenario === "az-loss" && !r.refused) {
    const victims = ((r.victims as readonly { node: string }[] | undefined) ?? []).map(
      (v) => v.node,
    );
    return (
      `${r.passed ? "PASSED" : "FAILED"}: az-loss of ${r.target.node} (${did} ${victims.join(", ")} and the zone's balancer, if any); every node marked down after ${s(r.detectSeconds)}, ` +
      `${r.replicas.runningOnReady}/${r.replicas.desired} running on Ready nodes ` +
      (r.restoreNote ? `(no replica was lost: ${r.restoreNote})` : `after ${s(r.restoreSeconds)}`) +
      `, zone back after ${s(r.rejoinSeconds)}` +
      (r.afterReturn
        ? `, then ${r.afterReturn.running} running (desired ${r.afterReturn.desired}${r.afterReturn.settledSeconds === null ? ", orphans left" : ""})`
        : "") +
      (r.load.connections > 0
        ? `; load ${r.load.connections} conns, ${r.load.requests} requests, ${r.load.failed} failed, p50 ${r.load.p50Ms} ms, p99 ${r.load.p99Ms} ms`
        : "") +
      (r.reason ? `; ${r.reason}` : "")
    );
  }
  if (r.scenario === "stop-edge") {
    const holders = (r.holdersAfterReturn as readonly string[] | undefined) ?? [];
    return (
      `${r.passed ? "PASSED" : "FAILED"}: ${did} balancer ${r.target.node}; the other became MASTER after ${s(r.detectSeconds)}, ` +
      `the floating address answered from it after ${s(r.restoreSeconds)} (takeover, ${r.takeoverFrom === "fault-effective" ? `from the fault taking effect at ${s((r.faultEffectiveSeconds as number | undefined) ?? null)}` : "from the fault request"}), ${r.target.node} back after ${s(r.rejoinSeconds)}, ` +
      `holders after its return: ${holders.join(", ") || "none"} (single after ${s((r.singleHolderWithinSeconds as number | null | undefined) ?? null)})` +
      (r.load.connections > 0
        ? `; load ${r.load.connections} conns, ${r.load.requests} requests, ${r.load.failed} failed, p50 ${r.load.p50Ms} ms, p99 ${r.load.p99Ms} ms`
        : "") +
      (r.reason ? `; ${r.reason}` : "")
    );
  }
  return (
    `${r.passed ? "PASSED" : "FAILED"}: ${did} ${r.target.node} (${r.target.role}); ` +
    (r.restoreFrom === "fault-effective"
      ? `from the fault taking effect at ${s((r.faultEffectiveSeconds as number | undefined) ?? null)}: `
      : "") +
    `marked down after ${s(r.detectSeconds)}, ` +
    `${r.replicas.runningOnReady}/${r.replicas.desired} running on Ready nodes ` +
    (r.restoreNote ? `(no replica was lost: ${r.restoreNote})` : `after ${s(r.restoreSeconds)}`) +
    `, rejoined after ${s(r.rejoinSeconds)}` +
    (r.afterReturn
      ? `, then ${r.afterReturn.running} running (desired ${r.afterReturn.desired}${r.afterReturn.settledSeconds === null ? ", orphans left" : ""})`
      : "") +
    (r.load.connections > 0
      ? `; load ${r.load.connections} conns, ${r.load.requests} requests, ${r.load.failed} failed, p50 ${r.load.p50Ms} ms, p99 ${r.load.p99Ms} ms`
      : "") +
    (r.reason ? `; ${r.reason}` : "")
  );
}

/** Runs the CLI; returns the exit code (the caller exits). */
export async function main(argv: readonly string[], deps: CliDeps): Promise<number> {
  let opts: CliOptions | "help";
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      deps.stderr(`chaos: ${e.message}\n`);
      return EXIT.usage;
    }
    throw e;
  }
  if (opts === "help") {
    deps.stderr(USAGE + "\n");
    return EXIT.passed;
  }
  const log = (l: string) => deps.stderr(`chaos: ${l}\n`);

  let setup: DrillSetup;
  // Past the deadline the drill heals anyway; the margin covers the load tail and slow heals.
  const zone = opts.target.startsWith("az:") ? opts.target.slice(3) : undefined;
  const fault: FaultChoice = {
    kind: opts.fault,
    expireAfterSeconds: opts.deadlineSeconds + 60,
    ...(zone !== undefined ? { zone } : {}),
  };
  try {
    const edge = opts.target === "edge";
    if (opts.source.kind === "lab")
      setup = edge ? await deps.labEdgeSetup(log, fault) : await deps.labSetup(log, fault);
    else {
      const text =
        opts.source.kind === "stack"
          ? await deps.pulumiOutputs(opts.source.stack)
          : readOutputs(deps, opts.source.file);
      const json = parseOutputsText(
        text,
        opts.source.kind === "stack"
          ? `pulumi stack output --stack ${opts.source.stack}`
          : opts.source.file,
      );
      // The whole document and the target, before EC2 or a lab is contacted (exit 2 below).
      checkOutputsDocument(json, opts.target);
      let outputs = parseStackOutputs(json);
      if (deps.refreshOutputs) outputs = await deps.refreshOutputs(outputs, log);
      setup = edge ? deps.awsEdgeSetup(outputs, log, fault) : deps.awsSetup(outputs, log, fault);
    }
  } catch (e) {
    if (e instanceof OutputsSchemaError) {
      deps.stderr(`chaos: bad stack outputs (nothing was touched): ${e.message}\n`);
      return EXIT.usage;
    }
    deps.stderr(
      `chaos: could not set up the drill (nothing was touched): ${e instanceof Error ? e.message : String(e)}\n`,
    );
    return EXIT.setup;
  }

  let result: DrillResult;
  try {
    const url = opts.url ?? setup.url;
    // The load only ever targets lab/loopback addresses or this stack's own entry point.
    const load =
      opts.connections > 0
        ? deps.makeLoad(url, opts.connections, setup.allowHosts, opts.deadlineSeconds + 120)
        : undefined;
    if (load) log(`load: ${opts.connections} connections on ${url}`);
    result = await deps.runDrill(setup.observer, setup.stopper, {
      service: setup.service,
      target: opts.target,
      fault: opts.fault,
      deadlineSeconds: opts.deadlineSeconds,
      rejoinDeadlineSeconds: opts.rejoinDeadlineSeconds,
      ...(setup.managersRunTasks !== undefined ? { managersRunTasks: setup.managersRunTasks } : {}),
      ...(setup.edge ? { edge: setup.edge } : {}),
      ...(load ? { load } : {}),
      maxFailed: opts.maxFailed,
      maxP99Ms: opts.maxP99Ms,
      log,
      ...deps.drillOptions,
    });
  } catch (e) {
    deps.stderr(`chaos: ${e instanceof Error ? e.message : String(e)}\n`);
    await setup.close();
    return EXIT.failed;
  }
  await setup.close();

  log(summaryLine(result));
  if (opts.reportDir) {
    const files = writeReport(opts.reportDir, result);
    log(`report: ${files.json}, ${files.md}, ${files.svg}`);
  }
  if (opts.json === "-") deps.stdout(JSON.stringify(compactReport(result)) + "\n");
  else if (opts.json) {
    fs.mkdirSync(path.dirname(path.resolve(opts.json)), { recursive: true });
    fs.writeFileSync(opts.json, renderReportJson(result));
    log(`report: ${opts.json}`);
  }
  return result.passed ? EXIT.passed : result.refused ? EXIT.refused : EXIT.failed;
}

/** Reads --outputs; a missing or unreadable file is one line naming it and the fix. */
function readOutputs(deps: CliDeps, file: string): string {
  try {
    return deps.readText(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EACCES"
          ? "permission denied"
          : code === "EISDIR"
            ? "it is a directory"
            : e instanceof Error
              ? e.message
              : String(e);
    throw new Error(
      `cannot read --outputs ${file}: ${why}; save them with pulumi stack output --json --show-secrets > outputs.json`,
      { cause: e },
    );
  }
}
