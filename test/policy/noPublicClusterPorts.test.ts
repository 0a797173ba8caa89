import { describe, expect, it } from "vitest";
import { evaluatePack } from "../../policy/evaluate";
import {
  checkNoPublicClusterPorts,
  NoPublicPortsSettings,
  noPublicPortsConfigSchema,
} from "../../policy/noPublicClusterPorts";
import { withDefaults } from "../../policy/settings";
import {
  clusterIngressRule,
  clusterSecurityGroup,
  edgeIngressRule,
  edgeSecurityGroup,
  nfsSecurityGroupRule,
  TYPES,
} from "./fixtures";

const defaults = withDefaults<NoPublicPortsSettings>(noPublicPortsConfigSchema, {});
const check = checkNoPublicClusterPorts;

describe("no-public-cluster-ports", () => {
  it("protects SSH, swarm and NFS ports by default, from anything wider than /16 (IPv4) or /48 (IPv6)", () => {
    expect(defaults.ports).toEqual([22, 2377, 7946, 4789, 2049]);
    expect(defaults.minIpv4PrefixLength).toBe(16);
    expect(defaults.minIpv6PrefixLength).toBe(48);
  });

  it("reports SSH from 0.0.0.0/1 (half the internet), not only from /0", () => {
    const sg = clusterSecurityGroup();
    sg.ingress[0].cidrBlocks = ["0.0.0.0/1"];
    expect(check("securityGroup", sg, defaults)).toEqual([
      "ingress[0] (protocol tcp, port 22) opens 22 (SSH) to 0.0.0.0/1 (wider than /16); " +
        "allow these ports only from the cluster security group or the admin CIDR",
    ]);
  });

  it("reports a /15 and an IPv6 /32 on protected ports, and stops at the limits", () => {
    const rule = (cidr: Record<string, string>) => {
      const r: Record<string, any> = { ...clusterIngressRule(), fromPort: 22, toPort: 22, ...cidr };
      delete r.referencedSecurityGroupId;
      return r;
    };
    expect(check("vpcIngressRule", rule({ cidrIpv4: "10.0.0.0/15" }), defaults)).toEqual([
      expect.stringContaining("opens 22 (SSH) to 10.0.0.0/15 (wider than /16)"),
    ]);
    expect(check("vpcIngressRule", rule({ cidrIpv6: "2001:db8::/32" }), defaults)).toEqual([
      expect.stringContaining("to 2001:db8::/32 (wider than /48)"),
    ]);
    expect(check("vpcIngressRule", rule({ cidrIpv4: "10.0.0.0/16" }), defaults)).toEqual([]);
    expect(check("vpcIngressRule", rule({ cidrIpv6: "2001:db8:1::/48" }), defaults)).toEqual([]);
  });

  it("accepts a wide range once the stack lowers minIpv4PrefixLength (the allowWideAdminCidr opt-in)", () => {
    const sg = clusterSecurityGroup();
    sg.ingress[0].cidrBlocks = ["10.0.0.0/8"];
    expect(check("securityGroup", sg, defaults)).toHaveLength(1);
    expect(check("securityGroup", sg, { ...defaults, minIpv4PrefixLength: 8 })).toEqual([]);
  });

  it("passes the cluster, edge and NFS rules of the happy path", () => {
    expect(check("securityGroup", clusterSecurityGroup(), defaults)).toEqual([]);
    expect(check("securityGroup", edgeSecurityGroup(), defaults)).toEqual([]);
    expect(check("vpcIngressRule", clusterIngressRule(), defaults)).toEqual([]);
    expect(check("vpcIngressRule", edgeIngressRule(), defaults)).toEqual([]);
    expect(check("securityGroupRule", nfsSecurityGroupRule(), defaults)).toEqual([]);
  });

  it("reports inline SSH from 0.0.0.0/0", () => {
    const sg = clusterSecurityGroup();
    sg.ingress[0].cidrBlocks = ["0.0.0.0/0"];
    expect(check("securityGroup", sg, defaults)).toEqual([
      "ingress[0] (protocol tcp, port 22) opens 22 (SSH) to 0.0.0.0/0; " +
        "allow these ports only from the cluster security group or the admin CIDR",
    ]);
  });

  it("reports inline NFS from ::/0", () => {
    const sg = clusterSecurityGroup();
    sg.ingress[1] = { protocol: "tcp", fromPort: 2049, toPort: 2049, ipv6CidrBlocks: ["::/0"] };
    expect(check("securityGroup", sg, defaults)).toEqual([
      expect.stringContaining("ingress[1] (protocol tcp, port 2049) opens 2049 (NFS) to ::/0"),
    ]);
  });

  it("reports a port range that covers protected ports", () => {
    const rule: Record<string, any> = {
      ...clusterIngressRule(),
      cidrIpv4: "0.0.0.0/0",
      fromPort: 2000,
      toPort: 3000,
    };
    delete rule.referencedSecurityGroupId;
    expect(check("vpcIngressRule", rule, defaults)).toEqual([
      expect.stringContaining(
        "rule (protocol tcp, ports 2000-3000) opens 2377 (swarm management), 2049 (NFS) to 0.0.0.0/0",
      ),
    ]);
  });

  it("reports all-protocol ingress from the internet", () => {
    const sg = clusterSecurityGroup();
    sg.ingress.push({ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] });
    expect(check("securityGroup", sg, defaults)).toEqual([
      expect.stringContaining(
        "ingress[4] (protocol -1, all ports) opens 22 (SSH), 2377 (swarm management), 7946 (swarm gossip), " +
          "4789 (swarm overlay VXLAN), 2049 (NFS) to 0.0.0.0/0",
      ),
    ]);
  });

  it("reports a vpc ingress rule opening gossip over UDP to the internet", () => {
    const rule: Record<string, any> = {
      ...clusterIngressRule(),
      ipProtocol: "udp",
      fromPort: 7946,
      toPort: 7946,
      cidrIpv4: "0.0.0.0/0",
    };
    delete rule.referencedSecurityGroupId;
    expect(check("vpcIngressRule", rule, defaults)).toEqual([
      expect.stringContaining("opens 7946 (swarm gossip) to 0.0.0.0/0"),
    ]);
  });

  it("reports an ec2 SecurityGroupRule opening VXLAN to the internet, but not an egress rule", () => {
    const rule = {
      ...nfsSecurityGroupRule(),
      protocol: "udp",
      fromPort: 4789,
      toPort: 4789,
      cidrBlocks: ["0.0.0.0/0"],
    };
    expect(check("securityGroupRule", rule, defaults)).toEqual([
      expect.stringContaining("opens 4789 (swarm overlay VXLAN) to 0.0.0.0/0"),
    ]);
    expect(check("securityGroupRule", { ...rule, type: "egress" }, defaults)).toEqual([]);
  });

  it("does not read ICMP type/code as ports", () => {
    const sg = clusterSecurityGroup();
    sg.ingress.push({ protocol: "icmp", fromPort: 8, toPort: 2377, cidrBlocks: ["0.0.0.0/0"] });
    expect(check("securityGroup", sg, defaults)).toEqual([]);
  });

  it("runs on all three rule types through the policy", () => {
    const open = { ...clusterIngressRule(), cidrIpv6: "::/0" };
    const found = evaluatePack([{ type: TYPES.vpcIngressRule, name: "r", props: open }]).filter(
      (v) => v.policy === "no-public-cluster-ports",
    );
    expect(found).toHaveLength(1);
    expect(found[0].message).toContain("opens 2377 (swarm management) to ::/0");
  });
});
