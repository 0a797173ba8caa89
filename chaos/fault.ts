/**
 * The fault a drill injects, as a seam: the phases around it (observe, recover, verdict) never know
 * what the fault does. Today's one kind is the graceful stop; a hard kill, a network partition or
 * the loss of a whole availability zone are further `Fault`s over one or more targets, built from
 * their own adapters, with no change to the observation loop.
 */

import type { NodeStopper } from "./types";

export interface Fault {
  /** What is done to the targets, e.g. "stop" (later "kill", "partition"). */
  readonly kind: string;
  /** The nodes the fault hits, by the name the adapters take (swarm hostname, balancer name). */
  readonly targets: readonly string[];
  /** Injects the fault on every target. May take long (an EC2 stop waiter): the core observes meanwhile. */
  inject(): Promise<void>;
  /** Undoes it on every target; called once after any injection attempt, whatever happened. */
  heal(): Promise<void>;
}

/** The graceful stop: `docker stop` of a lab node, EC2 StopInstances on AWS, through a NodeStopper. */
export function stopFault(stopper: NodeStopper, targets: readonly string[]): Fault {
  return {
    kind: "stop",
    targets,
    inject: async () => {
      await Promise.all(targets.map((t) => stopper.stop(t)));
    },
    heal: async () => {
      await Promise.all(targets.map((t) => stopper.start(t)));
    },
  };
}
