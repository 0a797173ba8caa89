/**
 * The prod stack's balancer pair under mocks (edgeNodes 2): two balancers in two AZs behind one
 * Elastic IP, an instance role that may move only that address onto only those instances, and
 * keepalived pushed to each balancer with the other as its unicast peer.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { KEEPALIVED_PATHS } from "../../renderers/keepalived";
import { MockedStack, Registration, runProgram, stackConfig, mockId } from "../mocks";

const INSTANCE = "aws:ec2/instance:Instance";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
const REMOTE = "command:remote:Command";
const ADMIN_CIDR = "192.0.2.10/32";
const role = (r: Registration) => r.inputs.tags?.["swarm-ha:role"];

/** One keepalived.conf directive's value (first match). */
function directive(conf: string, re: RegExp): string | undefined {
  return re.exec(conf)?.[1];
}

describe("edge pair (prod, edgeNodes 2) under mocks", () => {
  let s: MockedStack;
  const edges = () => s.byType(INSTANCE).filter((i) => role(i) === "edge");

  beforeAll(async () => {
    // The premise of this file: prod is the stack that runs a pair.
    expect(stackConfig("prod").edgeNodes).toBe("2");
    s = await runProgram("prod", { adminCidr: ADMIN_CIDR });
  }, 60_000);

  it("runs two balancers in two subnets (two AZs), the same nginx.conf on both", () => {
    const [a, b] = edges();
    expect(edges()).toHaveLength(2);
    expect(a.inputs.subnetId).not.toBe(b.inputs.subnetId);
    expect([a.inputs.subnetId, b.inputs.subnetId]).toEqual([
      mockId("aws:ec2/subnet:Subnet", "net-edge-0"),
      mockId("aws:ec2/subnet:Subnet", "net-edge-1"),
    ]);
    const confs = s.byType(REMOTE).filter((c) => /^edge-\d-nginx-conf$/.test(c.name));
    expect(confs).toHaveLength(2);
    expect(confs[0].inputs.stdin).toBe(confs[1].inputs.stdin);
    for (const e of edges()) {
      expect(e.inputs.userData, e.name).toMatch(/- keepalived\n/);
      expect(e.inputs.userData, e.name).toContain("aws-cli");
      expect(e.inputs.userData, e.name).toContain(KEEPALIVED_PATHS.systemdDropIn);
    }
  });

  it("has one Elastic IP, placed on node 0 at creation and then left to keepalived", () => {
    const eips = s.byType("aws:ec2/eip:Eip");
    expect(eips).toHaveLength(1);
    expect(eips[0].inputs.instance).toBe(s.one("edge-0").id);
    expect(eips[0].inputs.tags).toMatchObject({ "swarm-ha:role": "edge" });
    expect(s.outputs.url).toBe("http://203.0.113.10/");
  });

  it("attaches the instance profile to the balancers and to nothing else", () => {
    const profiles = s.byType("aws:iam/instanceProfile:InstanceProfile");
    expect(profiles).toHaveLength(1);
    const [profile] = profiles;
    expect(profile.inputs.role).toBe("edge-role-id");
    expect(profile.inputs.tags).toMatchObject({ "swarm-ha:role": "edge" });
    for (const e of edges()) expect(e.inputs.iamInstanceProfile, e.name).toBe(profile.id);
    const others = s.byType(INSTANCE).filter((i) => role(i) !== "edge");
    expect(others.length).toBeGreaterThan(0);
    for (const o of others) expect(o.inputs.iamInstanceProfile, o.name).toBeUndefined();
    const [r] = s.byType("aws:iam/role:Role");
    expect(JSON.parse(r.inputs.assumeRolePolicy).Statement).toEqual([
      { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
    expect(s.byType("aws:iam/role:Role")).toHaveLength(1);
  });

  it("lets the role move only the pair's Elastic IP onto only the pair's instances", () => {
    const policies = s.byType("aws:iam/rolePolicy:RolePolicy");
    expect(policies).toHaveLength(1);
    expect(s.byType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")).toEqual([]);
    expect(s.byType("aws:iam/policy:Policy")).toEqual([]);
    const [policy] = policies;
    expect(policy.inputs.role).toBe("edge-role-id");
    const doc = JSON.parse(policy.inputs.policy);
    const eip = s.byType("aws:ec2/eip:Eip")[0];
    const eipArn = `arn:aws:ec2:eu-west-1:123456789012:elastic-ip/${eip.state.allocationId}`;
    expect(doc.Statement).toEqual([
      {
        Sid: "MoveThePairEip",
        Effect: "Allow",
        Action: "ec2:AssociateAddress",
        Resource: [eipArn, ...edges().map((e) => e.state.arn)],
      },
      { Sid: "SeeWhoHoldsIt", Effect: "Allow", Action: "ec2:DescribeAddresses", Resource: "*" },
    ]);
    // No wildcard anywhere but the one Describe action that cannot be scoped; no Deny to reason about.
    const actions = doc.Statement.flatMap((st: any) => [st.Action].flat());
    expect(actions.sort()).toEqual(["ec2:AssociateAddress", "ec2:DescribeAddresses"]);
    expect(actions.some((a: string) => a.includes("*"))).toBe(false);
    expect(policy.dependsOn).toEqual(expect.arrayContaining(["edge-0", "edge-1", "edge-eip"]));
  });

  it("pushes keepalived.conf to each balancer with the other as its only unicast peer", () => {
    const [a, b] = edges();
    const pushes = s.byType(REMOTE).filter((c) => /^edge-\d-keepalived-conf$/.test(c.name));
    expect(pushes.map((p) => p.name)).toEqual(["edge-0-keepalived-conf", "edge-1-keepalived-conf"]);
    const expected = [
      { self: a, peer: b, priority: "150" },
      { self: b, peer: a, priority: "100" },
    ];
    pushes.forEach((p, i) => {
      const conf = String(p.inputs.stdin);
      const { self, peer, priority } = expected[i];
      expect(directive(conf, /unicast_src_ip (\S+)/), p.name).toBe(self.state.privateIp);
      expect(directive(conf, /unicast_peer \{\s+(\S+)\s+\}/), p.name).toBe(peer.state.privateIp);
      expect(directive(conf, /router_id (\S+)/)).toBe(`edge-${i}`);
      expect(directive(conf, /priority (\d+)/)).toBe(priority);
      expect(conf).toMatch(/state BACKUP\n\s+nopreempt/);
      expect(conf).toContain("interface ens5");
      expect(conf).toContain(`notify_master "${KEEPALIVED_PATHS.notifyScript} MASTER"`);
      expect(p.inputs.create).toContain('keepalived -t -f "$tmp"');
      expect(p.inputs.create.indexOf("keepalived -t")).toBeLessThan(
        p.inputs.create.indexOf(KEEPALIVED_PATHS.conf),
      );
      expect(p.dependsOn).toEqual(
        expect.arrayContaining([`edge-${i}-keepalived-notify`, `edge-${i}-nginx-conf`]),
      );
    });
    // Node 0 starts first and wins the first election, where the EIP was placed.
    expect(pushes[1].dependsOn).toContain("edge-0-keepalived-conf");
    expect(pushes[1].seq).toBeGreaterThan(pushes[0].seq);
  });

  it("installs the notify script with the pair's allocation and checks the role with a dry run", () => {
    const eip = s.byType("aws:ec2/eip:Eip")[0];
    const notifies = s.byType(REMOTE).filter((c) => /^edge-\d-keepalived-notify$/.test(c.name));
    expect(notifies).toHaveLength(2);
    for (const n of notifies) {
      expect(n.inputs.stdin).toContain(`ALLOCATION_ID='${eip.state.allocationId}'`);
      expect(n.inputs.create).toContain(
        `install -m 0755 -o root -g root "$tmp" ${KEEPALIVED_PATHS.notifyScript}`,
      );
      expect(n.inputs.create).toMatch(new RegExp(`${KEEPALIVED_PATHS.notifyScript} check$`));
      expect(n.dependsOn).toContain("edge-eip-policy");
    }
  });

  it("opens VRRP (protocol 112) between members of the edge group only", () => {
    const vrrp = s.byType(INGRESS).filter((r) => r.inputs.ipProtocol === "112");
    expect(vrrp).toHaveLength(1);
    expect(vrrp[0].inputs).toMatchObject({
      securityGroupId: s.one("net-edge").id,
      referencedSecurityGroupId: s.one("net-edge").id,
    });
    expect(vrrp[0].inputs.cidrIpv4).toBeUndefined();
    expect(vrrp[0].inputs.fromPort).toBeUndefined();
  });

  it("reaches each balancer at its private address through the Elastic IP, never at a public IP that a takeover swaps", () => {
    const pushes = s.byType(REMOTE).filter((c) => /^edge-\d-/.test(c.name));
    expect(pushes).toHaveLength(6); // nginx.conf, notify script, keepalived.conf on each
    for (const p of pushes) {
      const i = Number(p.name[5]);
      // The EIP is always on a live member, which reaches the other over the VPC (issue 22 finding 10).
      expect(p.inputs.connection, p.name).toMatchObject({
        host: s.one(`edge-${i}`).state.privateIp,
        proxy: { host: "203.0.113.10" },
      });
      expect(p.dependsOn, p.name).toContain("edge-eip");
    }
    const ssh = s
      .byType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
      .filter((r) => r.name === "net-edge-ssh-pair");
    expect(ssh).toHaveLength(1);
    expect(ssh[0].inputs).toMatchObject({
      fromPort: 22,
      toPort: 22,
      securityGroupId: s.one("net-edge").id,
      referencedSecurityGroupId: s.one("net-edge").id,
    });
  });

  it("asks AWS only for the partition, region and account of the EIP's ARN", () => {
    expect(s.invokes).toEqual(
      expect.arrayContaining([
        "aws:index/getPartition:getPartition",
        "aws:index/getRegion:getRegion",
        "aws:index/getCallerIdentity:getCallerIdentity",
      ]),
    );
  });
});
