import { describe, expect, it } from "vitest";
import {
  checkClusterPortsFromClusterOnly,
  ClusterPortsSettings,
  clusterPortsConfigSchema,
} from "../../policy/clusterPortsFromClusterOnly";
import { evaluatePack } from "../../policy/evaluate";
import { withDefaults } from "../../policy/settings";
import {
  clusterIngressRule,
  clusterSecurityGroup,
  edgeSecurityGroup,
  nfsSecurityGroupRule,
  TYPES,
} from "./fixtures";

const defaults = withDefaults<ClusterPortsSettings>(clusterPortsConfigSchema, {});
const check = checkClusterPortsFromClusterOnly;

function cidrRule(cidr: string): Record<string, any> {
  const rule: Record<string, any> = { ...clusterIngressRule(), cidrIpv4: cidr };
  delete rule.referencedSecurityGroupId;
  return rule;
}

describe("cluster-ports-from-cluster-only", () => {
  it("defaults to the swarm and NFS ports and no CIDR exceptions", () => {
    expect(defaults).toEqual({ ports: [2377, 7946, 4789, 2049], allowedCidrs: [] });
  });

  it("passes swarm ports opened to the cluster SG (referenced, self, source SG)", () => {
    expect(check("vpcIngressRule", clusterIngressRule(), defaults)).toEqual([]);
    expect(check("securityGroup", clusterSecurityGroup(), defaults)).toEqual([]);
    expect(check("securityGroupRule", nfsSecurityGroupRule(), defaults)).toEqual([]);
  });

  it("ignores ports that are not swarm or NFS (SSH from the admin CIDR, 80/443)", () => {
    expect(check("securityGroup", edgeSecurityGroup(), defaults)).toEqual([]);
  });

  it("reports swarm management opened to a private CIDR", () => {
    expect(check("vpcIngressRule", cidrRule("10.42.0.0/16"), defaults)).toEqual([
      "rule (protocol tcp, port 2377) opens 2377 (swarm management) to CIDR 10.42.0.0/16; " +
        "swarm and NFS ports may only be opened to the cluster's own security group",
    ]);
  });

  it("accepts a CIDR inside a configured allowedCidrs entry, and reports one reaching beyond it", () => {
    const s = withDefaults<ClusterPortsSettings>(clusterPortsConfigSchema, {
      allowedCidrs: ["10.42.0.0/16"],
    });
    expect(check("vpcIngressRule", cidrRule("10.42.1.0/24"), s)).toEqual([]);
    expect(check("vpcIngressRule", cidrRule("10.0.0.0/8"), s)).toEqual([
      expect.stringContaining("to CIDR 10.0.0.0/8;"),
    ]);
  });

  it("reports NFS opened to a prefix list", () => {
    const rule: Record<string, any> = {
      ...clusterIngressRule(),
      fromPort: 2049,
      toPort: 2049,
      prefixListId: "pl-123",
    };
    delete rule.referencedSecurityGroupId;
    expect(check("vpcIngressRule", rule, defaults)).toEqual([
      expect.stringContaining("rule (protocol tcp, port 2049) opens 2049 (NFS) to a prefix list"),
    ]);
  });

  it("reports an inline overlay rule that adds a CIDR next to self", () => {
    const sg = clusterSecurityGroup();
    sg.ingress[2].cidrBlocks = ["172.16.0.0/12"];
    expect(check("securityGroup", sg, defaults)).toEqual([
      expect.stringContaining(
        "ingress[2] (protocol udp, port 4789) opens 4789 (swarm overlay VXLAN) to CIDR 172.16.0.0/12",
      ),
    ]);
  });

  it("reports an ec2 SecurityGroupRule opening NFS to a CIDR", () => {
    const rule = nfsSecurityGroupRule();
    delete rule.sourceSecurityGroupId;
    rule.cidrBlocks = ["10.42.0.0/16"];
    expect(check("securityGroupRule", rule, defaults)).toEqual([
      expect.stringContaining("opens 2049 (NFS) to CIDR 10.42.0.0/16"),
    ]);
  });

  it("reports an admin CIDR that may reach every port", () => {
    const sg = clusterSecurityGroup();
    sg.ingress[0] = { protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["192.0.2.10/32"] };
    expect(check("securityGroup", sg, defaults)).toEqual([
      expect.stringContaining(
        "opens 2377 (swarm management), 7946 (swarm gossip), 4789 (swarm overlay VXLAN), 2049 (NFS) to CIDR 192.0.2.10/32",
      ),
    ]);
  });

  it("takes allowedCidrs from the pack config", () => {
    const r = [{ type: TYPES.vpcIngressRule, name: "nfs", props: cidrRule("10.42.0.0/16") }];
    const only = (vs: ReturnType<typeof evaluatePack>) =>
      vs.filter((v) => v.policy === "cluster-ports-from-cluster-only");
    expect(only(evaluatePack(r))).toHaveLength(1);
    expect(
      only(
        evaluatePack(r, { "cluster-ports-from-cluster-only": { allowedCidrs: ["10.42.0.0/16"] } }),
      ),
    ).toEqual([]);
  });
});
