import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import type { DrillReport } from "../base/drillReport";
import { DEFAULT_FAULT, faultKindsText, isFaultKind, type FaultKind } from "../base/faults";
import { schemaDefault } from "../config/schema";
import { drillEnvironment, DrillAwsAccess } from "../renderers/drillAws";

export interface ChaosCheckArgs {
  /** What to stop: worker, manager (the leader; needs 3+ managers), edge (needs a pair) or a node name. */
  readonly target: string;
  /** Seconds the replicas have to be restored before the update fails. */
  readonly deadlineSeconds: number;
  /**
   * What the drill does to the target: stop (graceful), kill (EC2 stop skipping the OS shutdown),
   * partition (an isolating security group). Default: config chaosFault's default ("stop"). Part of
   * the command, so of the triggers.
   */
  readonly fault?: FaultKind;
  /**
   * The stack outputs the drill needs (the same object `pulumi stack output --json` shows, so
   * `npm run chaos -- --stack <name>` and this check read one format). Contains the SSH key: secret.
   * Passed on stdin with its public addresses replaced by `drillStdin` (see there).
   */
  readonly stackOutputs: pulumi.Input<Record<string, unknown>>;
  /**
   * Values whose change re-runs the drill besides stdin: the service spec (image included) and the
   * node set (instance ids). The drill's own settings are added here.
   */
  readonly triggers: pulumi.Input<unknown>[];
  /** Failed requests the verdict allows. Default 0. */
  readonly maxFailed?: number;
  /** p99 latency the verdict allows, ms. Default 1500. */
  readonly maxP99Ms?: number;
  /**
   * The stack's AWS configuration (region, profile, keys, assumeRoles), read by the program's config
   * module: the drill is a separate process and gets none of the AWS provider's. Kept secret.
   * Default: the region in the stack outputs and the caller's own environment.
   */
  readonly aws?: pulumi.Input<DrillAwsAccess | undefined>;
  /**
   * Directory holding cli/chaos.ts, relative to the Pulumi project's directory (where the engine
   * starts the command provider, so where a relative `dir` resolves). An input of the command: an
   * absolute path would differ per checkout and re-run the drill. Default: this package's directory
   * relative to the program's working directory ("." when the program is this repository's).
   */
  readonly workDir?: string;
}

/** The command the check runs; the CLI reads the outputs JSON on stdin and prints report.json on stdout. */
export function chaosCommand(
  target: string,
  deadlineSeconds: number,
  budgets: { maxFailed?: number; maxP99Ms?: number } = {},
  fault: string = DEFAULT_FAULT,
): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(target))
    throw new Error(`invalid chaos target ${JSON.stringify(target)}`);
  if (!isFaultKind(fault))
    throw new Error(`invalid chaos fault ${JSON.stringify(fault)}: use ${faultKindsText()}`);
  if (!Number.isInteger(deadlineSeconds) || deadlineSeconds < 1)
    throw new Error("deadlineSeconds must be >= 1");
  for (const [k, v] of Object.entries(budgets)) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0))
      throw new Error(`${k} must be a whole number >= 0`);
  }
  return (
    `npx --no-install tsx cli/chaos.ts --outputs - --target ${target} --fault ${fault} --deadline ${deadlineSeconds}` +
    (budgets.maxFailed !== undefined ? ` --max-failed ${budgets.maxFailed}` : "") +
    (budgets.maxP99Ms !== undefined ? ` --max-p99-ms ${budgets.maxP99Ms}` : "") +
    " --json -"
  );
}

/**
 * What the drill reads on stdin: the outputs with every public address replaced by the node's
 * private one, a stable stand-in the CLI maps back to the address EC2 reports when it runs
 * (`refreshOutputs` in cli/chaos.ts, by instance id). A public address changes with every stop and
 * start (the drill's own), so on stdin it would re-run the drill after every refresh; and stdin must
 * not be under ignoreChanges, because the engine then restores the old value even when the drill is
 * replaced, and a drill after a worker replacement ran on the old node list.
 */
