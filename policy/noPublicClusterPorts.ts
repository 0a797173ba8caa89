import { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { ingressValidations } from "./ingressValidations";
import {
  IngressKind,
  covers,
  describePermission,
  isWorldOpen,
  permissionsOf,
  portLabel,
} from "./network";
import { Props } from "./settings";

export interface NoPublicPortsSettings {
  /** Ports that must never be reachable from 0.0.0.0/0, ::/0 or any range wider than the limits below. */
  readonly ports: readonly number[];
  /** An IPv4 source shorter than this prefix counts as public (0.0.0.0/1 is half the internet). */
  readonly minIpv4PrefixLength: number;
  /** The same for IPv6 sources. */
  readonly minIpv6PrefixLength: number;
}

export const noPublicPortsConfigSchema: PolicyConfigSchema = {
  properties: {
    ports: {
      type: "array",
      items: { type: "integer", minimum: 0, maximum: 65535 },
      default: [22, 2377, 7946, 4789, 2049],
      description:
        "Ports that must never be open to 0.0.0.0/0, ::/0 or a range wider than the prefix limits.",
    },
    minIpv4PrefixLength: {
      type: "integer",
      minimum: 0,
      maximum: 32,
      default: 16,
      description:
        "IPv4 sources with a shorter prefix count as public (the program's adminCidr limit, allowWideAdminCidr aside).",
    },
    minIpv6PrefixLength: {
      type: "integer",
      minimum: 0,
      maximum: 128,
      default: 48,
      description:
        "IPv6 sources with a shorter prefix count as public (a /48 is one site's allocation).",
    },
  },
};

/** Whether a source range is too wide to count as "one admin's network". */
export function isTooWide(cidr: string, settings: NoPublicPortsSettings): boolean {
  if (isWorldOpen(cidr)) return true;
  const m = /\/(\d{1,3})$/.exec(cidr.trim());
  if (!m) return false;
  const prefix = Number(m[1]);
  return cidr.includes(":")
    ? prefix < settings.minIpv6PrefixLength
    : prefix < settings.minIpv4PrefixLength;
}

/**
 * SSH, the swarm control plane (2377: anyone who reaches it can try to join or drive the swarm),
 * gossip, the unauthenticated VXLAN overlay and NFS (no authentication beyond source address)
 * must never face the internet, nor a large part of it (0.0.0.0/1 is half of it). A port range that
 * merely includes one of the ports counts.
 */
export function checkNoPublicClusterPorts(
  kind: IngressKind,
  props: Props,
  settings: NoPublicPortsSettings,
): string[] {
  const out: string[] = [];
  for (const perm of permissionsOf(kind, props)) {
    const open = settings.ports.filter((port) => covers(perm, port));
    if (open.length === 0) continue;
    for (const src of perm.sources) {
      if (src.kind === "cidr" && isTooWide(src.cidr, settings)) {
        out.push(
          `${describePermission(perm)} opens ${open.map(portLabel).join(", ")} to ${src.cidr}` +
            `${isWorldOpen(src.cidr) ? "" : ` (wider than /${src.cidr.includes(":") ? settings.minIpv6PrefixLength : settings.minIpv4PrefixLength})`}; ` +
            `allow these ports only from the cluster security group or the admin CIDR`,
        );
      }
    }
  }
  return out;
}

export const noPublicClusterPorts: ResourceValidationPolicy = {
  name: "no-public-cluster-ports",
  description:
    "No ingress from 0.0.0.0/0, ::/0 or another too-wide range (IPv4 shorter than /16, IPv6 shorter than /48) on SSH, swarm (2377, 7946, 4789) or NFS (2049) ports.",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: noPublicPortsConfigSchema,
  validateResource: ingressValidations(noPublicPortsConfigSchema, checkNoPublicClusterPorts),
};
