/**
 * `npm run chaos -- ...`: runs the drill against a deployed stack (EC2 + SSH) or the local lab.
 *
 * Exit codes: 0 the replicas were restored in time and the target came back; 1 the drill failed
 * (or could not be set up); 2 bad command line (nothing was touched); 3 refused by a safety check
 * (nothing was stopped). Progress goes to stderr; `--json -` prints the compact report on stdout
 * (what the ChaosCheck component parses).
 */

import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { EC2Client } from "@aws-sdk/client-ec2";
import { Ec2EdgeObserver, Ec2Stopper, edgeNodes, parseStackOutputs, Ssh2Runner, SshSwarmObserver, type StackOutputs } from "./aws";
import { runDrill, type DrillOptions, type DrillResult } from "./core";
import { createLabDrillAdapters } from "../lab/chaosAdapters";
import { createLabEdgeAdapters } from "../lab/edge";
import { HttpLoad } from "./load";
import { compactReport, renderReportJson, writeReport } from "./report";
import type { EdgeObserver, LabDrillAdapters, LoadHook, NodeStopper, SwarmObserver } from "./types";

export interface CliOptions {
  readonly source: { readonly kind: "stack"; readonly stack: string } | { readonly kind: "outputs"; readonly file: string } | { readonly kind: "lab" };
  readonly target: string;
  readonly deadlineSeconds: number;
  readonly rejoinDeadlineSeconds: number;
  /** File for report.json, "-" for stdout (compact), or undefined. */
  readonly json?: string;
  readonly reportDir?: string;
  /** 0 disables the load. */
  readonly connections: number;
  readonly url?: string;
}

export const USAGE = `usage: npm run chaos -- (--stack <name> | --outputs <file.json|-> | --lab) [options]
  --target worker|manager|edge|<node>
                                   what to stop (default worker; manager = the leader, needs 3 managers;
                                   edge = the balancer holding the floating address, needs the pair)
  --deadline <seconds>             restore deadline after the stop (default 60)
  --rejoin-deadline <seconds>      how long the target may take to be Ready again (default 300)
  --json <file|->                  write report.json there (- : compact report on stdout)
  --report-dir <dir>               write report.json, report.md and timeline.svg there
  --connections <n>                concurrent HTTP connections of the load (default 50, 0: no load)
  --url <url>                      entry point to load (default: the stack's or the lab's)
exit: 0 restored and back, 1 drill failed, 2 bad flags, 3 refused by a safety check`;

export class UsageError extends Error {}

const VALUE_FLAGS = ["--stack", "--outputs", "--target", "--deadline", "--rejoin-deadline", "--json", "--report-dir", "--connections", "--url"] as const;
const BOOL_FLAGS = ["--lab", "--help"] as const;

function wholeNumber(flag: string, raw: string, min: number, max: number, unit: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new UsageError(`${flag} must be a whole number of ${unit} from ${min} to ${max} (got ${JSON.stringify(raw)}), e.g. ${flag} ${Math.max(min, Math.min(max, 60))}`);
  }
  return Number(raw);
}

/** Parses argv strictly; throws a UsageError whose message is the one line to print. */
export function parseArgs(argv: readonly string[]): CliOptions | "help" {
  const values = new Map<string, string>();
  const bools = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    if ((BOOL_FLAGS as readonly string[]).includes(name)) {
      if (eq > 0) throw new UsageError(`${name} takes no value; drop "=${arg.slice(eq + 1)}"`);
      bools.add(name);
      continue;
    }
    if ((VALUE_FLAGS as readonly string[]).includes(name)) {
      let v: string | undefined;
      if (eq > 0) v = arg.slice(eq + 1);
      else {
        v = argv[i + 1];
        // "-" is a value (stdin/stdout); any other dash-led word is a forgotten value.
        if (v === undefined || (v.startsWith("-") && v !== "-")) throw new UsageError(`${name} needs a value, e.g. ${exampleOf(name)}`);
        i++;
      }
      if (v === "") throw new UsageError(`${name} needs a value, e.g. ${exampleOf(name)}`);
      if (values.has(name)) throw new UsageError(`${name} is given twice; keep one`);
      values.set(name, v);
      continue;
    }
    if (arg.startsWith("-")) throw new UsageError(`unknown flag ${name}; run npm run chaos -- --help for the flags`);
    throw new UsageError(`unexpected argument ${JSON.stringify(arg)}; flags take the form --name value`);
  }
  if (bools.has("--help")) return "help";

  const target = values.get("--target") ?? "worker";
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(target)) throw new UsageError(`--target ${JSON.stringify(target)} must be worker, manager or a node host name`);

  const url = values.get("--url");
  if (url !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(url);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== "http:" && u.protocol !== "https:")) throw new UsageError(`--url ${JSON.stringify(url)} must be an http(s) URL like http://127.0.0.1:8080/`);
  }
  const deadlineSeconds = values.has("--deadline") ? wholeNumber("--deadline", values.get("--deadline")!, 1, 3600, "seconds") : 60;
  const rejoinDeadlineSeconds = values.has("--rejoin-deadline") ? wholeNumber("--rejoin-deadline", values.get("--rejoin-deadline")!, 1, 3600, "seconds") : 300;
  const connections = values.has("--connections") ? wholeNumber("--connections", values.get("--connections")!, 0, 2000, "connections") : 50;

  // Sources last: a bad value is named before a missing source.
  const sources = ["--stack", "--outputs"].filter((f) => values.has(f)).concat(bools.has("--lab") ? ["--lab"] : []);
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
    if (!/^[A-Za-z0-9][A-Za-z0-9_.\/-]*$/.test(stack)) throw new UsageError(`--stack ${JSON.stringify(stack)} is not a stack name like dev or org/swarm-ha/dev`);
    source = { kind: "stack", stack };
  } else if (values.has("--outputs")) {
    source = { kind: "outputs", file: values.get("--outputs")! };
  } else source = { kind: "lab" };

  return {
    source,
    target,
    deadlineSeconds,
    rejoinDeadlineSeconds,
    ...(values.has("--json") ? { json: values.get("--json")! } : {}),
    ...(values.has("--report-dir") ? { reportDir: values.get("--report-dir")! } : {}),
    connections,
    ...(url !== undefined ? { url } : {}),
  };
}

