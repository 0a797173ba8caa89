/**
 * nfs-stop (issue 10) on a running lab: the NFS log server container is stopped for 20 s under
 * keep-alive load through the entry point and started again; requests must keep succeeding. Then
 * every access-log line of the run is read back over NFSv4 (libnfs, from a swarm node, the way
 * lab/nfsProof.ts reads) and compared per node with the requests the load saw answered.
 *
 * Lab substitution (lab/nfsProof.ts NFS_SUBSTITUTION): the WAS writes into the export's backing
 * volume through a bind mount, not through a kernel NFS client, so stopping the server does not
 * stall the writes here the way it stalls a hard NFS mount on AWS (chaos/scenarios/nfsOutage.ts
 * AWS_MOUNT_IN_OUTAGE). What the lab proves: the requests never depend on the log server, and the
 * server returns with every line on the export. The NFS server is running again on every exit path.
 */
import { HttpLoad } from "../chaos/load/load";
import type { ScenarioResult } from "../chaos/scenarios/matrix";
import {
  accountLines,
  addCounts,
  AWS_MOUNT_IN_OUTAGE,
  countServed,
  judgeNfsOutage,
  LineAccount,
} from "../chaos/scenarios/nfsOutage";
import { round1, scenarioResult } from "../chaos/scenarios/scenarioResult";
import type { LoadSummary } from "../chaos/types";
import { docker, dockerRaw } from "./docker";
import { nodeEngine } from "./engines";
import { LabInfo, NFS } from "./lab";
import { NFS_SUBSTITUTION } from "./nfsProof";
import { SERVICE } from "./settings";
import { reachableManager, ScenarioOptions } from "./updateScenarios";
import { healingOnSignal } from "../base/signals";

export const OUTAGE_SECONDS = 20;
const EXPORT_DEADLINE_SECONDS = 60;
const LEAD_SECONDS = 3;
const TAIL_SECONDS = 3;
const READ_RETRY_SECONDS = 30;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function running(container: string): Promise<boolean> {
  const r = await dockerRaw(["inspect", "-f", "{{.State.Running}}", container], {
    timeoutMs: 10_000,
  });
  return r.code === 0 && r.stdout.trim() === "true";
}

/** libnfs URL of the export (or a file in it), NFSv4. */
function nfsUrl(info: LabInfo, file = ""): string {
  return `nfs://${info.layout.nfsIp}${info.config.nfs.exportPath}${file ? `/${file}` : ""}?version=4`;
}

/**
 * The export lists, and with `probeFile` a file of it can be opened and read: after a restart the
 * server answers READDIR while still refusing OPEN in its grace period (NFS4ERR_GRACE, seen here).
 */
async function exportAnswers(reader: string, info: LabInfo, probeFile?: string): Promise<boolean> {
  if ((await dockerRaw(["exec", reader, "nfs-ls", nfsUrl(info)], { timeoutMs: 10_000 })).code !== 0)
    return false;
  if (!probeFile) return true;
  return (
    (
      await dockerRaw(
        ["exec", reader, "sh", "-c", 'nfs-cat "$1" >/dev/null', "sh", nfsUrl(info, probeFile)],
        { timeoutMs: 30_000 },
      )
    ).code === 0
  );
}

/** Polls the export from `reader` until it answers; seconds since `t0` when it did, null at the deadline. */
async function waitExport(
  reader: string,
  info: LabInfo,
  t0: number,
  deadlineSeconds: number,
  probeFile?: string,
): Promise<number | null> {
  const until = performance.now() + deadlineSeconds * 1000;
  while (performance.now() < until) {
    if (await exportAnswers(reader, info, probeFile))
      return round1((performance.now() - t0) / 1000);
    await sleep(500);
  }
  return null;
}

/** Starts the NFS server if it is not running and waits for the export. Returns problems, never throws. */
export async function ensureNfsRunning(
  info: LabInfo,
  reader: string,
  log: (l: string) => void,
): Promise<string[]> {
  try {
    if (await running(NFS)) return [];
    log(`  starting ${NFS} again`);
    await docker(["start", NFS]);
    const back = await waitExport(reader, info, performance.now(), EXPORT_DEADLINE_SECONDS);
    return back === null
      ? [
          `${NFS} was started again but its export did not answer within ${EXPORT_DEADLINE_SECONDS} s`,
        ]
      : [];
  } catch (e) {
    return [
      `could not start ${NFS} again: ${e instanceof Error ? e.message : String(e)}; run docker start ${NFS}`,
    ];
  }
}

