import { describe, expect, it } from "vitest";
import { evaluatePack } from "../../policy/evaluate";
import {
  checkOnlyEdgePublic,
  OnlyEdgePublicSettings,
  onlyEdgePublicConfigSchema,
} from "../../policy/onlyEdgePublic";
import { withDefaults } from "../../policy/settings";
import {
  clusterSecurityGroup,
  edgeIngressRule,
  edgeSecurityGroup,
  nfsSecurityGroupRule,
  tags,
  TYPES,
} from "./fixtures";

const defaults = withDefaults<OnlyEdgePublicSettings>(onlyEdgePublicConfigSchema, {});
const check = checkOnlyEdgePublic;

describe("only-edge-public", () => {
  it("defaults to role edge on TCP 80 (nginx serves no TLS)", () => {
    expect(defaults).toEqual({ publicRoles: ["edge"], publicPorts: [80] });
  });

  it("reports 443 on the edge by default (no TLS listener), and accepts it once publicPorts lists it", () => {
    const https = { ...edgeIngressRule(), fromPort: 443, toPort: 443 };
    expect(check("vpcIngressRule", https, defaults)).toEqual([
      "rule (protocol tcp, port 443) is open to 0.0.0.0/0; the edge tier may only open TCP 80 to the internet",
    ]);
    const withTls = withDefaults<OnlyEdgePublicSettings>(onlyEdgePublicConfigSchema, {
      publicPorts: [80, 443],
    });
    expect(check("vpcIngressRule", https, withTls)).toEqual([]);
  });

  it("passes the edge SG (80 over IPv4 and IPv6) and an edge HTTP rule", () => {
    expect(check("securityGroup", edgeSecurityGroup(), defaults)).toEqual([]);
    expect(check("vpcIngressRule", edgeIngressRule(), defaults)).toEqual([]);
  });

  it("passes non-public rules on any group (SSH from the admin CIDR, cluster SG sources)", () => {
    expect(check("securityGroup", clusterSecurityGroup(), defaults)).toEqual([]);
    expect(check("securityGroupRule", nfsSecurityGroupRule(), defaults)).toEqual([]);
  });

  it("reports HTTP opened to the internet on a swarm-role rule", () => {
    const rule = { ...edgeIngressRule(), tags: tags("swarm") };
    expect(check("vpcIngressRule", rule, defaults)).toEqual([
      'rule (protocol tcp, port 80) is open to 0.0.0.0/0 but swarm-ha:role is "swarm"; only edge security groups may be public',
    ]);
  });

  it("reports a public rule without a role tag", () => {
    const rule = edgeIngressRule();
    delete rule.tags;
    expect(check("vpcIngressRule", rule, defaults)).toEqual([
      "rule (protocol tcp, port 80) is open to 0.0.0.0/0 but swarm-ha:role is unset; only edge security groups may be public",
    ]);
  });

  it("reports the edge opening another port to the internet", () => {
    const rule = { ...edgeIngressRule(), fromPort: 8080, toPort: 8080 };
    expect(check("vpcIngressRule", rule, defaults)).toEqual([
      "rule (protocol tcp, port 8080) is open to 0.0.0.0/0; the edge tier may only open TCP 80 to the internet",
    ]);
  });

  it("reports an edge range 80-443 (it covers 81-442)", () => {
    const sg = edgeSecurityGroup();
    sg.ingress[0].toPort = 443;
    const out = check("securityGroup", sg, defaults);
    expect(out).toHaveLength(2); // IPv4 and IPv6 sources of the same block
    expect(out[0]).toContain("ingress[0] (protocol tcp, ports 80-443) is open to 0.0.0.0/0;");
    expect(out[1]).toContain("is open to ::/0;");
  });

  it("reports UDP 80 on the edge", () => {
    const rule = { ...edgeIngressRule(), ipProtocol: "udp" };
    expect(check("vpcIngressRule", rule, defaults)).toEqual([
      expect.stringContaining("(protocol udp, port 80) is open to 0.0.0.0/0;"),
    ]);
  });

  it("reports all-traffic from the internet even on the edge", () => {
    const rule: Record<string, any> = { ...edgeIngressRule(), ipProtocol: "-1" };
    delete rule.fromPort;
    delete rule.toPort;
    expect(check("vpcIngressRule", rule, defaults)).toEqual([
      expect.stringContaining("(protocol -1, all ports) is open to 0.0.0.0/0;"),
    ]);
  });

  it("reports world-open ICMP on a non-edge group", () => {
    const sg = clusterSecurityGroup();
    sg.ingress.push({ protocol: "icmp", fromPort: -1, toPort: -1, cidrBlocks: ["0.0.0.0/0"] });
    expect(check("securityGroup", sg, defaults)).toEqual([
      expect.stringContaining(
        'ingress[4] (protocol icmp, no ports) is open to 0.0.0.0/0 but swarm-ha:role is "swarm"',
      ),
    ]);
  });

  it("reports a world-open ec2 SecurityGroupRule, which cannot carry the role tag", () => {
    const rule = {
      type: "ingress",
      securityGroupId: "sg-edge",
      protocol: "tcp",
      fromPort: 443,
      toPort: 443,
      cidrBlocks: ["0.0.0.0/0"],
    };
    expect(check("securityGroupRule", rule, defaults)).toEqual([
      expect.stringContaining("(aws.ec2.SecurityGroupRule cannot carry the role tag)"),
    ]);
  });

  it("accepts another public role when a stack configures it", () => {
    const rule = { ...edgeIngressRule(), tags: tags("bastion") };
    const s = withDefaults<OnlyEdgePublicSettings>(onlyEdgePublicConfigSchema, {
      publicRoles: ["edge", "bastion"],
    });
    expect(check("vpcIngressRule", rule, s)).toEqual([]);
  });

  it("reads the inline rules' role from the group's tags through the policy", () => {
    const sg = { ...edgeSecurityGroup(), tags: tags("nfs") };
    const found = evaluatePack([{ type: TYPES.securityGroup, name: "sg", props: sg }]).filter(
      (v) => v.policy === "only-edge-public",
    );
    expect(found).toHaveLength(2); // 80 over IPv4 and IPv6
  });
});
