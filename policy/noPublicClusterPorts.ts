import { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { ingressValidations } from "./ingressValidations";
import { IngressKind, covers, describePermission, isWorldOpen, permissionsOf, portLabel } from "./network";
import { Props } from "./settings";

export interface NoPublicPortsSettings {
  /** Ports that must never be reachable from 0.0.0.0/0 or ::/0. */
  readonly ports: readonly number[];
}

export const noPublicPortsConfigSchema: PolicyConfigSchema = {
  properties: {
    ports: {
      type: "array",
      items: { type: "integer", minimum: 0, maximum: 65535 },
      default: [22, 2377, 7946, 4789, 2049],
      description: "Ports that must never be open to 0.0.0.0/0 or ::/0.",
    },
  },
};

/**
 * SSH, the swarm control plane (2377: anyone who reaches it can try to join or drive the swarm),
 * gossip, the unauthenticated VXLAN overlay and NFS (no authentication beyond source address)
 * must never face the internet. A range that merely includes one of the ports counts.
 */
export function checkNoPublicClusterPorts(kind: IngressKind, props: Props, settings: NoPublicPortsSettings): string[] {
  const out: string[] = [];
  for (const perm of permissionsOf(kind, props)) {
    const open = settings.ports.filter((port) => covers(perm, port));
    if (open.length === 0) continue;
    for (const src of perm.sources) {
      if (src.kind === "cidr" && isWorldOpen(src.cidr)) {
        out.push(
          `${describePermission(perm)} opens ${open.map(portLabel).join(", ")} to ${src.cidr}; ` +
            `allow these ports only from the cluster security group or the admin CIDR`,
        );
      }
    }
  }
  return out;
}

export const noPublicClusterPorts: ResourceValidationPolicy = {
  name: "no-public-cluster-ports",
  description: "No ingress from 0.0.0.0/0 or ::/0 on SSH, swarm (2377, 7946, 4789) or NFS (2049) ports.",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: noPublicPortsConfigSchema,
  validateResource: ingressValidations(noPublicPortsConfigSchema, checkNoPublicClusterPorts),
};
