/**
 * The dev stack's single balancer under mocks (edgeNodes 1): nothing of the pair exists, and the
 * balancer is what it was before pairs (no role, no keepalived, no EIP left to a notify script).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { MockedStack, runProgram, stackConfig } from "../mocks";

describe("single balancer (dev, edgeNodes 1) under mocks", () => {
  let s: MockedStack;

  beforeAll(async () => {
    expect(stackConfig("dev").edgeNodes).toBe("1");
    s = await runProgram("dev", { adminCidr: "192.0.2.10/32" });
  }, 60_000);

  it("creates one balancer without an instance profile or keepalived", () => {
    const edges = s
      .byType("aws:ec2/instance:Instance")
      .filter((i) => i.inputs.tags?.["swarm-ha:role"] === "edge");
    expect(edges).toHaveLength(1);
    expect(edges[0].inputs.iamInstanceProfile).toBeUndefined();
    expect(edges[0].inputs.userData).not.toContain("keepalived");
    expect(edges[0].inputs.userData).not.toContain("aws-cli");
  });

  it("creates no IAM resources and pushes no keepalived config", () => {
    expect(s.resources.filter((r) => r.type.startsWith("aws:iam/"))).toEqual([]);
    expect(s.byType("command:remote:Command").filter((c) => c.name.includes("keepalived"))).toEqual(
      [],
    );
    expect(
      s
        .byType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        .filter((r) => r.inputs.ipProtocol === "112"),
    ).toEqual([]);
    expect(s.invokes).not.toContain("aws:index/getCallerIdentity:getCallerIdentity");
  });

  it("pushes nginx.conf through the Elastic IP, which replaced the balancer's launch-time public IP", () => {
    const push = s.one("edge-0-nginx-conf");
    expect(s.one("edge-0").state.publicIp).not.toBe("203.0.113.10");
    expect(push.inputs.connection.host).toBe("203.0.113.10");
    expect(push.dependsOn).toContain("edge-eip");
  });

  it("serves HTTP only: 443 is not opened without a TLS listener", () => {
    const publicRules = s
      .byType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
      .filter((r) => r.inputs.cidrIpv4 === "0.0.0.0/0");
    expect(publicRules.map((r) => r.inputs.fromPort)).toEqual([80]);
    expect(s.one("edge-0-nginx-conf").inputs.stdin).not.toMatch(/listen\s+443/);
  });

  it("keeps one Elastic IP on the balancer", () => {
    const eips = s.byType("aws:ec2/eip:Eip");
    expect(eips).toHaveLength(1);
    expect(eips[0].inputs.instance).toBe(s.one("edge-0").id);
    expect(s.outputs.url).toBe("http://203.0.113.10/");
  });
});
