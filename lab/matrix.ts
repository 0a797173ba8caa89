/**
 * `npm run lab -- matrix`: the failure matrix on a prod-shaped lab. Every scenario of
 * chaos/scenarios/matrix.ts SCENARIO_NAMES, in order, under N keep-alive connections through the floating
 * address, with a steady-state check before each one so one scenario's leftovers never fail the
 * next. The scenarios come as a table (built in the composition root, lab/cli.ts): the six drill
 * scenarios below run the shared drill core (chaos/drill/core.ts runDrill) over the lab adapters; a
 * scenario missing from the table is a failed row ("not wired"), never a pass.
 */
import { signalGuard } from "../base/signals";
import { withDockerDefaults } from "./drill";
import { runDrill, type DrillResult } from "../chaos/drill/core";
import type { FaultKind } from "../base/faults";
import { HttpLoad } from "../chaos/load/load";
import {
  judgeScenario,
  notRunResult,
  notWiredResult,
  SCENARIO_NAMES,
  scenarioFromDrill,
  type ScenarioName,
  type ScenarioResult,
} from "../chaos/scenarios/matrix";
import type { BaselineRow, MatrixRun } from "../chaos/scenarios/matrixReport";
import { resolveZoneLoss } from "../chaos/drill/preflight";
import { countRunningOnReady } from "../chaos/drill/target";
import type { EdgeObserver, NodeStopper } from "../chaos/types";
import { labFaultStopper, LabObserver } from "./adapters";
import { docker } from "./docker";
import { nodeEngine } from "./engines";
import { createLabEdgeAdapters, LabEdgeObserver } from "./edge";
import { labContainers, vipHolders, type LabInfo, type Log } from "./lab";
import { SERVICE } from "./settings";
import { StuckDownRepair } from "./stuckDown";
import { LabZoneKiller } from "./zoneKiller";
import { LAB_ZONES, labEdgeZone } from "./zones";

/** One scenario of the matrix on a running lab: what h14's update and NFS scenarios implement too. */
export type LabScenario = (
  info: LabInfo,
  o: { readonly connections: number; readonly log: Log },
) => Promise<ScenarioResult>;
export type ScenarioTable = Partial<Readonly<Record<ScenarioName, LabScenario>>>;
/**
 * Resolves when the lab is steady (undefined) or says why it is not. What it had to repair on the
 * way (a node restarted) goes into `repairs`, one sentence each.
 */
export type SteadyCheck = (
  info: LabInfo,
  log: Log,
  repairs?: string[],
) => Promise<string | undefined>;

export interface MatrixOptions {
  readonly connections: number;
  /** The whole matrix this many times in a row. Default 1. */
  readonly passes?: number;
  /** Only these scenarios (in SCENARIO_NAMES order); default all. */
  readonly only?: readonly ScenarioName[];
  readonly log: Log;
  readonly steady: SteadyCheck;
  /** The lab's shape, recorded in matrix.json. */
  readonly lab?: Readonly<Record<string, unknown>>;
  /** Called after each pass (the CLI writes the report as it goes). */
  readonly onPass?: (runs: readonly MatrixRun[]) => void;
}

const errMsg = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The scenarios to run, in SCENARIO_NAMES order. */
export function selectScenarios(only?: readonly ScenarioName[]): ScenarioName[] {
  return only === undefined ? [...SCENARIO_NAMES] : SCENARIO_NAMES.filter((n) => only.includes(n));
}

/**
 * A row as the matrix keeps it: the name the table ran it under, `passed` only with no failure,
 * and judged by MATRIX_BUDGETS when the scenario did not judge itself (no `detail.budget`).
 */
export function normalizeRow(
  name: ScenarioName,
  row: ScenarioResult,
  connections: number,
): ScenarioResult {
  const named =
    row.name === name
      ? row
      : {
          ...row,
          name,
          failures: [...row.failures, `the scenario function returned a row named ${row.name}`],
        };
  const judged =
    named.detail?.budget === undefined
      ? judgeScenario(named, named.failures, { connections })
      : named;
  return { ...judged, passed: judged.passed && judged.failures.length === 0 };
}