function exampleOf(flag: string): string {
  const ex: Record<string, string> = {
    "--stack": "--stack dev",
    "--outputs": "--outputs outputs.json",
    "--target": "--target worker",
    "--deadline": "--deadline 60",
    "--rejoin-deadline": "--rejoin-deadline 300",
    "--json": "--json report.json",
    "--report-dir": "--report-dir chaos-report",
    "--connections": "--connections 50",
    "--url": "--url http://127.0.0.1:8080/",
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

/** Everything main() touches outside itself, injectable for tests. */
export interface CliDeps {
  readonly readText: (file: string) => string;
  readonly pulumiOutputs: (stack: string) => Promise<string>;
  readonly awsSetup: (outputs: StackOutputs, log: (l: string) => void) => DrillSetup;
  readonly labSetup: (log: (l: string) => void) => Promise<DrillSetup>;
  /** --target edge: the pair's observer and a stopper of balancers (defaults below). */
  readonly awsEdgeSetup?: (outputs: StackOutputs, log: (l: string) => void) => DrillSetup;
  readonly labEdgeSetup?: (log: (l: string) => void) => Promise<DrillSetup>;
  readonly makeLoad: (url: string, connections: number, allowHosts: readonly string[], maxSeconds: number) => LoadHook;
  readonly runDrill: typeof runDrill;
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly drillOptions?: Partial<DrillOptions>;
}

/** What every AWS drill shares: the SSH observer of the managers, an EC2 client, the entry point. */
function awsDrillBase(o: StackOutputs, log: (l: string) => void) {
  const runner = new Ssh2Runner({ username: o.sshUser, privateKey: o.sshPrivateKey });
  const observer = new SshSwarmObserver(runner, o.managerAddresses.length ? o.managerAddresses : [o.managerAddress], o.serviceName, { log });
  const ec2 = new EC2Client({ region: o.region });
  return {
    observer,
    ec2,
    service: o.serviceName,
    url: o.url,
    allowHosts: [new URL(o.url).hostname],
    managersRunTasks: o.managersRunTasks,
    close: () => {
      observer.close();
      ec2.destroy();
    },
  };
}

export const defaultDeps: CliDeps = {
  readText: (file) => fs.readFileSync(file === "-" ? 0 : file, "utf8"),
  pulumiOutputs: (stack) =>
    new Promise((resolve, reject) => {
      execFile("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", stack], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        if (err) {
          const e = err as NodeJS.ErrnoException;
          reject(
            new Error(
              e.code === "ENOENT"
                ? "the pulumi CLI is not installed here; install it, or save the outputs with `pulumi stack output --json --show-secrets > outputs.json` elsewhere and pass --outputs outputs.json"
                : `pulumi stack output failed: ${String(stderr).trim().split("\n").pop() ?? e.message}`,
            ),
          );
        } else resolve(stdout);
      });
    }),
  awsSetup: (o, log) => {
    const base = awsDrillBase(o, log);
    return { ...base, stopper: new Ec2Stopper(base.ec2, o, { log }) };
  },
  labSetup: async (log) => {
    const a: LabDrillAdapters = await createLabDrillAdapters({ log });
    return {
      observer: a.observer,
      stopper: a.stopper,
      service: a.service,
      url: a.url,
      allowHosts: [],
      ...(a.managersRunTasks !== undefined ? { managersRunTasks: a.managersRunTasks } : {}),
      close: () => a.close?.(),
    };
  },
  awsEdgeSetup: (o, log) => {
    if (o.edgeInstanceIds.length < 2) {
      throw new Error(`the stack runs ${o.edgeInstanceIds.length} balancer(s); the balancer drill needs the pair (config edgeNodes: 2)`);
    }
    const base = awsDrillBase(o, log);
    return {
      ...base,
      // The tag guard checks swarm-ha:role=edge on each balancer before it is stopped or started.
      stopper: new Ec2Stopper(base.ec2, { nodes: edgeNodes(o), stackTags: o.stackTags }, { log }),
      edge: new Ec2EdgeObserver(base.ec2, o),
    };
  },
  labEdgeSetup: async (log) => {
    const a = await createLabEdgeAdapters({ log });
    return { observer: a.observer, stopper: a.stopper, edge: a.edge, service: a.service, url: a.url, allowHosts: [], close: () => a.close?.() };
  },
  makeLoad: (url, connections, allowHosts, maxSeconds) => new HttpLoad({ url, connections, allowHosts, maxDurationSeconds: maxSeconds }),
  runDrill,
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
};

