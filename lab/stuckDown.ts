/**
 * A node the leader keeps Down although it is alive, and its repair (lab side).
 *
 * swarmkit (moby/swarmkit manager/dispatcher/dispatcher.go) can leave a live node Down after a
 * leadership change: the new leader gives every node an "unknown" grace of 6 x heartbeat
 * (markNodesUnknown). When a node registers as that grace expires, `register` queues Ready
 * (markNodeReady), the expiry's markNodeNotReady overwrites it with Down in the same batched update
 * and deletes the old entry, and only then `register` adds the new session (nodes.Add). The session
 * is valid, heartbeats keep succeeding, so nothing ever breaks it, and the store says Down: leader log
 * `heartbeat expiration for node <id> in state "unknown"`, then `worker <id> was successfully
 * registered` a fraction of a second later; node status `heartbeat failure for node in "unknown"
 * state`. Seen in the lab on 2026-12-03: a worker still Down 4 minutes after a leader kill, and a new
 * leader showing itself and a worker Down for over 2 minutes after a leader replacement. The node's
 * old tasks were moved elsewhere, so it costs spare capacity, not requests. An engine restart makes it
 * register again, Ready (on AWS: `sudo systemctl restart docker` on that node, README "Day-2").
 */
import { docker } from "./docker";
import { nodeEngine } from "./engines";
import type { Log } from "./lab";

/** A node's own engine, as `docker info` reports its swarm membership. */
export interface EngineSwarmView {
  readonly localNodeState: string;
  readonly error: string;
}

/**
 * Nodes to restart: the leader shows them Down, yet their own engine reports an active swarm
 * membership without error, and has for `stuckSeconds` or more (`downSince`: when each was first
 * seen so; updated here). Pure.
 */
export function stuckDownNodes(
  nodes: readonly { readonly hostname: string; readonly status: string }[],
  engines: Readonly<Record<string, EngineSwarmView | undefined>>,
  downSince: Map<string, number>,
  now: number,
  stuckSeconds: number,
): string[] {
  const stuck: string[] = [];
  const alive = new Set<string>();
  // A hostname with another entry that is not Down is a replaced node's old entry, not a stuck one.
  const upNames = new Set(nodes.filter((n) => n.status !== "down").map((n) => n.hostname));
  for (const n of nodes) {
    const e = engines[n.hostname];
    if (
      n.status !== "down" ||
      upNames.has(n.hostname) ||
      !e ||
      e.localNodeState !== "active" ||
      e.error !== ""
    )
      continue;
    alive.add(n.hostname);
    const since = downSince.get(n.hostname) ?? now;
    downSince.set(n.hostname, since);
    if (now - since >= stuckSeconds * 1000) stuck.push(n.hostname);
  }
  for (const name of [...downSince.keys()]) if (!alive.has(name)) downSince.delete(name);
  return stuck;
}

async function engineSwarmView(node: string): Promise<EngineSwarmView | undefined> {
  try {
    const info = (await nodeEngine(node, 3000).info()) as {
      Swarm?: { LocalNodeState?: string; Error?: string };
    };
    return { localNodeState: info.Swarm?.LocalNodeState ?? "", error: info.Swarm?.Error ?? "" };
  } catch {
    return undefined; // its engine does not answer: a real Down, not a stuck one
  }
}

/** One engine restart by the repair: whom, when, and whether the listing named it the Raft leader. */
export interface StuckRestart {
  readonly node: string;
  readonly atMs: number;
  /** Restarting the leader starts an election: the replace verdict allows its leaderless samples. */
  readonly wasLeader: boolean;
}

/** What the repair reads and does; the lab's engines by default, scripted in tests. */
export interface StuckDownDeps {
  readonly view: (node: string) => Promise<EngineSwarmView | undefined>;
  readonly restart: (node: string) => Promise<unknown>;
  readonly now: () => number;
}

const LAB_DEPS: StuckDownDeps = {
  view: engineSwarmView,
  restart: (node) => docker(["restart", "--time", "10", node]),
  now: () => Date.now(),
};

/**
 * Watches node listings for nodes stuck Down while alive and restarts each one's engine once (a
 * second occurrence is left to fail whatever waits on it). Every repair is logged and kept.
 */
export class StuckDownRepair {
  private readonly downSince = new Map<string, number>();
  private readonly restarted = new Set<string>();
  readonly restarts: StuckRestart[] = [];
  constructor(
    private readonly stuckSeconds: number,
    private readonly log: Log,
    readonly repairs: string[] = [],
    private readonly deps: StuckDownDeps = LAB_DEPS,
  ) {}

  /** One look at a listing (hostname, status, leader per node); restarts what has been stuck long enough. */
  async check(
    nodes: readonly {
      readonly hostname: string;
      readonly status: string;
      readonly leader?: boolean;
    }[],
  ): Promise<void> {
    const down = nodes.filter((n) => n.status === "down").map((n) => n.hostname);
    if (down.length === 0) return this.downSince.clear();
    const views = Object.fromEntries(
      await Promise.all(down.map(async (n) => [n, await this.deps.view(n)] as const)),
    );
    for (const node of stuckDownNodes(
      nodes,
      views,
      this.downSince,
      this.deps.now(),
      this.stuckSeconds,
    )) {
      if (this.restarted.has(node)) continue;
      this.restarted.add(node);
      const wasLeader = nodes.some((n) => n.hostname === node && n.leader === true);
      const why = `${node}${wasLeader ? " (the Raft leader)" : ""} was shown Down for ${this.stuckSeconds} s while its engine reported an active swarm membership (swarmkit: the leader's unknown-node expiry raced its re-registration after a leadership change); its engine was restarted`;
      this.log(`  ${why}`);
      this.restarts.push({ node, atMs: this.deps.now(), wasLeader });
      await this.deps.restart(node);
      this.downSince.delete(node);
      this.repairs.push(why);
    }
  }
}