/** One scenario: not wired, lab not steady, threw, or its (normalized) row. Never throws. */
async function runOne(
  name: ScenarioName,
  info: LabInfo,
  table: ScenarioTable,
  o: MatrixOptions,
  repairs: string[],
): Promise<ScenarioResult> {
  const fn = table[name];
  if (!fn) return notWiredResult(name);
  let unsteady: string | undefined;
  try {
    unsteady = await o.steady(info, o.log, repairs);
  } catch (e) {
    unsteady = `the steady-state check failed: ${errMsg(e)}`;
  }
  if (unsteady !== undefined)
    return notRunResult(name, `the lab is not steady before it: ${unsteady}`);
  try {
    return normalizeRow(
      name,
      await fn(info, { connections: o.connections, log: o.log }),
      o.connections,
    );
  } catch (e) {
    return notRunResult(name, `it stopped with an error before producing a result: ${errMsg(e)}`);
  }
}

/** Runs the matrix `passes` times; returns every pass (the caller writes the report and decides the exit). */
export async function runMatrix(
  info: LabInfo,
  table: ScenarioTable,
  o: MatrixOptions,
): Promise<MatrixRun[]> {
  const names = selectScenarios(o.only);
  const passes = o.passes ?? 1;
  const runs: MatrixRun[] = [];
  for (let pass = 1; pass <= passes; pass++) {
    const started = Date.now();
    const startedAt = new Date(started).toISOString();
    const scenarios: ScenarioResult[] = [];
    for (const name of names) {
      if (signalGuard().interrupted) return runs; // healing before the exit: start nothing more
      o.log(
        `▶ matrix${passes > 1 ? ` pass ${pass}/${passes}` : ""}: ${name} (${o.connections} connections)`,
      );
      const repairs: string[] = [];
      const row = await runOne(name, info, table, o, repairs);
      // What the steady check repaired before this scenario was left by the one before it: say so on that row.
      const prev = scenarios.length - 1;
      if (repairs.length && prev >= 0)
        scenarios[prev] = withRepairs(scenarios[prev], "repairedAfter", repairs);
      scenarios.push(
        repairs.length && prev < 0 ? withRepairs(row, "repairedBefore", repairs) : row,
      );
      o.log(`${row.passed ? "✔" : "✘"} ${scenarioLine(row)}`);
    }
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    const passed = scenarios.length > 0 && scenarios.every((s) => s.passed);
    runs.push({
      connections: o.connections,
      scenarios,
      passed,
      pass,
      passes,
      startedAt,
      seconds,
      ...(o.lab ? { lab: o.lab } : {}),
    });
    o.onPass?.(runs);
  }
  return runs;
}

function withRepairs(
  row: ScenarioResult,
  key: "repairedAfter" | "repairedBefore",
  repairs: readonly string[],
): ScenarioResult {
  return { ...row, detail: { ...row.detail, [key]: [...repairs] } };
}

/** One log line per row. */
export function scenarioLine(s: ScenarioResult): string {
  const f = (x: number | null) => (x === null ? "—" : `${x} s`);
  return (
    `${s.name} ${s.passed ? "passed" : "FAILED"}: restore ${f(s.restoreSeconds)}, detect ${f(s.detectSeconds)}, ` +
    `${s.load.failed}/${s.load.requests} failed, p50 ${s.load.p50Ms} ms, p99 ${s.load.p99Ms} ms, resent ${s.load.resent}` +
    (s.failures.length ? `; ${s.failures.join("; ")}` : "")
  );
}

// ---------------------------------------------------------------------------------------------
// The steady state between scenarios

/** What the lab looks like now, judged: undefined when steady, else every reason it is not. Pure. */
export function unsteadyReasons(v: {
  readonly stoppedContainers: readonly string[];
  readonly notReady: readonly string[];
  readonly desired: number;
  readonly runningOnReady: number;
  readonly desiredRunning: number;
  readonly updating?: string;
  readonly holders?: readonly string[];
  /** Balancers whose keepalived reports no VRRP state yet (a takeover needs a standby that is BACKUP). */
  readonly edgesNotReady?: readonly string[];
}): string | undefined {
  const why: string[] = [];
  if (v.stoppedContainers.length)
    why.push(`containers not running: ${v.stoppedContainers.join(", ")}`);
  if (v.notReady.length) why.push(`nodes not Ready/active: ${v.notReady.join(", ")}`);
  if (v.runningOnReady !== v.desired)
    why.push(`${v.runningOnReady}/${v.desired} replicas running on Ready nodes`);
  if (v.desiredRunning !== v.desired)
    why.push(`${v.desiredRunning} tasks meant to run (desired ${v.desired})`);
  if (v.updating) why.push(`service update ${v.updating}`);
  if (v.holders && v.holders.length !== 1)
    why.push(
      `floating address held by ${v.holders.length ? v.holders.join(" and ") : "no balancer"} (exactly one must)`,
    );
  if (v.edgesNotReady?.length)
    why.push(`balancers not in VRRP (no MASTER/BACKUP state): ${v.edgesNotReady.join(", ")}`);
  return why.length ? why.join("; ") : undefined;
}

