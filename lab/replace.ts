/**
 * `npm run lab -- replace <node>`: the lab's proof of the AWS replacement path. A swarm node
 * container is removed for good (its engine state with it) and a fresh one with the same name and
 * address is started; it rejoins through the scripts components/swarmCluster.ts runs on EC2
 * (renderJoinTokenRead, the peer probe + renderSwarmInit for the first manager, renderSwarmJoin),
 * then renderSwarmPrune runs after the join, in the AWS order. The successor keeps the dead node's
 * address: the case of an EC2 replacement given its predecessor's private IP. Afterwards
 * `docker node ls` must list every node once, none Down, the replaced node under a new id (a
 * manager Reachable or Leader), a leader throughout, and the service's replicas running on Ready
 * nodes.
 */
import * as fs from "fs";
import { signalGuard, type HealRegistration } from "../base/signals";
import {
  renderJoinTokenRead,
  renderNodeLabels,
  renderSwarmInit,
  renderSwarmJoin,
  renderSwarmPrune,
} from "../renderers/swarmBootstrap";
import { labNodeZone } from "./zones";
import { LabObserver } from "./adapters";
import { checkEngine, docker, LabError, since } from "./docker";
import { nodeApiDir, nodeEngine } from "./engines";
import { appImageTar } from "./images";
import { dindFlags, labContainers, loadApp, Log, runScript, startNode, waitConverged } from "./lab";
import { NETWORK, SERVICE } from "./settings";
import { StuckDownRepair, type StuckRestart } from "./stuckDown";

/** A replacement the lab refuses to start (the CLI exits 3): nothing has been touched. */
export class ReplaceRefused extends LabError {
  constructor(message: string) {
    super(message);
    this.name = "ReplaceRefused";
  }
}

export interface LabContainer {
  readonly name: string;
  readonly role: string;
  readonly state: string;
}

export interface ReplacePlan {
  readonly target: string;
  readonly role: "manager" | "worker";
  /** Managers by number; managers[0] plays the AWS "leader instance" (init, token reads, prune). */
  readonly managers: readonly string[];
  /** The manager the token (or, for the first manager, the peer probe) is read on before the join. */
  readonly tokenFrom: string;
  /** True when the target is managers[0]: it rejoins through the peer probe + renderSwarmInit. */
  readonly firstManager: boolean;
  /** Surviving managers: the observer and the quorum watch ask them. */
  readonly survivors: readonly string[];
  /** Every swarm node container, the target included. */
  readonly nodes: readonly { readonly name: string; readonly role: "manager" | "worker" }[];
}

const nodeNumber = (name: string) => Number(name.slice(name.lastIndexOf("-") + 1));

/** Decides whether `target` may be replaced in this lab, and how. Throws ReplaceRefused saying why not. */
export function planReplace(target: string, containers: readonly LabContainer[]): ReplacePlan {
  if (containers.length === 0)
    throw new LabError(
      "no lab is running; start one with npm run lab -- up --managers 3 --no-drill",
    );
  const nodes = containers
    .filter(
      (c): c is LabContainer & { role: "manager" | "worker" } =>
        c.role === "manager" || c.role === "worker",
    )
    .sort((a, b) => a.role.localeCompare(b.role) || nodeNumber(a.name) - nodeNumber(b.name));
  const slot = containers.find((c) => c.name === target);
  if (!slot)
    throw new ReplaceRefused(
      `no container ${target} in the running lab (swarm nodes: ${nodes.map((n) => n.name).join(", ")})`,
    );
  if (slot.role !== "manager" && slot.role !== "worker")
    throw new ReplaceRefused(`${target} is the lab's ${slot.role} container, not a swarm node`);
  const stopped = nodes.filter((n) => n.name !== target && n.state !== "running");
  if (stopped.length) {
    throw new ReplaceRefused(
      `${stopped.map((n) => `${n.name} (${n.state})`).join(", ")} not running: replace one node at a time on a healthy lab (docker start it, or npm run lab -- up)`,
    );
  }
  const managers = nodes.filter((n) => n.role === "manager").map((n) => n.name);
  if (slot.role === "manager" && managers.length === 1) {
    throw new ReplaceRefused(
      `${target} is the only manager of this lab: no peer holds the swarm for a fresh node to rejoin, so it would start a new, empty swarm ` +
        `(AWS behaves the same: README "Known limits on AWS"); bring the lab up with --managers 3 to replace managers`,
    );
  }
  const firstManager = managers[0] === target;
  const survivors = managers.filter((m) => m !== target);
  return {
    target,
    role: slot.role,
    managers,
    tokenFrom: firstManager ? managers[1] : managers[0],
    firstManager,
    survivors,
    nodes: nodes.map((n) => ({ name: n.name, role: n.role })),
  };
}

