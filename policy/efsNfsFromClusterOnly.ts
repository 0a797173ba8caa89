import { StackValidationPolicy } from "@pulumi/policy";
import {
  clusterFacts,
  knownString,
  knownStrings,
  MOUNT_TARGET_TYPE,
  StackFinding,
  StackResource,
} from "./clusterFacts";
import { IngressKind, permissionsOf } from "./network";
import { reportFindings } from "./stackValidation";

const RULE_KINDS: Readonly<Record<string, IngressKind>> = {
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "vpcIngressRule",
  "aws:ec2/securityGroupRule:SecurityGroupRule": "securityGroupRule",
};

/** The security group a rule's traffic comes from, when it names one (undefined: a CIDR, self, a prefix list or unknown). */
function sourceGroup(kind: IngressKind, props: StackResource["props"]): string | undefined {
  return kind === "vpcIngressRule"
    ? knownString(props, "referencedSecurityGroupId")
    : knownString(props, "sourceSecurityGroupId");
}

/**
 * The log store's mount targets admit NFS (TCP 2049) from the swarm nodes' security group and
 * nothing else: each mount target names its groups (without one AWS attaches the VPC's default
 * group, which the program does not control), and every standalone ingress rule of those groups
 * opens exactly TCP 2049 from a group the swarm nodes carry. Inline `ingress` blocks cannot be tied
 * to a group here (a group's id is not among its properties); the program uses standalone rules,
 * and cluster-ports-from-cluster-only still judges inline 2049 rules by their source kind.
 */
export function checkEfsNfsFromClusterOnly(resources: readonly StackResource[]): StackFinding[] {
  const cluster = clusterFacts(resources);
  const out: StackFinding[] = [];
  const groups = new Set<string>();
  for (const mt of resources.filter((r) => r.type === MOUNT_TARGET_TYPE)) {
    const desc = Object.getOwnPropertyDescriptor(mt.props, "securityGroups");
    const known = knownStrings(mt.props, "securityGroups");
    const unknown =
      desc !== undefined &&
      "value" in desc &&
      desc.value !== undefined &&
      !Array.isArray(desc.value);
    if (known.length === 0 && !unknown) {
      out.push({
        resource: mt,
        message:
          "securityGroups is empty: AWS then attaches the VPC's default group; name the log store's own group",
      });
    }
    for (const g of known) groups.add(g);
  }
  for (const r of resources) {
    const kind = RULE_KINDS[r.type];
    if (!kind) continue;
    const group = knownString(r.props, "securityGroupId");
    if (group === undefined || !groups.has(group)) continue;
    for (const perm of permissionsOf(kind, r.props)) {
      const p = perm.protocol.toLowerCase();
      if (!((p === "tcp" || p === "6") && perm.ports?.from === 2049 && perm.ports?.to === 2049)) {
        const range = perm.ports ? `ports ${perm.ports.from}-${perm.ports.to}` : "no ports";
        out.push({
          resource: r,
          message: `opens protocol ${perm.protocol} ${range} on the log store's group ${group}; it may open TCP 2049 only`,
        });
      }
      for (const src of perm.sources) {
        if (src.kind !== "securityGroup") {
          const what = src.kind === "cidr" ? `CIDR ${src.cidr}` : "a prefix list";
          out.push({
            resource: r,
            message: `admits ${what} to the log store's group ${group}; admit the swarm nodes' security group only`,
          });
          continue;
        }
        const from = sourceGroup(kind, r.props);
        if (from === undefined) {
          if (Object.getOwnPropertyDescriptor(r.props, "self")?.value === true)
            out.push({
              resource: r,
              message: `admits the log store's own group (self); admit the swarm nodes' security group only`,
            });
          continue; // unknown during a preview
        }
        if (!cluster.incomplete && !cluster.securityGroupIds.has(from)) {
          out.push({
            resource: r,
            message: `admits NFS from security group ${from}, which no swarm node carries; admit the cluster's group only`,
          });
        }
      }
    }
  }
  return out;
}

export const efsNfsFromClusterOnly: StackValidationPolicy = {
  name: "efs-nfs-from-cluster-only",
  description:
    "The EFS log store's mount targets admit TCP 2049 only, and only from the swarm nodes' security group.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, reportViolation) =>
    reportFindings(checkEfsNfsFromClusterOnly, args, reportViolation),
};
