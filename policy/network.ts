/**
 * One shape for the three ways the program can open a port: an inline `ingress` block of
 * aws.ec2.SecurityGroup, a standalone aws.vpc.SecurityGroupIngressRule, and a standalone
 * aws.ec2.SecurityGroupRule of type "ingress". The network policies reason only about this shape.
 */
import { netmask, parseCidr } from "./cidr";
import { Props, asArray, asRecord, asStringList, isSet, shown } from "./settings";

/** Where a permission lets traffic come from. */
export type Source =
  | { readonly kind: "cidr"; readonly cidr: string }
  | { readonly kind: "securityGroup" }
  | { readonly kind: "prefixList" };

export interface IngressPermission {
  /** Where it was declared, for messages: `ingress[2]` or `rule`. */
  readonly where: string;
  readonly protocol: string;
  /** Inclusive port range; `undefined` for protocols without ports (ICMP, ESP, GRE...). */
  readonly ports?: { readonly from: number; readonly to: number };
  readonly sources: readonly Source[];
}

/** Well-known names of the ports the pack cares about, for readable messages. */
export const PORT_NAMES: Readonly<Record<number, string>> = {
  22: "SSH",
  80: "HTTP",
  443: "HTTPS",
  2049: "NFS",
  2377: "swarm management",
  4789: "swarm overlay VXLAN",
  7946: "swarm gossip",
};

export function portLabel(port: number): string {
  return PORT_NAMES[port] ? `${port} (${PORT_NAMES[port]})` : String(port);
}

function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && /^\d+$/.test(v)) return Number(v);
  return undefined;
}

/**
 * The port range a rule opens. "-1"/"all" means every protocol and port. For TCP and UDP the
 * from/to fields are ports; for ICMP they are type/code and for other IP protocols there are no
 * ports at all, so those open none of the ports this pack protects.
 */
export function portRange(
  protocol: string,
  fromPort: unknown,
  toPort: unknown,
): { from: number; to: number } | undefined {
  const p = protocol.toLowerCase();
  if (p === "-1" || p === "all") return { from: 0, to: 65535 };
  if (p === "tcp" || p === "udp" || p === "6" || p === "17") {
    const from = num(fromPort);
    const to = num(toPort);
    // An unreadable range is treated as everything: the safe reading for a security check.
    if (from === undefined || to === undefined) return { from: 0, to: 65535 };
    // AWS reads 0-0 on tcp/udp as no port; -1 is not valid there, so 0..65535 covers every case.
    return { from: Math.max(0, from), to: Math.min(65535, to < 0 ? 65535 : to) };
  }
  return undefined;
}

export function covers(perm: IngressPermission, port: number): boolean {
  return perm.ports !== undefined && perm.ports.from <= port && port <= perm.ports.to;
}

export function describePermission(perm: IngressPermission): string {
  const range = perm.ports
    ? perm.ports.from === 0 && perm.ports.to === 65535
      ? "all ports"
      : perm.ports.from === perm.ports.to
        ? `port ${perm.ports.from}`
        : `ports ${perm.ports.from}-${perm.ports.to}`
    : "no ports";
  return `${perm.where} (protocol ${perm.protocol}, ${range})`;
}

function cidrSources(v4: unknown, v6: unknown): Source[] {
  return [...asStringList(v4), ...asStringList(v6)].map((cidr) => ({
    kind: "cidr" as const,
    cidr,
  }));
}

function protocolOf(v: unknown): string {
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : shown(v);
}

/** The inline ingress blocks of an aws.ec2.SecurityGroup. */
export function securityGroupIngress(props: Props): IngressPermission[] {
  return asArray(props.ingress).map((raw, i) => {
    const r = asRecord(raw) ?? {};
    const protocol = protocolOf(r.protocol);
    const sources: Source[] = cidrSources(r.cidrBlocks, r.ipv6CidrBlocks);
    if (isSet(r, "securityGroups") || isSet(r, "self")) sources.push({ kind: "securityGroup" });
    if (isSet(r, "prefixListIds")) sources.push({ kind: "prefixList" });
    return {
      where: `ingress[${i}]`,
      protocol,
      ports: portRange(protocol, r.fromPort, r.toPort),
      sources,
    };
  });
}

/** An aws.vpc.SecurityGroupIngressRule (one source per rule). */
export function vpcIngressRule(props: Props): IngressPermission[] {
  const protocol = protocolOf(props.ipProtocol);
  const sources: Source[] = [];
  if (typeof props.cidrIpv4 === "string") sources.push({ kind: "cidr", cidr: props.cidrIpv4 });
  if (typeof props.cidrIpv6 === "string") sources.push({ kind: "cidr", cidr: props.cidrIpv6 });
  if (isSet(props, "referencedSecurityGroupId")) sources.push({ kind: "securityGroup" });
  if (isSet(props, "prefixListId")) sources.push({ kind: "prefixList" });
  return [
    { where: "rule", protocol, ports: portRange(protocol, props.fromPort, props.toPort), sources },
  ];
}

/** An aws.ec2.SecurityGroupRule; egress rules open nothing inbound. */
export function ec2SecurityGroupRule(props: Props): IngressPermission[] {
  if (props.type !== "ingress") return [];
  const protocol = protocolOf(props.protocol);
  const sources: Source[] = cidrSources(props.cidrBlocks, props.ipv6CidrBlocks);
  if (isSet(props, "sourceSecurityGroupId") || isSet(props, "self"))
    sources.push({ kind: "securityGroup" });
  if (isSet(props, "prefixListIds")) sources.push({ kind: "prefixList" });
  return [
    { where: "rule", protocol, ports: portRange(protocol, props.fromPort, props.toPort), sources },
  ];
}

/** True for a CIDR that is the whole address space (0.0.0.0/0, ::/0 and their spellings). */
export function isWorldOpen(cidr: string): boolean {
  return /\/0+$/.test(cidr.trim());
}

/**
 * Whether `inner` lies inside `outer`. IPv4 is compared numerically; anything else (IPv6) only
 * matches an identical CIDR, which errs on the side of reporting.
 */
export function cidrWithin(inner: string, outer: string): boolean {
  const a = parseCidr(inner);
  const b = parseCidr(outer);
  if (!a || !b) return inner.trim().toLowerCase() === outer.trim().toLowerCase();
  if (a.prefix < b.prefix) return false;
  const mask = netmask(b.prefix);
  return (a.base & mask) >>> 0 === (b.base & mask) >>> 0;
}

/** The three resource kinds that can open a port. */
export type IngressKind = "securityGroup" | "vpcIngressRule" | "securityGroupRule";

export function permissionsOf(kind: IngressKind, props: Props): IngressPermission[] {
  switch (kind) {
    case "securityGroup":
      return securityGroupIngress(props);
    case "vpcIngressRule":
      return vpcIngressRule(props);
    case "securityGroupRule":
      return ec2SecurityGroupRule(props);
  }
}