/** Reads the lab once for unsteadyReasons. */
async function readSteady(info: LabInfo, observer: LabObserver): Promise<string | undefined> {
  const cs = await labContainers();
  const [nodes, tasks, desired] = await Promise.all([
    observer.nodes(),
    observer.tasks(SERVICE),
    observer.desiredReplicas(SERVICE),
  ]);
  const edges = info.layout.edges.map((e) => e.name);
  const holders = info.layout.vip ? await vipHolders(edges, info.layout.vip) : undefined;
  const pair = info.layout.vip ? new LabEdgeObserver(edges, info.layout.vip, info.url) : undefined;
  const inVrrp = pair ? await Promise.all(edges.map((e) => pair.ready(e))) : [];
  const edgesNotReady = edges.filter((_, i) => pair !== undefined && !inVrrp[i]);
  const updating = await updateState(info.managers);
  return unsteadyReasons({
    stoppedContainers: cs.filter((c) => c.state !== "running").map((c) => `${c.name} (${c.state})`),
    notReady: nodes
      .filter((n) => n.status !== "ready" || n.availability !== "active")
      .map((n) => `${n.hostname} ${n.status}/${n.availability}`),
    desired,
    runningOnReady: countRunningOnReady(nodes, tasks),
    desiredRunning: tasks.filter((t) => t.desiredState === "running").length,
    ...(holders ? { holders } : {}),
    ...(updating ? { updating } : {}),
    edgesNotReady,
  });
}

/** The service's update state when an update or rollback is under way, from the first manager that answers. */
async function updateState(managers: readonly string[]): Promise<string | undefined> {
  for (const m of managers) {
    try {
      const svc = (await nodeEngine(m, 5000).getService(SERVICE).inspect()) as {
        UpdateStatus?: { State?: string };
      };
      const state = svc.UpdateStatus?.State;
      return state === "updating" || state === "rollback_started" ? state : undefined;
    } catch {
      // that manager is down or not a manager any more: ask the next
    }
  }
  throw new Error(`no manager answered (${managers.join(", ")})`);
}

/**
 * The lab's steady state before a scenario: every lab container running (a container a failed heal
 * left stopped is started once), every node Ready and active, the desired replicas on Ready nodes
 * and no more, one holder of the floating address; held for `holdSeconds`, within `timeoutSeconds`.
 * A node stuck Down while alive (lab/stuckDown.ts) for `stuckSeconds` gets its engine restarted,
 * once per check, and the repair is reported.
 */
export function labSteadyCheck(
  timeoutSeconds = 120,
  holdSeconds = 3,
  stuckSeconds = 20,
): SteadyCheck {
  return async (info, log, repairs = []) => {
    const observer = new LabObserver(info.managers);
    const stopped = (await labContainers()).filter((c) => c.state !== "running").map((c) => c.name);
    if (stopped.length) {
      log(`  steady: starting ${stopped.join(", ")} (left stopped by an earlier scenario)`);
      await docker(["start", ...stopped]);
    }
    const until = Date.now() + timeoutSeconds * 1000;
    const stuck = new StuckDownRepair(stuckSeconds, log, repairs);
    let steadySince: number | undefined;
    let last: string | undefined = "not read yet";
    while (Date.now() < until) {
      try {
        last = await readSteady(info, observer);
        if (last !== undefined) await stuck.check(await observer.nodes());
      } catch (e) {
        last = `cannot read the lab: ${errMsg(e)}`;
      }
      if (last === undefined) {
        steadySince ??= Date.now();
        if (Date.now() - steadySince >= holdSeconds * 1000) return undefined;
      } else steadySince = undefined;
      await new Promise((r) => setTimeout(r, 500));
    }
    return last === undefined
      ? `steady only briefly, never ${holdSeconds} s in a row within ${timeoutSeconds} s`
      : `${last} (still after ${timeoutSeconds} s)`;
  };
}

// ---------------------------------------------------------------------------------------------
// az-loss: which zone

export interface ZoneCandidate {
  readonly zone: string;
  /** undefined: the loss is allowed (quorum kept, a slot per replica left); else why not. */
  readonly refused?: string;
  readonly holdsVip: boolean;
  readonly holdsLeader: boolean;
  readonly ranTask: boolean;
  readonly victims: readonly string[];
}

/**
 * The zone whose loss is hardest but allowed: the one with the balancer holding the floating
 * address first (the clients' connections die with it), then the Raft leader, then a replica,
 * then the most nodes. Pure.
 */
