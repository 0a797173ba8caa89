import { StackValidationPolicy } from "@pulumi/policy";
import {
  clusterFacts,
  knownString,
  MOUNT_TARGET_TYPE,
  StackFinding,
  StackResource,
} from "./clusterFacts";
import { reportFindings } from "./stackValidation";

/**
 * Every EFS mount target sits in a subnet a swarm node runs in (a cluster subnet). A mount target
 * anywhere else (the balancers' public subnets, another team's subnet) is an NFS endpoint of the
 * logs where no client of the log store is, and its address lets that subnet reach the share. A
 * stack without swarm nodes has no cluster to judge against; a subnet or node still unknown during
 * a preview is not judged.
 */
export function checkEfsMountTargetsInClusterSubnets(
  resources: readonly StackResource[],
): StackFinding[] {
  const cluster = clusterFacts(resources);
  if (cluster.subnetIds.size === 0) return [];
  const out: StackFinding[] = [];
  for (const mt of resources.filter((r) => r.type === MOUNT_TARGET_TYPE)) {
    const subnet = knownString(mt.props, "subnetId");
    if (subnet === undefined || cluster.subnetIds.has(subnet)) continue;
    if (cluster.incomplete) continue;
    out.push({
      resource: mt,
      message: `subnetId ${subnet} holds no swarm node; put the log store's mount targets in the cluster subnets only (${[...cluster.subnetIds].join(", ")})`,
    });
  }
  return out;
}

export const efsMountTargetsInClusterSubnets: StackValidationPolicy = {
  name: "efs-mount-targets-in-cluster-subnets",
  description: "EFS mount targets of the log store sit only in the subnets the swarm nodes run in.",
  enforcementLevel: "mandatory",
  severity: "medium",
  validateStack: (args, reportViolation) =>
    reportFindings(checkEfsMountTargetsInClusterSubnets, args, reportViolation),
};