/** A running swarm node container to read the export from (inside the export's client CIDR). */
async function pickReader(info: LabInfo): Promise<string> {
  const nodes = [...info.layout.nodes].sort((a, b) =>
    a.role === b.role ? 0 : a.role === "worker" ? -1 : 1,
  );
  for (const n of nodes) if (await running(n.name)) return n.name;
  throw new Error("no swarm node container is running to read the export from");
}

/** Task names (was.<slot>.<id>, the app's log file names) of the tasks that should run now. */
async function taskNames(manager: string): Promise<string[]> {
  const tasks = (await nodeEngine(manager, 10_000).listTasks({
    filters: JSON.stringify({ service: [SERVICE], "desired-state": ["running"] }),
  })) as Array<Record<string, any>>;
  return tasks.map((t) => `${SERVICE}.${t.Slot}.${t.ID}`);
}

/**
 * Reads each task's access log over NFSv4 from `reader` (or, with `reader` undefined, straight from
 * the server's backing directory); answered GET / lines per node in the load's run and in the outage.
 */
async function readLogged(
  reader: string | undefined,
  info: LabInfo,
  tasks: readonly string[],
  runMs: [number, number],
  outageMs: [number, number],
) {
  let logged: Record<string, number> = {};
  let duringOutage: Record<string, number> = {};
  const errors: string[] = [];
  for (const task of tasks) {
    const file = `access-${task}.log`;
    const cmd = reader
      ? [reader, "nfs-cat", nfsUrl(info, file)]
      : [NFS, "cat", `${info.config.nfs.exportPath}/${file}`];
    // Retried for a while: a server just back may still be in its grace period (NFS4ERR_GRACE on OPEN).
    let r = await dockerRaw(["exec", ...cmd], { timeoutMs: 120_000 });
    for (
      const until = Date.now() + READ_RETRY_SECONDS * 1000;
      r.code !== 0 && Date.now() < until;
    ) {
      await sleep(1000);
      r = await dockerRaw(["exec", ...cmd], { timeoutMs: 120_000 });
    }
    if (r.code !== 0) {
      errors.push(
        `${cmd[1]} ${file} in ${cmd[0]} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n")[0]}`,
      );
      continue;
    }
    logged = addCounts(logged, countServed(r.stdout, runMs[0], runMs[1]));
    duringOutage = addCounts(duringOutage, countServed(r.stdout, outageMs[0], outageMs[1]));
  }
  return { logged, duringOutage, errors };
}

interface OutageRun {
  stoppedAt: number | null;
  startedAt: number | null;
  exportBackAt: number | null;
  stopWallMs: number;
  backWallMs: number;
}

/** Stop, wait out the outage, start, wait for the export. t = 0 is the stop request. */
async function outage(
  info: LabInfo,
  reader: string,
  t0: number,
  o: ScenarioOptions,
  probeFile: string | undefined,
): Promise<OutageRun> {
  const r: OutageRun = {
    stoppedAt: null,
    startedAt: null,
    exportBackAt: null,
    stopWallMs: Date.now(),
    backWallMs: 0,
  };
  const at = () => round1((performance.now() - t0) / 1000);
  o.log(
    `  nfs-stop: docker stop ${NFS} for ${OUTAGE_SECONDS} s under ${o.connections} connections`,
  );
  await docker(["stop", "-t", "5", NFS]);
  if (!(await running(NFS))) r.stoppedAt = at();
  await sleep(Math.max(0, t0 + OUTAGE_SECONDS * 1000 - performance.now()));
  await docker(["start", NFS]);
  r.startedAt = at();
  r.exportBackAt = await waitExport(reader, info, t0, EXPORT_DEADLINE_SECONDS, probeFile);
  r.backWallMs = Date.now();
  o.log(
    `  ${NFS} down at ${r.stoppedAt ?? "—"} s, started at ${r.startedAt} s, export answers at ${r.exportBackAt ?? "never"} s`,
  );
  return r;
}

interface LoadedOutage {
  readonly summary?: LoadSummary;
  readonly run?: OutageRun;
  /** The load's start on the timeline (seconds from the stop request; negative). */
  readonly loadOffsetSeconds: number;
  /** Wall-clock range of the load (the app's log timestamps are wall clock). */
  readonly loadWallMs: [number, number];
  readonly problems: readonly string[];
}