/** One line for the log: the verdict and the figures. */
export function summaryLine(r: DrillResult): string {
  const s = (x: number | null) => (x === null ? "never" : `${x.toFixed(2)} s`);
  if (r.refused) return `REFUSED: ${r.reason}`;
  if (r.scenario === "stop-edge") {
    const holders = (r.holdersAfterReturn as readonly string[] | undefined) ?? [];
    return (
      `${r.passed ? "PASSED" : "FAILED"}: stopped balancer ${r.target.node}; the other became MASTER after ${s(r.detectSeconds)}, ` +
      `the floating address answered from it after ${s(r.restoreSeconds)} (takeover), ${r.target.node} back after ${s(r.rejoinSeconds)}, ` +
      `holders after its return: ${holders.join(", ") || "none"} (single after ${s((r.singleHolderWithinSeconds as number | null | undefined) ?? null)})` +
      (r.load.connections > 0 ? `; load ${r.load.connections} conns, ${r.load.requests} requests, ${r.load.failed} failed, p50 ${r.load.p50Ms} ms, p99 ${r.load.p99Ms} ms` : "") +
      (r.reason ? `; ${r.reason}` : "")
    );
  }
  return (
    `${r.passed ? "PASSED" : "FAILED"}: stopped ${r.target.node} (${r.target.role}); marked down after ${s(r.detectSeconds)}, ` +
    `${r.replicas.desired}/${r.replicas.desired} running on Ready nodes after ${s(r.restoreSeconds)}, rejoined after ${s(r.rejoinSeconds)}` +
    (r.load.connections > 0 ? `; load ${r.load.connections} conns, ${r.load.requests} requests, ${r.load.failed} failed, p50 ${r.load.p50Ms} ms, p99 ${r.load.p99Ms} ms` : "") +
    (r.reason ? `; ${r.reason}` : "")
  );
}

/** Runs the CLI; returns the exit code (the caller exits). */
export async function main(argv: readonly string[], deps: CliDeps = defaultDeps): Promise<number> {
  let opts: CliOptions | "help";
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      deps.stderr(`chaos: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (opts === "help") {
    deps.stderr(USAGE + "\n");
    return 0;
  }
  const log = (l: string) => deps.stderr(`chaos: ${l}\n`);

  let setup: DrillSetup;
  try {
    const edge = opts.target === "edge";
    if (opts.source.kind === "lab") setup = edge ? await (deps.labEdgeSetup ?? defaultDeps.labEdgeSetup!)(log) : await deps.labSetup(log);
    else {
      const text = opts.source.kind === "stack" ? await deps.pulumiOutputs(opts.source.stack) : deps.readText(opts.source.file);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new Error(`the stack outputs are not JSON (${opts.source.kind === "stack" ? `pulumi stack output --stack ${opts.source.stack}` : opts.source.file})`);
      }
      setup = edge ? (deps.awsEdgeSetup ?? defaultDeps.awsEdgeSetup!)(parseStackOutputs(json), log) : deps.awsSetup(parseStackOutputs(json), log);
    }
  } catch (e) {
    deps.stderr(`chaos: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }

  let result: DrillResult;
  try {
    const url = opts.url ?? setup.url;
    // The load only ever targets lab/loopback addresses or this stack's own entry point.
    const load = opts.connections > 0 ? deps.makeLoad(url, opts.connections, setup.allowHosts, opts.deadlineSeconds + 120) : undefined;
    if (load) log(`load: ${opts.connections} connections on ${url}`);
    result = await deps.runDrill(setup.observer, setup.stopper, {
      service: setup.service,
      target: opts.target,
      deadlineSeconds: opts.deadlineSeconds,
      rejoinDeadlineSeconds: opts.rejoinDeadlineSeconds,
      ...(setup.managersRunTasks !== undefined ? { managersRunTasks: setup.managersRunTasks } : {}),
      ...(setup.edge ? { edge: setup.edge } : {}),
      ...(load ? { load } : {}),
      log,
      ...deps.drillOptions,
    });
  } catch (e) {
    deps.stderr(`chaos: ${e instanceof Error ? e.message : String(e)}\n`);
    await setup.close();
    return 1;
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
  return result.passed ? 0 : result.refused ? 3 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`chaos: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
