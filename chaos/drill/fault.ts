/**
 * The fault a drill injects, as a seam: the phases around it (observe, recover, verdict) never know
 * what the fault does. A kind (`stop`, `kill`, `partition`) is chosen with `--fault`; each
 * environment gives one NodeStopper per kind (lab: docker stop / docker kill / iptables inside the
 * node; AWS: Ec2Stopper / Ec2Killer / SgPartitioner), and the core wraps it in a `Fault`. The list
 * of kinds is base/faults.ts's.
 */

import type { NodeStopper } from "../types";

export interface Fault {
  /** What is done to the targets: a FaultKind (later "az-loss" over several targets). */
  readonly kind: string;
  /** The nodes the fault hits, by the name the adapters take (swarm hostname, balancer name). */
  readonly targets: readonly string[];
  /** Injects the fault on every target. May take long (an EC2 stop waiter): the core observes meanwhile. */
  inject(): Promise<void>;
  /** Undoes it on every target; called once after any injection attempt, whatever happened. */
  heal(): Promise<void>;
  /**
   * Epoch ms when the fault really took effect on every target (the latest of them), asked once
   * after inject() returned; undefined when the adapter cannot tell (AWS: the request time stays t = 0).
   */
  effectiveAt?(): Promise<number | undefined>;
}

/** A fault of `kind` through the adapter that implements it (stop = inject, start = heal). */
export function stopperFault(
  kind: string,
  stopper: NodeStopper,
  targets: readonly string[],
): Fault {
  return {
    kind,
    targets,
    inject: async () => {
      await Promise.all(targets.map((t) => stopper.stop(t)));
    },
    heal: async () => {
      await Promise.all(targets.map((t) => stopper.start(t)));
    },
    ...(stopper.effectiveAt
      ? {
          effectiveAt: async () => {
            const ats = await Promise.all(targets.map((t) => stopper.effectiveAt!(t)));
            return ats.some((a) => a === undefined) ? undefined : Math.max(...(ats as number[]));
          },
        }
      : {}),
  };
}

/** The graceful stop: `docker stop` of a lab node, EC2 StopInstances on AWS, through a NodeStopper. */
export function stopFault(stopper: NodeStopper, targets: readonly string[]): Fault {
  return stopperFault("stop", stopper, targets);
}

/**
 * The drill's name in the failure matrix (issue 10): `worker-kill`, `leader-partition`,
 * `edge-kill`, ... A manager target that held the Raft leadership is the `leader`.
 */
export function drillName(
  role: "worker" | "manager" | "edge",
  wasLeader: boolean,
  kind: string,
): string {
  const who = role === "manager" && wasLeader ? "leader" : role;
  return `${who}-${kind}`;
}