/** The load around the outage: LEAD_SECONDS before the stop, until TAIL_SECONDS after the export is back. */
async function outageUnderLoad(
  info: LabInfo,
  reader: string,
  o: ScenarioOptions,
  probeFile: string | undefined,
): Promise<LoadedOutage> {
  const load = new HttpLoad({
    url: info.url,
    connections: o.connections,
    maxDurationSeconds: 300,
    timeoutMs: 3000,
  });
  const loadStart = performance.now();
  const startWall = Date.now();
  let t0 = loadStart;
  try {
    load.start();
    await sleep(LEAD_SECONDS * 1000);
    t0 = performance.now();
    const run = await outage(info, reader, t0, o, probeFile);
    await sleep(TAIL_SECONDS * 1000);
    const summary = await load.stop();
    return {
      summary,
      run,
      loadOffsetSeconds: round1((loadStart - t0) / 1000),
      loadWallMs: [startWall, Date.now()],
      problems: [],
    };
  } catch (e) {
    const summary = await load.stop().catch(() => undefined);
    const problems = [`nfs-stop could not run: ${e instanceof Error ? e.message : String(e)}`];
    return {
      summary,
      loadOffsetSeconds: round1((loadStart - t0) / 1000),
      loadWallMs: [startWall, Date.now()],
      problems,
    };
  }
}

/** nfs-stop (issue 10): the log server stops for 20 s under load; 0 failed; every line on the export. */
export async function nfsStop(info: LabInfo, o: ScenarioOptions): Promise<ScenarioResult> {
  const manager = await reachableManager(info);
  const reader = await pickReader(info);
  const restore = () => ensureNfsRunning(info, reader, o.log);
  return healingOnSignal(`starting the NFS server ${NFS} again`, restore, o.log, async () => {
    const problems: string[] = [...(await restore())];
    const before = await taskNames(manager);
    // "Back" means a task's log can be opened and read again, not only that the export lists.
    const probeFile = before.length ? `access-${before[0]}.log` : undefined;
    if (!(await exportAnswers(reader, info, probeFile)))
      problems.push(`the export did not answer over NFSv4 from ${reader} before the outage`);
    const l = await outageUnderLoad(info, reader, o, probeFile);
    problems.push(...l.problems, ...(await restore()));
    await sleep(1000); // the app's write stream flushes asynchronously
    const tasks = [...new Set([...before, ...(await taskNames(manager).catch(() => []))])];
    const ranges: [[number, number], [number, number]] = [
      [l.loadWallMs[0], l.loadWallMs[1] + 500],
      [l.run?.stopWallMs ?? 0, l.run?.backWallMs || Date.now()],
    ];
    const got = await readLogged(reader, info, tasks, ...ranges);
    const backing = await readLogged(undefined, info, tasks, ...ranges);
    const lines: LineAccount = accountLines(l.summary?.perNode ?? {}, got.logged);
    const j = judgeNfsOutage({
      outageSeconds: OUTAGE_SECONDS,
      stoppedAt: l.run?.stoppedAt ?? null,
      startedAt: l.run?.startedAt ?? null,
      exportBackAt: l.run?.exportBackAt ?? null,
      exportDeadlineSeconds: EXPORT_DEADLINE_SECONDS,
      readErrors: got.errors,
      lines,
      ...(backing.errors.length === 0 ? { inBackingVolume: backing.logged } : {}),
    });
    return scenarioResult({
      name: "nfs-stop",
      connections: o.connections,
      load: l.summary,
      loadOffsetSeconds: l.loadOffsetSeconds,
      problems: [...j.problems, ...problems],
      marks: j.marks,
      detail: {
        outageSeconds: OUTAGE_SECONDS,
        exportBackSeconds: l.run?.exportBackAt ?? null,
        readFrom: reader,
        tasks,
        linesAnswered: lines.answered,
        linesOnExport: lines.logged,
        linesLost: lines.lost,
        linesExtra: lines.extra,
        perNode: lines.perNode,
        linesLoggedDuringOutagePerNode: got.duringOutage,
        linesInBackingVolumePerNode: backing.errors.length === 0 ? backing.logged : backing.errors,
        ...(lines.lost === 0
          ? {
              whyNoneLost:
                "in the lab the WAS writes into the export's backing volume (bind mount), so the server's outage does not touch the writes",
            }
          : {}),
        substitution: NFS_SUBSTITUTION,
        aws: AWS_MOUNT_IN_OUTAGE,
        loadFailures: l.summary?.failures ?? {},
      },
    });
  });
}