export function chooseAzLossZone(
  cs: readonly ZoneCandidate[],
): { ok: true; zone: ZoneCandidate; why: string } | { ok: false; reason: string } {
  const allowed = cs.filter((c) => c.refused === undefined);
  if (allowed.length === 0)
    return {
      ok: false,
      reason: `no zone may be lost: ${cs.map((c) => `${c.zone}: ${c.refused}`).join("; ")}`,
    };
  const score = (c: ZoneCandidate) =>
    (c.holdsVip ? 8 : 0) + (c.holdsLeader ? 4 : 0) + (c.ranTask ? 2 : 0);
  const best = [...allowed].sort(
    (a, b) =>
      score(b) - score(a) || b.victims.length - a.victims.length || a.zone.localeCompare(b.zone),
  )[0];
  const traits = [
    best.holdsVip && "the balancer holding the floating address",
    best.holdsLeader && "the Raft leader",
    best.ranTask && "a replica",
  ].filter(Boolean);
  const others = cs
    .filter((c) => c !== best)
    .map((c) => `${c.zone}${c.refused ? ` refused: ${c.refused}` : ""}`);
  return {
    ok: true,
    zone: best,
    why: `${best.zone} (${best.victims.join(", ")}) holds ${traits.length ? traits.join(", ") : "no holder, leader or replica"}; the hardest allowed loss (others: ${others.join("; ")})`,
  };
}