/** One row of `docker node ls` (GET /nodes), with the manager's reachability. */
export interface SwarmEntry {
  readonly id: string;
  readonly hostname: string;
  readonly role: string;
  /** Status.State: ready, down, unknown, disconnected. */
  readonly status: string;
  /** ManagerStatus.Reachability: reachable, unreachable (managers only). */
  readonly reachability?: string;
  readonly leader: boolean;
}

export function entryFromEngine(n: Record<string, any>): SwarmEntry {
  return {
    id: String(n.ID),
    hostname: String(n.Description?.Hostname ?? n.ID),
    role: String(n.Spec?.Role ?? "unknown"),
    status: String(n.Status?.State ?? "unknown"),
    ...(n.ManagerStatus ? { reachability: String(n.ManagerStatus.Reachability) } : {}),
    leader: n.ManagerStatus?.Leader === true,
  };
}

/**
 * What is wrong with a `docker node ls` listing after `target` (swarm id `oldId` before) was
 * replaced: empty when every node is listed once, Ready, in its role, managers reachable, one leader,
 * and the target under a new id.
 */
export function membershipFailures(
  entries: readonly SwarmEntry[],
  plan: Pick<ReplacePlan, "nodes" | "target">,
  oldId: string,
): string[] {
  const failures: string[] = [];
  for (const e of entries)
    if (e.status === "down") failures.push(`${e.hostname} (${e.id}) is Down`);
  for (const n of plan.nodes) {
    const rows = entries.filter((e) => e.hostname === n.name);
    if (rows.length !== 1) {
      failures.push(
        `${n.name} is listed ${rows.length} times (${rows.map((r) => `${r.id} ${r.status}`).join(", ") || "missing"}); expected once`,
      );
      continue;
    }
    const e = rows[0];
    if (e.status !== "ready") failures.push(`${n.name} is ${e.status}, not ready`);
    if (e.role !== n.role) failures.push(`${n.name} rejoined as ${e.role}, expected ${n.role}`);
    if (n.role === "manager" && e.reachability !== "reachable")
      failures.push(
        `manager ${n.name} is ${e.reachability ?? "not in the Raft membership"}, expected reachable`,
      );
    if (n.name === plan.target && e.id === oldId)
      failures.push(`${n.name} kept its swarm node id ${oldId}: it was not replaced`);
  }
  const known = new Set(plan.nodes.map((n) => n.name));
  for (const e of entries)
    if (!known.has(e.hostname)) failures.push(`${e.hostname} (${e.id}) is not a node of this lab`);
  const leaders = entries.filter((e) => e.leader).length;
  if (leaders !== 1) failures.push(`${leaders} leaders listed, expected 1`);
  return failures;
}

/** One look at `docker node ls` on a surviving manager during the replacement. */
export interface QuorumSample {
  readonly atMs: number;
  /** Hostname of the Raft leader, when the manager answered and named one. */
  readonly leader?: string;
  readonly error?: string;
}

export interface QuorumVerdict {
  readonly failures: string[];
  /** Longest stretch without a leader, seconds (an election after removing the leader). */
  readonly leaderlessSeconds: number;
}

/** An election the verdict allows: it starts when `node`, the leader, went away. */
interface Election {
  readonly startMs: number;
  readonly node?: string;
  /** Said when no new leader followed. */
  readonly what: string;
  /** The first sample after the start naming a leader other than `node`. */
  readonly newLeaderAtMs?: number;
}

