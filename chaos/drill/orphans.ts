/**
 * After the heal: what a fault may leave behind on the returning node. A partitioned (or killed)
 * worker keeps its task's container running while the managers, which marked it Down, start a
 * replacement elsewhere. When it returns, the swarm must shut that orphan down: `docker service ls`
 * then shows 3/3 again, not 4/3. This phase waits (bounded) for it and reports what stayed.
 */

import type { Clock } from "./timeline";
import { errMsg, round, type DrillRecord } from "./record";
import { isReady } from "./target";
import type { NodeInfo, SwarmObserver, TaskInfo } from "../types";

const RUNNING = "running";

/** The tasks after the return, as the verdict judges them. */
export interface AfterReturn {
  /** The node that was faulted and came back. */
  readonly target: string;
  readonly desired: number;
  /** Tasks whose observed state is running, wherever they are and whatever their desired state. */
  readonly running: number;
  /** Of those, desired running on Ready nodes (the "restored" figure). */
  readonly runningOnReady: number;
  /** Task ids observed running although the swarm wants them shut down (the orphans), with their node. */
  readonly orphans: readonly string[];
  /** Seconds after the return it took to settle; null when it never did within the window. */
  readonly settledSeconds: number | null;
  readonly windowSeconds: number;
}

/**
 * Pure: the service's tasks seen after the return. Settled means exactly `desired` tasks run
 * (observed state), all desired running on Ready nodes: no orphan, none missing.
 */
export function judgeTasks(
  nodes: readonly NodeInfo[],
  tasks: readonly TaskInfo[],
  desired: number,
): { running: number; runningOnReady: number; orphans: string[]; settled: boolean } {
  const ready = new Set(nodes.filter(isReady).map((n) => n.id));
  const host = new Map(nodes.map((n) => [n.id, n.hostname]));
  const observedRunning = tasks.filter((t) => t.state.toLowerCase() === RUNNING);
  const wanted = observedRunning.filter((t) => t.desiredState.toLowerCase() === RUNNING);
  const runningOnReady = wanted.filter((t) => ready.has(t.nodeId)).length;
  const orphans = observedRunning
    .filter((t) => t.desiredState.toLowerCase() !== RUNNING)
    .map((t) => `${t.id} on ${host.get(t.nodeId) ?? t.nodeId}`);
  const running = observedRunning.length;
  return {
    running,
    runningOnReady,
    orphans,
    settled: running === desired && runningOnReady === desired,
  };
}

/**
 * Polls the swarm after the target is back until the tasks settle (judgeTasks) or `windowSeconds`
 * pass. Observer errors count as "not yet".
 */
export async function waitNoOrphans(
  rec: DrillRecord,
  observer: SwarmObserver,
  service: string,
  target: string,
  desired: number,
  windowSeconds: number,
  pollMs: number,
  clock: Clock = rec.clock,
): Promise<AfterReturn> {
  const start = clock.now();
  let last = { running: 0, runningOnReady: 0, orphans: [] as string[] };
  for (;;) {
    try {
      const [nodes, tasks] = await Promise.all([observer.nodes(), observer.tasks(service)]);
      const j = judgeTasks(nodes, tasks, desired);
      last = j;
      if (j.settled) {
        const settledSeconds = round((clock.now() - start) / 1000);
        rec.event(
          "tasks-settled",
          `${j.running} running after ${target} returned (desired ${desired}), ${settledSeconds} s after its return`,
        );
        return { target, desired, ...j, settledSeconds, windowSeconds };
      }
    } catch (e) {
      rec.observerError(errMsg(e));
    }
    if (clock.now() - start >= windowSeconds * 1000) break;
    await clock.sleep(pollMs);
  }
  rec.event(
    "orphans-left",
    `${windowSeconds} s after ${target} returned: ${last.running} running (desired ${desired}, ${last.runningOnReady} on Ready nodes)${last.orphans.length ? `; orphaned: ${last.orphans.join(", ")}` : ""}`,
  );
  return { target, desired, ...last, settledSeconds: null, windowSeconds };
}