/** Reads the live lab into zone candidates (the zone labels are the truth; balancers by lab/zones.ts). */
async function zoneCandidates(info: LabInfo, observer: LabObserver): Promise<ZoneCandidate[]> {
  const [desired, nodes, tasks, placement] = await Promise.all([
    observer.desiredReplicas(SERVICE),
    observer.nodes(),
    observer.tasks(SERVICE),
    observer.placement(SERVICE),
  ]);
  const edges = info.layout.edges.map((e) => e.name);
  const holders = info.layout.vip ? await vipHolders(edges, info.layout.vip) : [];
  return LAB_ZONES.map((zone) => {
    const c = resolveZoneLoss(nodes, tasks, zone, {
      desired,
      managersRunTasks: info.config.managers.runTasks,
      placement,
    });
    const balancers = edges.filter((_, i) => labEdgeZone(i) === zone);
    const victims = [
      ...nodes
        .filter((n) => n.zone === zone)
        .map((n) => n.hostname)
        .sort(),
      ...balancers,
    ];
    return {
      zone,
      ...(c.ok ? {} : { refused: c.reason }),
      holdsVip: balancers.some((b) => holders.includes(b)),
      holdsLeader: nodes.some((n) => n.zone === zone && n.leader === true),
      ranTask: c.ok ? c.ranTask : false,
      victims,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// The six drill scenarios

/** The drill's restore deadline in the matrix (the budgets are far tighter; this bounds a hung run). */
const DEADLINE_SECONDS = 60;

interface DrillPlan {
  readonly target: string;
  readonly fault: FaultKind;
  /** Whether "per-connection" applies (edge-kill; az-loss of the holder's zone). */
  readonly perConnection: boolean;
  readonly why?: string;
}

/** Runs the drill core on the lab for one plan; the matrix budget (not the drill's) judges the load. */
async function labDrill(
  info: LabInfo,
  plan: DrillPlan,
  o: { connections: number; log: Log },
): Promise<DrillResult> {
  const expire = DEADLINE_SECONDS + 60;
  let stopper: NodeStopper;
  let edge: EdgeObserver | undefined;
  if (plan.target === "edge") {
    edge = (await createLabEdgeAdapters({ log: (l) => o.log(`  ${l}`) })).edge;
    stopper = labFaultStopper(plan.fault, ["nginx"], expire);
  } else if (plan.target.startsWith("az:")) stopper = new LabZoneKiller((l) => o.log(`  ${l}`));
  else stopper = labFaultStopper(plan.fault, ["manager", "worker"], expire);
  return runDrill(new LabObserver(info.managers), stopper, {
    service: SERVICE,
    target: plan.target,
    fault: plan.fault,
    deadlineSeconds: DEADLINE_SECONDS,
    rejoinDeadlineSeconds: 180,
    managersRunTasks: info.config.managers.runTasks,
    ...(edge ? { edge } : {}),
    load: new HttpLoad({
      url: info.url,
      connections: o.connections,
      maxDurationSeconds: DEADLINE_SECONDS + 240,
      timeoutMs: 3000,
    }),
    // The drill judges the mechanics (restored, rejoined, no orphan, one holder); MATRIX_BUDGETS judges the figures.
    maxFailed: Number.MAX_SAFE_INTEGER,
    maxP99Ms: Number.MAX_SAFE_INTEGER,
    takeoverBudgetSeconds: Number.MAX_SAFE_INTEGER,
    log: (l) => o.log(`  ${l}`),
  });
}

/** A drill scenario: plan it on the live lab, run it, turn the result into a judged row. */
function drillScenario(
  name: ScenarioName,
  plan: (info: LabInfo, log: Log) => Promise<DrillPlan | { refused: string }>,
): LabScenario {
  return async (info, o) => {
    const p = await plan(info, o.log);
    if ("refused" in p) return notRunResult(name, p.refused);
    const r = await labDrill(info, p, o);
    const row = scenarioFromDrill(name, r, {
      connections: o.connections,
      perConnection: p.perConnection,
    });
    const own =
      name === "leader-kill" && r.drill !== "leader-kill" && !r.refused
        ? [`the killed manager ${r.target.node} was not the Raft leader (drill ${r.drill})`]
        : [];
    const why =
      p.why ?? `${r.target.node} (${r.target.role})${r.targetWhy ? `: ${r.targetWhy}` : ""}`;
    return {
      ...row,
      passed: row.passed && own.length === 0,
      failures: [...row.failures, ...own],
      detail: { ...row.detail, why },
    };
  };
}

const fixed =
  (target: string, fault: FaultKind, perConnection = false) =>
  async (): Promise<DrillPlan> => ({ target, fault, perConnection });

/** az-loss: the hardest allowed zone, chosen on the live lab; per-connection only if it held the address. */
async function azLossPlan(info: LabInfo, log: Log): Promise<DrillPlan | { refused: string }> {
  const choice = chooseAzLossZone(await zoneCandidates(info, new LabObserver(info.managers)));
  if (!choice.ok) return { refused: choice.reason };
  log(`  az-loss: ${choice.why}`);
  return {
    target: `az:${choice.zone.zone}`,
    fault: "kill",
    perConnection: choice.zone.holdsVip,
    why: choice.why,
  };
}

/** The six scenarios that run the drill core: the composition root puts them in the matrix table. */
export function labDrillScenarios(): Pick<
  Record<ScenarioName, LabScenario>,
  "worker-stop" | "worker-kill" | "worker-partition" | "leader-kill" | "az-loss" | "edge-kill"
> {
  return {
    "worker-stop": drillScenario("worker-stop", fixed("worker", "stop")),
    "worker-kill": drillScenario("worker-kill", fixed("worker", "kill")),
    "worker-partition": drillScenario("worker-partition", fixed("worker", "partition")),
    "leader-kill": drillScenario("leader-kill", fixed("manager", "kill")),
    "az-loss": drillScenario("az-loss", azLossPlan),
    "edge-kill": drillScenario("edge-kill", fixed("edge", "kill", true)),
  };
}

/** A baseline row (Docker's default timings) from a judged scenario row. */
export function baselineRow(s: ScenarioResult): BaselineRow {
  return {
    detectSeconds: s.detectSeconds,
    restoreSeconds: s.restoreSeconds,
    requests: s.load.requests,
    failed: s.load.failed,
    passed: s.passed,
  };
}

/**
 * `--baseline`: worker-stop and worker-kill once more with Docker's default timings (heartbeat 5 s,
 * restart delay 5 s), the way lab/drill.ts measures its baseline; the tuned timings come back after,
 * whatever happens. The rows fail the tuned budgets by design: only their figures are kept.
 */
export async function runBaseline(
  info: LabInfo,
  table: ScenarioTable,
  o: Pick<MatrixOptions, "connections" | "log" | "steady">,
  setTimings: (kind: "docker-defaults" | "tuned") => Promise<void>,
): Promise<Partial<Record<ScenarioName, BaselineRow>>> {
  const out: Partial<Record<ScenarioName, BaselineRow>> = {};
  o.log("▶ baseline: Docker's default timings (heartbeat 5 s, restart delay 5 s)");
  // Ctrl-C from here on: the row's drill heals its fault, then the tuned timings come back.
  return withDockerDefaults(
    setTimings,
    "▶ baseline: back to the tuned timings",
    o.log,
    async () => {
      for (const name of ["worker-stop", "worker-kill"] as const) {
        if (signalGuard().interrupted) break;
        o.log(`▶ baseline: ${name}`);
        const row = await runOne(name, info, table, o, []);
        o.log(`  baseline ${scenarioLine(row)}`);
        out[name] = baselineRow(row);
      }
      return out;
    },
  );
}