/**
 * A leader must be listed at every sample. The exceptions are elections: removing the leader itself
 * starts one, so samples after `removedAtMs` may lack one until the first new leader, within
 * `electionBudgetMs`; so does restarting the leader's engine to repair it (lab/stuckDown.ts:
 * swarmkit kept it Down while alive), from `repairRestarts[].atMs` of a restart with `wasLeader`.
 * Quorum held means: every other sample named a leader.
 */
export function quorumVerdict(
  samples: readonly QuorumSample[],
  o: {
    readonly removedAtMs: number;
    readonly targetWasLeader: boolean;
    readonly electionBudgetMs: number;
    /** The removed node: a follower still naming it as leader after the removal is not the new leader. */
    readonly target?: string;
    readonly repairRestarts?: readonly StuckRestart[];
  },
): QuorumVerdict {
  if (samples.length === 0)
    return { failures: ["the quorum watch took no sample"], leaderlessSeconds: 0 };
  const starts = [
    ...(o.targetWasLeader
      ? [
          {
            startMs: o.removedAtMs,
            node: o.target,
            what: "no new leader was elected after the leader was removed",
          },
        ]
      : []),
    ...(o.repairRestarts ?? [])
      .filter((r) => r.wasLeader)
      .map((r) => ({
        startMs: r.atMs,
        node: r.node,
        what: `no new leader was elected after ${r.node}'s engine was restarted`,
      })),
  ];
  // Followers keep naming the old leader until their election timeout: that is no new leader yet.
  const elections: Election[] = starts.map((e) => ({
    ...e,
    newLeaderAtMs: samples.find((s) => s.atMs >= e.startMs && s.leader && s.leader !== e.node)
      ?.atMs,
  }));
  const failures: string[] = [];
  let gapStart: number | undefined;
  let longest = 0;
  for (const s of samples) {
    if (s.leader) {
      if (gapStart !== undefined) longest = Math.max(longest, s.atMs - gapStart);
      gapStart = undefined;
      continue;
    }
    gapStart ??= s.atMs;
    const inElection = elections.some(
      (e) =>
        s.atMs >= e.startMs &&
        s.atMs < (e.newLeaderAtMs ?? Infinity) &&
        s.atMs - e.startMs <= o.electionBudgetMs,
    );
    if (inElection) continue;
    const at = ((s.atMs - o.removedAtMs) / 1000).toFixed(1);
    failures.push(`no leader at ${at} s after the removal${s.error ? ` (${s.error})` : ""}`);
  }
  if (gapStart !== undefined)
    longest = Math.max(longest, samples[samples.length - 1].atMs - gapStart);
  for (const e of elections) if (e.newLeaderAtMs === undefined) failures.push(e.what);
  // One line per stretch is enough to say what happened: keep the first and the count.
  const shown =
    failures.length > 3
      ? [...failures.slice(0, 2), `... ${failures.length - 2} more samples without a leader`]
      : failures;
  return { failures: shown, leaderlessSeconds: Number((longest / 1000).toFixed(1)) };
}

