/**
 * Address plan of the VPC: pure arithmetic, so tests and the NFS export model agree with the
 * subnets the network component creates.
 */
import { parseCidr } from "../base/ipv4";

export interface SubnetPlan {
  /** One subnet per availability zone for swarm nodes and the NFS server. */
  readonly cluster: readonly string[];
  /** One subnet per availability zone for the nginx balancers. */
  readonly edge: readonly string[];
}

function toCidr(base: number, prefix: number): string {
  return `${base >>> 24}.${(base >>> 16) & 255}.${(base >>> 8) & 255}.${base & 255}/${prefix}`;
}

/** Splits the VPC into 8 equal blocks: cluster subnets take blocks 0..n-1, edge subnets 4..4+n-1. */
export function planSubnets(vpcCidr: string, availabilityZones: number): SubnetPlan {
  const parsed = parseCidr(vpcCidr);
  if (!parsed) throw new Error(`vpcCidr "${vpcCidr}" is not an IPv4 CIDR`);
  if (availabilityZones < 1 || availabilityZones > 3)
    throw new Error("availabilityZones must be 1 to 3");
  const prefix = parsed.prefix + 3;
  if (prefix > 28) throw new Error(`vpcCidr /${parsed.prefix} is too small to split into subnets`);
  const size = 2 ** (32 - prefix);
  const block = (i: number) => toCidr((parsed.base + i * size) >>> 0, prefix);
  const azs = [...Array(availabilityZones).keys()];
  return { cluster: azs.map((i) => block(i)), edge: azs.map((i) => block(4 + i)) };
}
