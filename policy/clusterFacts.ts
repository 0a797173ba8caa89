/**
 * What the stack policies read about the cluster from the whole stack: the subnets the swarm nodes
 * run in and the security groups they carry (instances tagged swarm-ha:role manager or worker).
 * Values still unknown during a preview are skipped, never guessed.
 */
import { asArray, Props, tagsOf, TAG_ROLE } from "./settings";

/** A resource as a stack policy sees it (the engine's PolicyResource, or a record of the mocks). */
export interface StackResource {
  readonly type: string;
  readonly name: string;
  readonly urn?: string;
  readonly props: Props;
}

export const INSTANCE_TYPE = "aws:ec2/instance:Instance";
export const MOUNT_TARGET_TYPE = "aws:efs/mountTarget:MountTarget";
export const SWARM_NODE_ROLES: readonly string[] = ["manager", "worker"];

/** A property's value if it is a plain string; undefined when unset or unknown at preview. */
export function knownString(obj: unknown, key: string): string | undefined {
  if (obj === null || typeof obj !== "object") return undefined;
  const v: unknown = Object.getOwnPropertyDescriptor(obj, key)?.value;
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** The known strings of a list property (unknown entries left out). */
export function knownStrings(obj: unknown, key: string): string[] {
  if (obj === null || typeof obj !== "object") return [];
  const v: unknown = Object.getOwnPropertyDescriptor(obj, key)?.value;
  return asArray(v).filter((x): x is string => typeof x === "string" && x !== "");
}

export interface ClusterFacts {
  /** Subnets holding a swarm node. */
  readonly subnetIds: ReadonlySet<string>;
  /** Security groups of the swarm nodes. */
  readonly securityGroupIds: ReadonlySet<string>;
  /** Whether some swarm node's subnet or groups were still unknown (a first preview). */
  readonly incomplete: boolean;
}

export function clusterFacts(resources: readonly StackResource[]): ClusterFacts {
  const nodes = resources.filter(
    (r) => r.type === INSTANCE_TYPE && SWARM_NODE_ROLES.includes(tagsOf(r.props)[TAG_ROLE] ?? ""),
  );
  const subnetIds = new Set<string>();
  const securityGroupIds = new Set<string>();
  let incomplete = false;
  for (const n of nodes) {
    const subnet = knownString(n.props, "subnetId");
    if (subnet) subnetIds.add(subnet);
    else incomplete = true;
    const groups = knownStrings(n.props, "vpcSecurityGroupIds");
    if (groups.length === 0) incomplete = true;
    for (const g of groups) securityGroupIds.add(g);
  }
  return { subnetIds, securityGroupIds, incomplete };
}

/** A violation a stack policy reports against one resource. */
export interface StackFinding {
  readonly resource: StackResource;
  readonly message: string;
}
