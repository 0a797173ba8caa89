/**
 * `npm run lab [-- up|down|drill|status] [flags]`: the local lab's command line. Errors print as
 * one line naming what is wrong and how to fix it, with a non-zero exit (LAB_EXIT below): 0 the
 * command (and its drill's verdict) passed, 1 the drill (or a replacement's checks) ran and failed,
 * 2 bad flags, 3 a replacement refused before touching anything, 4 the lab could not be set up
 * (no Docker engine, no lab running, a bring-up step failed).
 */
import { signalGuard } from "../base/signals";
import { checkEngine, LabError } from "./docker";
import { down, labContainers, up } from "./lab";
import { runLabDrills, timingsSetter } from "./drill";
import { writeMatrixReport, type MatrixRun } from "../chaos/scenarios/matrixReport";
import { LabObserver } from "./adapters";
import { readMachine } from "./machine";
import {
  labDrillScenarios,
  labSteadyCheck,
  runBaseline,
  runMatrix,
  type ScenarioTable,
} from "./matrix";
import { nfsStop } from "./nfsOutage";
import { replaceNode, ReplaceRefused } from "./replace";
import { badUpdate, rollingUpdate } from "./updateScenarios";
import { parseArgs, USAGE, type LabOptions } from "./settings";
import { status } from "./status";

export const LAB_EXIT = { passed: 0, failed: 1, usage: 2, refused: 3, setup: 4 } as const;
const EXIT_HELP =
  "exit: 0 passed; 1 the drill or replacement ran and its verdict failed (every reason listed); 2 bad flags; " +
  "3 replacement refused (unknown node, only manager, lab not healthy); 4 could not set up (no engine, no lab); " +
  "matrix: 0 every scenario passed in every pass, 1 any scenario failed, did not run or is not wired";

const log = (line: string) => console.log(line);

/**
 * The matrix's scenario table: the six drill scenarios (lab/matrix.ts), the two update scenarios
 * (lab/updateScenarios.ts) and the NFS outage (lab/nfsOutage.ts).
 */
function matrixTable(): ScenarioTable {
  return {
    ...labDrillScenarios(),
    "rolling-update": rollingUpdate,
    "bad-update": badUpdate,
    "nfs-stop": nfsStop,
  };
}

