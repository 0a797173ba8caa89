/**
 * The `az-loss` rule, pure and written once: which members losing a zone takes, and the refusal
 * when the managers left would be no Raft majority. The AWS adapter (AzLossStopper, zones from
 * EC2) and the drill's preflight (zones from the nodes' `swarm-ha.zone` labels, lab and AWS alike)
 * both plan with it.
 */

import type { NodeRole } from "../types";

/** A member of the stack as far as a zone loss is concerned; `instanceId` keys the zone map. */
export interface ZoneMember {
  readonly name: string;
  readonly role: NodeRole | "edge";
  readonly instanceId: string;
}

/** What losing one zone takes: its members and what it does to the Raft quorum. */
export interface AzLossPlan<M extends ZoneMember = ZoneMember> {
  readonly zone: string;
  readonly victims: readonly M[];
  readonly managersInZone: number;
  readonly managersTotal: number;
}

/** An AWS availability zone name (eu-west-1a, us-east-2c). */
const AZ_NAME = /^[a-z]{2}(-[a-z0-9]+)+[a-z]$/;

/**
 * Which members an `az-loss` of `target` (a zone name or a member's name) takes, given every
 * member's zone. A zone is accepted when it looks like an AWS zone or is one the members are in
 * (the lab's az-a/az-b/az-c). Throws on an unknown target, and (unless `forHeal`) when the managers
 * left outside the zone would be no majority: Raft then has no quorum and the swarm cannot reschedule.
 */
export function planAzLoss<M extends ZoneMember>(
  members: readonly M[],
  zoneOf: ReadonlyMap<string, string>,
  target: string,
  forHeal = false,
): AzLossPlan<M> {
  const named = members.find((m) => m.name === target);
  const zone = named ? zoneOf.get(named.instanceId) : target;
  const zones = [...new Set(zoneOf.values())].sort();
  if (!zone || (!named && !AZ_NAME.test(target) && !zones.includes(target))) {
    throw new Error(
      `az-loss target "${target}": give an availability zone (${zones.join(", ") || "none found"}) or a node name of this stack`,
    );
  }
  const victims = members.filter((m) => zoneOf.get(m.instanceId) === zone);
  if (victims.length === 0)
    throw new Error(
      `az-loss target "${target}": no instance of this stack runs in ${zone} (zones: ${zones.join(", ")})`,
    );
  const managersTotal = members.filter((m) => m.role === "manager").length;
  const managersInZone = victims.filter((m) => m.role === "manager").length;
  if (!forHeal && managersInZone * 2 >= managersTotal) {
    throw new Error(
      `refusing az-loss of ${zone}: it holds ${managersInZone} of ${managersTotal} managers; the ${managersTotal - managersInZone} left are no majority ` +
        `(Raft needs ${Math.floor(managersTotal / 2) + 1}), so the swarm could not reschedule anything; spread the managers over 3 zones (3 or 5 managers)`,
    );
  }
  return { zone, victims, managersInZone, managersTotal };
}
