import { PolicyConfigSchema, ResourceValidationPolicy } from "@pulumi/policy";
import { ingressValidations } from "./ingressValidations";
import { IngressKind, describePermission, isWorldOpen, permissionsOf } from "./network";
import { Props, TAG_ROLE, shown, tagsOf } from "./settings";

export interface OnlyEdgePublicSettings {
  /** Values of the `swarm-ha:role` tag whose security groups may face the internet. */
  readonly publicRoles: readonly string[];
  /** The TCP ports such a group may open to the internet. */
  readonly publicPorts: readonly number[];
}

export const onlyEdgePublicConfigSchema: PolicyConfigSchema = {
  properties: {
    publicRoles: {
      type: "array",
      items: { type: "string" },
      default: ["edge"],
      description: "swarm-ha:role tag values whose security groups may allow 0.0.0.0/0 or ::/0.",
    },
    publicPorts: {
      type: "array",
      items: { type: "integer", minimum: 0, maximum: 65535 },
      default: [80],
      description:
        "TCP ports a public-role security group may open to the internet (80: nginx serves no TLS; add 443 with a TLS listener).",
    },
  },
};

function onlyPublicPorts(
  protocol: string,
  from: number,
  to: number,
  allowed: readonly number[],
): boolean {
  const p = protocol.toLowerCase();
  if (p !== "tcp" && p !== "6") return false;
  if (to - from > 65535) return false;
  for (let port = from; port <= to; port++) if (!allowed.includes(port)) return false;
  return true;
}

/**
 * The nginx tier is the only door: internet-wide ingress (0.0.0.0/0, ::/0) is allowed only on a
 * security group (or vpc ingress rule) tagged with a public role, and only on `publicPorts`. The role
 * is read from the tags of the resource that declares the rule; aws.ec2.SecurityGroupRule has no
 * tags, so a world-open one is always reported — declare it inline or as a tagged
 * aws.vpc.SecurityGroupIngressRule instead.
 */
export function checkOnlyEdgePublic(
  kind: IngressKind,
  props: Props,
  settings: OnlyEdgePublicSettings,
): string[] {
  const role = kind === "securityGroupRule" ? undefined : tagsOf(props)[TAG_ROLE];
  const isPublicRole = role !== undefined && settings.publicRoles.includes(role);
  const out: string[] = [];
  for (const perm of permissionsOf(kind, props)) {
    for (const src of perm.sources) {
      if (src.kind !== "cidr" || !isWorldOpen(src.cidr)) continue;
      if (!isPublicRole) {
        out.push(
          `${describePermission(perm)} is open to ${src.cidr} but ${TAG_ROLE} is ${shown(role)}` +
            (kind === "securityGroupRule"
              ? " (aws.ec2.SecurityGroupRule cannot carry the role tag)"
              : "") +
            `; only ${settings.publicRoles.join(", ")} security groups may be public`,
        );
      } else if (
        !perm.ports ||
        !onlyPublicPorts(perm.protocol, perm.ports.from, perm.ports.to, settings.publicPorts)
      ) {
        out.push(
          `${describePermission(perm)} is open to ${src.cidr}; the ${role} tier may only open ` +
            `TCP ${settings.publicPorts.join(", ")} to the internet`,
        );
      }
    }
  }
  return out;
}

export const onlyEdgePublic: ResourceValidationPolicy = {
  name: "only-edge-public",
  description:
    "Only security groups tagged swarm-ha:role=edge (nginx) accept internet traffic, and only on TCP 80 (the publicPorts setting).",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema: onlyEdgePublicConfigSchema,
  validateResource: ingressValidations(onlyEdgePublicConfigSchema, checkOnlyEdgePublic),
};