/** Polls `docker node ls` on the surviving managers every `periodMs` until stopped. */
class QuorumWatch {
  readonly samples: QuorumSample[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(managers: readonly string[], periodMs = 500) {
    this.loop = (async () => {
      while (this.running) {
        const atMs = Date.now();
        const sample = await leaderSample(managers, atMs);
        this.samples.push(sample);
        await sleep(Math.max(0, periodMs - (Date.now() - atMs)));
      }
    })();
  }

  async stop(): Promise<QuorumSample[]> {
    this.running = false;
    await this.loop;
    return this.samples;
  }
}

async function leaderSample(managers: readonly string[], atMs: number): Promise<QuorumSample> {
  const errors: string[] = [];
  for (const m of managers) {
    try {
      const entries = ((await nodeEngine(m, 2000).listNodes()) as Record<string, any>[]).map(
        entryFromEngine,
      );
      const leader = entries.find((e) => e.leader);
      return leader ? { atMs, leader: leader.hostname } : { atMs, error: `${m}: no leader listed` };
    } catch (e) {
      errors.push(
        `${m}: ${e instanceof Error ? e.message.split("\n")[0].slice(0, 120) : String(e)}`,
      );
    }
  }
  return { atMs, error: errors.join("; ") };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function listEntries(managers: readonly string[]): Promise<SwarmEntry[]> {
  let last: unknown;
  for (const m of managers) {
    try {
      return ((await nodeEngine(m, 3000).listNodes()) as Record<string, any>[]).map(
        entryFromEngine,
      );
    } catch (e) {
      last = e;
    }
  }
  throw new LabError(
    `no manager of ${managers.join(", ")} answered GET /nodes: ${last instanceof Error ? last.message : last}`,
  );
}

/**
 * Polls `docker node ls` until `ok` holds for the listing; returns it, or throws with the last reason.
 * With `stuck`, a live node kept Down by swarmkit's re-registration race gets its engine restarted.
 */
async function waitEntries(
  managers: readonly string[],
  what: string,
  timeoutMs: number,
  ok: (e: SwarmEntry[]) => string[],
  stuck?: StuckDownRepair,
): Promise<SwarmEntry[]> {
  const until = Date.now() + timeoutMs;
  let reasons: string[];
  for (;;) {
    try {
      const entries = await listEntries(managers);
      reasons = ok(entries);
      if (reasons.length === 0) return entries;
      await stuck?.check(entries);
    } catch (e) {
      reasons = [e instanceof Error ? e.message : String(e)];
    }
    if (Date.now() > until)
      throw new LabError(`${what} not reached within ${timeoutMs / 1000} s: ${reasons.join("; ")}`);
    await sleep(500);
  }
}

/** What the replacement needs from the container it removes: address, images, flags. */
interface OldNode {
  readonly ip: string;
  readonly image: string;
  readonly spec: string;
  readonly privileged: boolean;
}

async function inspectOld(target: string): Promise<OldNode> {
  const fmt = `{{(index .NetworkSettings.Networks "${NETWORK}").IPAddress}}\t{{.Config.Image}}\t{{index .Config.Labels "swarm-ha.lab.spec"}}\t{{.HostConfig.Privileged}}`;
  const [ip, image, spec, privileged] = (
    await docker(["container", "inspect", "--format", fmt, target])
  )
    .trim()
    .split("\t");
  if (!ip)
    throw new LabError(
      `${target} has no address on the network ${NETWORK}; bring the lab up again (npm run lab -- down, then up)`,
    );
  return { ip, image, spec, privileged: privileged === "true" };
}

async function containerIp(name: string): Promise<string> {
  return (
    await docker([
      "container",
      "inspect",
      "--format",
      `{{(index .NetworkSettings.Networks "${NETWORK}").IPAddress}}`,
      name,
    ])
  ).trim();
}

export interface ReplaceResult {
  readonly target: string;
  readonly role: "manager" | "worker";
  readonly oldId: string;
  readonly newId: string;
  /** Swarm ids the prune after the join removed: exactly the dead member (Down, its address now the successor's). */
  readonly prunedAfterJoin: string[];
  /** Seconds from the removal until the swarm listed the dead node Down. */
  readonly downSeconds: number;
  /** Seconds from the removal until the listing passed (every node once, Ready, new id). */
  readonly rejoinSeconds: number;
  readonly replicas: { readonly desired: number; readonly runningOnReady: number };
  readonly leaderBefore?: string;
  readonly leaderAfter?: string;
  readonly leaderlessSeconds: number;
  readonly entries: readonly SwarmEntry[];
  /** Nodes restarted while waiting because swarmkit kept them Down although alive (lab/stuckDown.ts). */
  readonly repairs: readonly string[];
  readonly failures: readonly string[];
}

/** Reads the token (or runs the peer probe) on a surviving manager and joins the fresh node. */
async function rejoin(
  plan: ReplacePlan,
  ip: string,
  ips: ReadonlyMap<string, string>,
  heartbeatSeconds: number,
): Promise<string> {
  const t = plan.target;
  if (plan.firstManager) {
    // AWS `peer-probe` + `swarm-init`: a manager token from managers[1] makes the init script join.
    const token = await runScript(
      plan.tokenFrom,
      `peer-probe-${t}`,
      renderJoinTokenRead("manager", { onlyIfActive: true }),
    );
    if (!token.startsWith("SWMTKN-"))
      throw new LabError(
        `the peer probe on ${plan.tokenFrom} returned no manager token: it is not in a swarm, so ${t} would initialise a new one`,
      );
    const init = renderSwarmInit({
      advertiseAddr: ip,
      dispatcherHeartbeatSeconds: heartbeatSeconds,
      peerManagerAddr: ips.get(plan.tokenFrom)!,
      engineWaitSeconds: 60,
    });
    return runScript(t, "swarm-init", init, `${token}\n`);
  }
  const token = await runScript(
    plan.tokenFrom,
    `token-${plan.role}-${t}`,
    renderJoinTokenRead(plan.role),
  );
  const join = renderSwarmJoin({
    role: plan.role,
    managerAddr: ips.get(plan.tokenFrom)!,
    advertiseAddr: ip,
    engineWaitSeconds: 60,
  });
  return runScript(t, "swarm-join", join, `${token}\n`);
}

const pruneScript = (addrs: Iterable<string>) =>
  renderSwarmPrune({ memberAddrs: [...addrs], engineWaitSeconds: 60 });
const ids = (out: string) =>
  out
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

/** Removes `target` for good, starts a fresh node in its place and proves it rejoined. */
export async function replaceNode(target: string, log: Log): Promise<ReplaceResult> {
  const plan = planReplace(target, await labContainers());
  const old = await inspectOld(target);
  const ips = new Map(
    await Promise.all(
      plan.nodes.map(
        async (n) => [n.name, n.name === target ? old.ip : await containerIp(n.name)] as const,
      ),
    ),
  );
  const before = await listEntries(plan.survivors);
  const oldEntry = before.find((e) => e.hostname === target && e.status !== "down");
  if (!oldEntry)
    throw new ReplaceRefused(
      `${target} is not a live member of the swarm (docker node ls on ${plan.survivors[0]}); run npm run lab -- status`,
    );
  const leaderBefore = before.find((e) => e.leader)?.hostname;
  const swarm = (await nodeEngine(plan.survivors[0], 5000).swarmInspect()) as Record<string, any>;
  const heartbeatSeconds =
    Math.round(Number(swarm.Spec?.Dispatcher?.HeartbeatPeriod ?? 5e9) / 1e6) / 1000; // ms resolution: a fractional heartbeat (0.75 s) must survive
  const service = (await nodeEngine(plan.survivors[0], 5000)
    .getService(SERVICE)
    .inspect()) as Record<string, any>;
  const app = String(service.Spec.TaskTemplate.ContainerSpec.Image).split("@")[0];
  const tar = await appImageTar(app);
  log(
    `replace ${target} (${plan.role}, ${old.ip}, swarm id ${oldEntry.id}${leaderBefore === target ? ", the Raft leader" : ""}); quorum watched on ${plan.survivors.join(", ")}`,
  );

  const watch = new QuorumWatch(plan.survivors);
  const c: SwapContext = {
    plan,
    old,
    ips,
    oldId: oldEntry.id,
    leaderBefore,
    heartbeatSeconds,
    app,
    tar,
    removal: { started: false },
  };
  // Ctrl-C once the node is gone: a fresh one rejoins through the same scripts before the exit (base/signals.ts).
  const unregister = signalGuard().register(
    replaceHeal(
      target,
      c.removal,
      () => watch.stop(),
      () => bringBack(c, log),
      log,
    ),
  );
  try {
    return await swap(c, watch, log);
  } catch (e) {
    await watch.stop();
    throw e;
  } finally {
    unregister();
  }
}

/**
 * What a signal during `replace` heals: nothing before the old node's removal began; after it, the
 * quorum watch stops and a fresh node is brought back (`bringBack`), its failure logged.
 */
export function replaceHeal(
  target: string,
  removal: { readonly started: boolean },
  stopWatch: () => Promise<unknown>,
  bringBack: () => Promise<void>,
  log: Log,
): HealRegistration {
  return {
    announce: (sig) =>
      log(
        `signal: ${sig}: ${removal.started ? `healing ${target} (a fresh node rejoins the swarm)` : "nothing changed yet, nothing to heal"} before exiting`,
      ),
    heal: async () => {
      if (!removal.started) return;
      await stopWatch();
      await bringBack().catch((e) =>
        log(
          `  ✘ could not bring ${target} back (${e instanceof Error ? e.message : e}); run npm run lab -- up`,
        ),
      );
    },
  };
}

/** Stops the replacement between steps once a signal came: the signal's heal takes over from there. */
function haltIfInterrupted(): void {
  const sig = signalGuard().interrupted;
  if (sig) throw new LabError(`interrupted by ${sig}`);
}

/**
 * The signal's heal: whatever half-made successor exists goes, and a fresh node with the target's
 * name and address rejoins through the same scripts (join, prune, zone label); no verification.
 */
async function bringBack(c: SwapContext, log: Log): Promise<void> {
  const t = performance.now();
  await docker(["rm", "-f", "-v", c.plan.target]);
  fs.rmSync(nodeApiDir(c.plan.target), { recursive: true, force: true });
  const { newId } = await startFresh(c);
  log(`  ${c.plan.target} is back in the swarm as ${newId} (${since(t)} s)`);
}

/** What the replacement read from the lab before touching it. */
interface SwapContext {
  readonly plan: ReplacePlan;
  readonly old: OldNode;
  /** Lab address of every swarm node (the target's is kept by its successor). */
  readonly ips: ReadonlyMap<string, string>;
  readonly oldId: string;
  readonly leaderBefore?: string;
  /** The swarm's own dispatcher heartbeat: renderSwarmInit re-applies it, so it must not change. */
  readonly heartbeatSeconds: number;
  /** The service's image and its cached tar (docker save), loaded into the fresh engine. */
  readonly app: string;
  readonly tar: string;
  /** Set once the old container's removal began: from then on a signal must bring a node back. */
  readonly removal: { started: boolean };
}

/** The replacement proper: remove, start fresh, rejoin, prune (AWS order), label, verify. */
async function swap(c: SwapContext, watch: QuorumWatch, log: Log): Promise<ReplaceResult> {
  const { plan, oldId, leaderBefore } = c;
  const target = plan.target;
  const removedAt = Date.now();
  haltIfInterrupted();
  c.removal.started = true;
  await docker(["rm", "-f", "-v", target]); // -v: its anonymous /var/lib/docker (engine state, swarm keys) goes too
  fs.rmSync(nodeApiDir(target), { recursive: true, force: true });
  log(`  removed container ${target} and its engine state`);
  const wasDown = (e: SwarmEntry[]) =>
    e.some((x) => x.id === oldId && x.status === "down")
      ? []
      : [`${target} (${oldId}) not yet Down`];
  await waitEntries(plan.survivors, `${target} listed Down`, 60_000, wasDown);
  const downSeconds = Number(((Date.now() - removedAt) / 1000).toFixed(1));
  log(`  the swarm lists ${oldId} Down after ${downSeconds} s`);
  haltIfInterrupted();
  const { newId, prunedAfterJoin } = await startFresh(c, log);
  return finish(
    plan,
    { oldId, newId, leaderBefore, prunedAfterJoin, downSeconds, removedAt },
    watch,
    log,
  );
}

/** A fresh node with the target's name and address: start, load the app, rejoin, prune, zone label. */
async function startFresh(
  c: SwapContext,
  log?: Log,
): Promise<{ newId: string; prunedAfterJoin: string[] }> {
  const { plan, old, ips, heartbeatSeconds } = c;
  const target = plan.target;
  await startNode(
    { name: target, role: plan.role, ip: old.ip },
    { node: old.image },
    old.spec,
    dindFlags((await checkEngine()).cgroupVersion, old.privileged),
  );
  await runScript(target, "wait-engine", "until docker info >/dev/null 2>&1; do sleep 0.5; done\n");
  await loadApp(target, c.app, c.tar);
  const t = performance.now();
  const newId = await rejoin(plan, old.ip, ips, heartbeatSeconds);
  log?.(
    `  ${plan.firstManager ? "peer probe on " + plan.tokenFrom + " + renderSwarmInit (joins, never inits)" : "renderJoinTokenRead on " + plan.tokenFrom + " + renderSwarmJoin"}: ${target} is ${newId} (${since(t)} s)`,
  );

  // The AWS order: the prune after every join, on managers[0], with every node's address. The dead
  // member shares its address with its successor, so the prune must remove it as a Down member whose
  // address a live member holds (a manager is joined while its dead predecessor is still in Raft).
  const prunedAfterJoin = ids(
    await runScript(plan.managers[0], "swarm-prune", pruneScript(ips.values())),
  );
  log?.(
    `  renderSwarmPrune on ${plan.managers[0]} (all addresses) removed: ${prunedAfterJoin.join(", ") || "nothing"}`,
  );
  // The AWS order again: the zone label after the prune (a fresh node id has none; the WAS spreads on it).
  const zone = labNodeZone(plan.role, nodeNumber(target) - 1);
  await runScript(
    plan.managers[0],
    "zone-labels",
    renderNodeLabels({ nodes: [{ nodeId: newId, zone }], engineWaitSeconds: 60 }),
  );
  log?.(`  renderNodeLabels on ${plan.managers[0]}: ${target} in ${zone}`);
  return { newId, prunedAfterJoin };
}

/** Waits for the listing and the replicas, stops the quorum watch and assembles the verdict. */
async function finish(
  plan: ReplacePlan,
  r: Pick<ReplaceResult, "oldId" | "newId" | "leaderBefore" | "prunedAfterJoin" | "downSeconds"> & {
    removedAt: number;
  },
  watch: QuorumWatch,
  log: Log,
): Promise<ReplaceResult> {
  const failures: string[] = [];
  const stuck = new StuckDownRepair(20, log);
  let entries: SwarmEntry[];
  let rejoinSeconds = NaN;
  try {
    entries = await waitEntries(
      plan.managers,
      "one Ready entry per node, none Down",
      90_000,
      (e) => membershipFailures(e, plan, r.oldId),
      stuck,
    );
    rejoinSeconds = Number(((Date.now() - r.removedAt) / 1000).toFixed(1));
  } catch (e) {
    failures.push(e instanceof Error ? e.message : String(e));
    entries = await listEntries(plan.managers).catch(() => []);
  }
  if (r.prunedAfterJoin.join() !== r.oldId)
    failures.push(
      `the prune after the join removed [${r.prunedAfterJoin.join(", ")}], expected exactly the dead member ${r.oldId}`,
    );
  const observer = new LabObserver(plan.managers);
  let replicas = { desired: 0, runningOnReady: 0 };
  try {
    const runningOnReady = await waitConverged(
      observer,
      plan.managers.find((m) => m !== plan.target) ?? plan.managers[0],
      120_000,
    );
    replicas = { desired: await observer.desiredReplicas(SERVICE), runningOnReady };
  } catch (e) {
    failures.push(e instanceof Error ? e.message : String(e));
  }
  const q = quorumVerdict(await watch.stop(), {
    removedAtMs: r.removedAt,
    targetWasLeader: r.leaderBefore === plan.target,
    electionBudgetMs: 30_000,
    target: plan.target,
    repairRestarts: stuck.restarts,
  });
  failures.push(...q.failures);
  const leaderAfter = entries.find((e) => e.leader)?.hostname;
  for (const e of entries)
    log(
      `  ${e.hostname.padEnd(20)} ${e.id} ${e.role.padEnd(7)} ${e.status}${e.reachability ? `/${e.reachability}` : ""}${e.leader ? " leader" : ""}`,
    );
  log(
    `  replicas ${replicas.runningOnReady}/${replicas.desired} on Ready nodes; leader ${r.leaderBefore} → ${leaderAfter}; longest stretch without a leader ${q.leaderlessSeconds} s; rejoined ${rejoinSeconds} s after the removal`,
  );
  return {
    target: plan.target,
    role: plan.role,
    ...r,
    rejoinSeconds,
    replicas,
    leaderAfter,
    leaderlessSeconds: q.leaderlessSeconds,
    entries,
    repairs: stuck.repairs,
    failures,
  };
}
