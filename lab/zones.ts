/**
 * Availability zones in the lab: each node container gets the label `swarm-ha.zone=az-a|az-b|az-c`
 * by the rule AWS places instances with (config/topology.ts swarmNodeZone), each balancer the zone
 * components/edge.ts gives it (i mod zones). lab/zoneKiller.ts kills every container of a zone.
 */

import { swarmNodeZone } from "../config/topology";

/** The lab's three zones, in subnet order. */
export const LAB_ZONES = ["az-a", "az-b", "az-c"] as const;

/** Zone of the i-th (0-based, in creation order) manager or worker. */
export function labNodeZone(role: "manager" | "worker", index: number): string {
  return LAB_ZONES[swarmNodeZone(role, index, LAB_ZONES.length)];
}

/** Zone of the i-th (0-based) balancer: the pair sits in the first two zones, as on AWS. */
export function labEdgeZone(index: number): string {
  return LAB_ZONES[index % LAB_ZONES.length];
}

/** Pure: the containers of `zone` given the swarm nodes' labels and the balancers in creation order. */
export function zoneMembers(
  zone: string,
  nodeZones: ReadonlyMap<string, string>,
  balancers: readonly string[],
): string[] {
  const nodes = [...nodeZones].filter(([, z]) => z === zone).map(([name]) => name);
  const edges = balancers.filter((_, i) => labEdgeZone(i) === zone);
  return [...nodes.sort(), ...edges];
}
