/**
 * What the ChaosCheck's command does under Pulumi mocks: the REAL chaos CLI (argument parsing,
 * parseStackOutputs of what the program feeds on stdin, the drill core, the verdict, the exit code)
 * against a scripted swarm built from the fed node names, on a fake clock. A failing verdict makes
 * the command fail, as the command provider does on a non-zero exit.
 */
import { main, parseArgs, type CliDeps, type DrillSetup } from "../../chaos/cli";
import { compactReport } from "../../chaos/report/report";
import { runDrill } from "../../chaos/drill/core";
import { edgeNodes, type StackOutputs } from "../../chaos/aws/aws";
import type { EdgeObserver, LoadHook } from "../../chaos/types";
import { FakeClock, node, ScriptedSwarm, task, type Script, type World } from "./fakes";

/** restores: a replacement runs 6 s after the stop. never: it never does. lossy: restores but 3 requests fail. */
export type ChaosMode = "restores" | "never" | "lossy";

/** What the scripted swarm needs of the fed outputs (the program's own node names). */
type Fed = Pick<StackOutputs, "replicas" | "edgeInstanceIds"> & {
  readonly nodes: ReadonlyArray<Pick<StackOutputs["nodes"][number], "name" | "role">>;
};

/**
 * The program's own nodes. A stopped node goes Down 3 s after the stop (a stopped leader hands the
 * lead to the next manager); a stopped worker's task is replaced on the last worker still up 6 s
 * after the stop. A worker named by the drill runs a task; otherwise the first workers do.
 */
export function swarmOf(o: Fed, mode: ChaosMode, named?: string): Script {
  const managers = o.nodes.filter((n) => n.role === "manager").map((n) => n.name);
  const workers = o.nodes
    .filter((n) => n.role === "worker")
    .map((n) => n.name)
    .sort();
  const first = named !== undefined && workers.includes(named) ? [named] : [];
  const running = [...first, ...workers.filter((w) => !first.includes(w))].slice(0, o.replicas);
  const down = (h: string, w: World) =>
    w.stopped.has(h) && w.sinceStop !== undefined && w.sinceStop >= 3;
  return {
    desired: o.replicas,
    nodes: (w) => {
      const leader = managers.find((m) => !down(m, w));
      return [
        ...managers.map((m) =>
          node(m, "manager", {
            leader: m === leader,
            ...(down(m, w) ? { status: "down" as const } : {}),
          }),
        ),
        ...workers.map((h) => node(h, "worker", down(h, w) ? { status: "down" } : {})),
      ];
    },
    tasks: (w) => {
      const ts = running.map((h, i) => task(`t${i}`, h));
      const lost = running.some((h) => w.stopped.has(h));
      const spare = [...workers].reverse().find((h) => !w.stopped.has(h));
      if (mode !== "never" && lost && spare && w.sinceStop !== undefined && w.sinceStop >= 6)
        ts.push(task("t-new", spare));
      return ts;
    },
  };
}

/**
 * The mocks' default: the real argument parser, drill core, verdict and compact report, on the
 * outputs exactly as the program feeds them (JSON.parse only: holding them to parseStackOutputs is
 * the outputs contract's own test).
 */
export function scriptedDrill(mode: ChaosMode) {
  return async (command: string, stdin: string): Promise<string> => {
    const opts = parseArgs(argvOf(command));
    if (opts === "help") throw new Error("the ChaosCheck never asks for --help");
    const fed = JSON.parse(stdin) as Fed & { serviceName: string; managersRunTasks: boolean };
    const clock = new FakeClock();
    const swarm = new ScriptedSwarm(clock, swarmOf(fed, mode, opts.target));
    const r = await runDrill(swarm, swarm, {
      service: fed.serviceName,
      target: opts.target,
      fault: opts.fault,
      deadlineSeconds: opts.deadlineSeconds,
      managersRunTasks: fed.managersRunTasks,
      maxFailed: opts.maxFailed,
      maxP99Ms: opts.maxP99Ms,
      load: lossyOr(mode),
      ...(opts.target === "edge" ? { edge: pairOf(fed, swarm) } : {}),
      clock,
      signals: null,
    });
    if (!r.passed) throw new Error(`chaos drill exited 1: ${r.reason}`);
    return JSON.stringify(compactReport(r)) + "\n";
  };
}

/**
 * The program's balancer pair (edgeNodes: the names the CLI gives them): the first balancer up
 * holds the address, one second after a stop the other does; a started balancer is back at once.
 */
export function pairOf(
  o: Pick<StackOutputs, "edgeInstanceIds">,
  swarm: ScriptedSwarm,
): EdgeObserver {
  const names = edgeNodes(o).map((n) => n.name);
  const held = () => {
    const w = swarm.world();
    return names.find((n) => !(w.stopped.has(n) && w.sinceStop !== undefined && w.sinceStop >= 1));
  };
  return {
    nodes: async () => names,
    holders: async () => (held() ? [held()!] : []),
    ready: async (n) => !swarm.world().stopped.has(n),
    answers: async () => held() !== undefined,
  };
}

const argvOf = (command: string) =>
  command.split(" ").slice(command.split(" ").indexOf("cli/chaos.ts") + 1);

function lossyOr(mode: ChaosMode): LoadHook {
  return {
    start: () => undefined,
    stop: async () => ({
      connections: 50,
      durationSeconds: 12,
      requests: 6000,
      failed: mode === "lossy" ? 3 : 0,
      p50Ms: 4,
      p99Ms: 90,
      perSecond: [],
      perNode: {},
      failures: {},
    }),
  };
}

/** The whole CLI (main) as the command runs it: parseStackOutputs, the verdict, the exit code. */
export function scriptedChaosRunner(mode: ChaosMode) {
  return async (command: string, stdin: string): Promise<string> => {
    const argv = argvOf(command);
    const out: string[] = [];
    const err: string[] = [];
    const clock = new FakeClock();
    const setup = (o: StackOutputs): DrillSetup => {
      const swarm = new ScriptedSwarm(
        clock,
        swarmOf(
          o,
          mode,
          parseArgs(argv) === "help" ? undefined : (parseArgs(argv) as { target: string }).target,
        ),
      );
      return {
        observer: swarm,
        stopper: swarm,
        service: o.serviceName,
        url: "http://127.0.0.1:1/",
        allowHosts: [],
        managersRunTasks: o.managersRunTasks,
        close: () => undefined,
      };
    };
    const load = lossyOr(mode);
    const deps: CliDeps = {
      readText: () => stdin,
      pulumiOutputs: async () => {
        throw new Error("the ChaosCheck passes --outputs -");
      },
      awsSetup: (o) => setup(o),
      awsEdgeSetup: () => {
        throw new Error("no scripted balancer pair here");
      },
      labSetup: async () => {
        throw new Error("the ChaosCheck never drills the lab");
      },
      labEdgeSetup: async () => {
        throw new Error("the ChaosCheck never drills the lab");
      },
      makeLoad: () => load,
      runDrill,
      stdout: (s) => out.push(s),
      stderr: (s) => err.push(s),
      drillOptions: { clock, signals: null },
    };
    const code = await main(argv, deps);
    if (code !== 0)
      throw new Error(`chaos drill exited ${code}: ${err.join("").trim().split("\n").pop()}`);
    return out.join("");
  };
}