export function drillStdin(outputs: Record<string, unknown>): Record<string, unknown> {
  const nodes = outputs.nodes as Array<Record<string, unknown>> | undefined;
  if (!Array.isArray(nodes)) return outputs;
  const stable = new Map(nodes.map((n) => [n.publicIp, n.privateIp]));
  const swap = (a: unknown) => stable.get(a) ?? a;
  return {
    ...outputs,
    nodes: nodes.map((n) => ({ ...n, publicIp: n.privateIp })),
    ...("managerAddress" in outputs ? { managerAddress: swap(outputs.managerAddress) } : {}),
    ...(Array.isArray(outputs.managerAddresses)
      ? { managerAddresses: outputs.managerAddresses.map(swap) }
      : {}),
  };
}

/** `workDir`'s default: this package's root relative to the program's working directory. */
export function defaultWorkDir(cwd: string = process.cwd()): string {
  return path.relative(cwd, path.join(__dirname, "..")) || ".";
}

/**
 * Runs the chaos drill against the deployed stack during `pulumi up`, after the WAS service and the
 * balancers are in place: stops the target through the EC2 API, watches the swarm until the desired
 * replicas run on Ready nodes again, starts the target and checks it rejoins. The CLI exits non-zero
 * when the replicas are not restored in time, which fails the update with the drill's message. The
 * drill re-runs whenever the service spec or the node set changes.
 */
export class ChaosCheck extends pulumi.ComponentResource {
  /** The drill's report (report.json contract of chaos/types.ts). */
  readonly report: pulumi.Output<DrillReport>;
  readonly passed: pulumi.Output<boolean>;

  constructor(name: string, args: ChaosCheckArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarm-ha:chaos:ChaosCheck", name, {}, opts);
    const budgets = {
      ...(args.maxFailed !== undefined ? { maxFailed: args.maxFailed } : {}),
      ...(args.maxP99Ms !== undefined ? { maxP99Ms: args.maxP99Ms } : {}),
    };
    // The fault is in the command line, and the command line is the first trigger.
    const create = chaosCommand(
      args.target,
      args.deadlineSeconds,
      budgets,
      args.fault ?? schemaDefault<string>("chaosFault", "string"),
    );
    const stackOutputs = pulumi.output(args.stackOutputs);
    const drill = new command.local.Command(
      `${name}-drill`,
      {
        dir: args.workDir ?? defaultWorkDir(),
        create,
        stdin: pulumi.secret(stackOutputs.apply((o) => JSON.stringify(drillStdin(o)))),
        // Only stack config, never this machine's: the same input for every teammate and CI.
        environment: pulumi.secret(
          pulumi
            .all([args.aws, stackOutputs])
            .apply(([a, o]) =>
              a
                ? drillEnvironment(a)
                : typeof o.region === "string"
                  ? drillEnvironment({ region: o.region })
                  : {},
            ),
        ),
        // The drill's settings, the service spec and the node set: what a drill result depends on.
        triggers: [create, ...args.triggers],
      },
      {
        parent: this,
        // The component's own dependsOn (service, balancers) must hold for the command itself.
        dependsOn: opts?.dependsOn,
      },
    );
    this.report = drill.stdout.apply((out) => parseReport(out));
    this.passed = this.report.apply((r) => r.passed);
    this.registerOutputs({ report: this.report, passed: this.passed });
  }
}

/** The last JSON object the CLI printed (progress goes to stderr; this tolerates stray lines). */
export function parseReport(stdout: string): DrillReport {
  const start = stdout.indexOf("{");
  if (start < 0) throw new Error(`chaos drill printed no report: ${stdout.slice(0, 200)}`);
  const report = JSON.parse(stdout.slice(start)) as DrillReport;
  if (typeof report.passed !== "boolean" || !report.scenario)
    throw new Error("chaos drill report lacks passed/scenario");
  return report;
}