/** `matrix`: bring up (or reuse) the prod-shaped lab, run the passes (and the baseline), write the report. */
async function matrixCommand(o: LabOptions): Promise<number> {
  const info = await up(o, log);
  log(`lab ${info.reused ? "reused" : "up"} in ${info.totalSeconds.toFixed(1)} s: ${info.url}`);
  const table = matrixTable();
  const steady = labSteadyCheck();
  const lab = {
    managers: info.layout.nodes.filter((n) => n.role === "manager").length,
    workers: info.layout.nodes.filter((n) => n.role === "worker").length,
    managersRunTasks: info.config.managers.runTasks,
    replicas: info.config.was.replicas,
    balancers: info.layout.edges.length,
    dispatcherHeartbeatSeconds: info.config.swarm.dispatcherHeartbeatSeconds,
    taskRestartDelaySeconds: info.config.swarm.taskRestartDelaySeconds,
    // What docs/measurements/ records beside the figures (npm run measurements -- record).
    machine: await readMachine(),
  };
  const write = (rs: readonly MatrixRun[]) =>
    log(`report: ${writeMatrixReport(o.reportDir, rs).join(", ")}`);
  let runs = await runMatrix(info, table, {
    connections: o.connections,
    passes: o.passes ?? 1,
    ...(o.only ? { only: o.only } : {}),
    log,
    steady,
    lab,
    onPass: write,
  });
  if (o.baseline) {
    const observer = new LabObserver(info.managers);
    const baseline = await runBaseline(
      info,
      table,
      { connections: o.connections, log, steady },
      timingsSetter(info, observer, log),
    );
    runs = [...runs.slice(0, -1), { ...runs[runs.length - 1], baseline }];
    write(runs);
  }
  const passed = runs.every((r) => r.passed);
  const failedRows = runs.flatMap((r) =>
    r.scenarios
      .filter((s) => !s.passed)
      .map((s) => `${r.passes && r.passes > 1 ? `pass ${r.pass} ` : ""}${s.name}`),
  );
  log(
    `record it in docs/measurements/: npm run measurements -- record --report-dir ${o.reportDir}`,
  );
  log(
    `matrix ${passed ? "PASSED" : `FAILED (${failedRows.join(", ")})`}: ${runs.length} pass(es) of ${runs[0]?.scenarios.length ?? 0} scenario(s) at ${o.connections} connections; lab left up (npm run lab -- down)`,
  );
  return passed ? LAB_EXIT.passed : LAB_EXIT.failed;
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof LabError)) throw e;
    console.error(`error: ${e.message}`);
    return LAB_EXIT.usage;
  }
  if (parsed === "help") {
    console.log(USAGE);
    console.log(EXIT_HELP);
    return LAB_EXIT.passed;
  }
  const o = parsed;
  // Every command needs the engine: say so in one line (not a docker command line) when none answers.
  await checkEngine();
  switch (o.command) {
    case "down": {
      const removed = await down(log);
      log(removed.length ? `lab removed (${removed.length} objects)` : "no lab to remove");
      return LAB_EXIT.passed;
    }
    case "status":
      await status(log);
      return LAB_EXIT.passed;
    case "up": {
      const info = await up(o, log);
      log(
        `lab ${info.reused ? "reused" : info.images.built.length ? "up (cold: images built)" : "up (warm: images cached)"} in ${info.totalSeconds.toFixed(1)} s: ${info.url}`,
      );
      if (!o.drill) {
        log(`entry point: ${info.url}   tear down: npm run lab -- down`);
        return LAB_EXIT.passed;
      }
      const r = await runLabDrills(info, o, log);
      log(
        `record it in docs/measurements/: npm run measurements -- record --report-dir ${o.reportDir}`,
      );
      log(`entry point: ${info.url}   tear down: npm run lab -- down`);
      return r.passed ? LAB_EXIT.passed : LAB_EXIT.failed;
    }
    case "replace": {
      const r = await replaceNode(o.node!, log);
      for (const f of r.failures) log(`  ✘ ${f}`);
      log(
        `replace ${r.target}: ${r.failures.length ? "FAILED" : "passed"} (swarm id ${r.oldId} → ${r.newId}, rejoined in ${r.rejoinSeconds} s, ${r.replicas.runningOnReady}/${r.replicas.desired} replicas on Ready nodes)`,
      );
      return r.failures.length ? LAB_EXIT.failed : LAB_EXIT.passed;
    }
    case "matrix":
      return matrixCommand(o);
    case "drill": {
      if ((await labContainers()).length === 0)
        throw new LabError("no lab is running; start one with npm run lab -- up");
      const info = await up({ ...o, keepOnFailure: true }, log); // reuses the running lab
      const r = await runLabDrills(info, o, log);
      log(
        `record it in docs/measurements/: npm run measurements -- record --report-dir ${o.reportDir}`,
      );
      return r.passed ? LAB_EXIT.passed : LAB_EXIT.failed;
    }
  }
}

// Exits through the signal guard (base/signals.ts): after a Ctrl-C the heal in progress finishes
// first and the process exits 130 (143 on SIGTERM), whatever the interrupted command returned.
const guard = signalGuard();
main().then(
  (code) => guard.exit(code),
  (e: unknown) => {
    if (guard.interrupted) return guard.exit(LAB_EXIT.setup); // the interruption, not a fault of its own
    if (e instanceof LabError) console.error(`error: ${e.message}`);
    else console.error(e);
    guard.exit(e instanceof ReplaceRefused ? LAB_EXIT.refused : LAB_EXIT.setup);
  },
);
