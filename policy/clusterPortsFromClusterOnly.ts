import { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { ingressValidations } from "./ingressValidations";
import {
  IngressKind,
  cidrWithin,
  covers,
  describePermission,
  permissionsOf,
  portLabel,
} from "./network";
import { Props } from "./settings";

export interface ClusterPortsSettings {
  /** Swarm and NFS ports: reachable only from a security group (the cluster's own). */
  readonly ports: readonly number[];
  /** CIDRs that count as "inside the cluster" (e.g. the VPC CIDR) if a stack opts into CIDR rules. */
  readonly allowedCidrs: readonly string[];
}

export const clusterPortsConfigSchema: PolicyConfigSchema = {
  properties: {
    ports: {
      type: "array",
      items: { type: "integer", minimum: 0, maximum: 65535 },
      default: [2377, 7946, 4789, 2049],
      description: "Swarm and NFS ports that may only be opened to a referenced security group.",
    },
    allowedCidrs: {
      type: "array",
      items: { type: "string" },
      default: [],
      description:
        "CIDRs treated as inside the cluster (e.g. the VPC CIDR); empty means security-group sources only.",
    },
  },
};

/**
 * Closes the gap the public-port check leaves: a swarm or NFS port opened to a broad private range
 * or an office CIDR is reachable by machines that are not cluster members. Only security-group
 * sources (a referenced SG or `self`) identify members; the SG id itself is usually unknown at
 * preview time, so the check asks for the kind of source rather than a particular id.
 */
export function checkClusterPortsFromClusterOnly(
  kind: IngressKind,
  props: Props,
  settings: ClusterPortsSettings,
): string[] {
  const out: string[] = [];
  for (const perm of permissionsOf(kind, props)) {
    const ports = settings.ports.filter((port) => covers(perm, port));
    if (ports.length === 0) continue;
    const what = `${describePermission(perm)} opens ${ports.map(portLabel).join(", ")}`;
    for (const src of perm.sources) {
      if (src.kind === "cidr" && !settings.allowedCidrs.some((c) => cidrWithin(src.cidr, c))) {
        out.push(
          `${what} to CIDR ${src.cidr}; swarm and NFS ports may only be opened to the cluster's own security group`,
        );
      } else if (src.kind === "prefixList") {
        out.push(
          `${what} to a prefix list; swarm and NFS ports may only be opened to the cluster's own security group`,
        );
      }
    }
  }
  return out;
}

export const clusterPortsFromClusterOnly: ResourceValidationPolicy = {
  name: "cluster-ports-from-cluster-only",
  description:
    "Swarm (2377, 7946, 4789) and NFS (2049) ports are opened only to the cluster's own security group.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: clusterPortsConfigSchema,
  validateResource: ingressValidations(clusterPortsConfigSchema, checkClusterPortsFromClusterOnly),
};
