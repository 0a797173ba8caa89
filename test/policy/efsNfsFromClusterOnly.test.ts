import { describe, expect, it } from "vitest";
import { checkEfsNfsFromClusterOnly } from "../../policy/efsNfsFromClusterOnly";
import { evaluatePack } from "../../policy/evaluate";
import { efsStack, TYPES } from "./fixtures";

type Stack = ReturnType<typeof efsStack>;
const messages = (stack: Stack) =>
  checkEfsNfsFromClusterOnly(stack).map((f) => `${f.resource.name}: ${f.message}`);
const change = (stack: Stack, name: string, props: Record<string, unknown>) =>
  stack.map((r) => (r.name === name ? { ...r, props: { ...r.props, ...props } } : r));

describe("efs-nfs-from-cluster-only", () => {
  it("passes a log store group that admits TCP 2049 from the swarm nodes' group only", () => {
    expect(messages(efsStack())).toEqual([]);
  });

  it("reports a rule opening more than 2049", () => {
    expect(messages(change(efsStack(), "logs-efs-2049", { fromPort: 0, toPort: 65535 }))).toEqual([
      "logs-efs-2049: opens protocol tcp ports 0-65535 on the log store's group sg-efs; it may open TCP 2049 only",
    ]);
  });

  it("reports 2049 over UDP", () => {
    expect(messages(change(efsStack(), "logs-efs-2049", { ipProtocol: "udp" }))).toEqual([
      "logs-efs-2049: opens protocol udp ports 2049-2049 on the log store's group sg-efs; it may open TCP 2049 only",
    ]);
  });

  it("reports NFS from a CIDR (even the VPC's)", () => {
    expect(
      messages(
        change(efsStack(), "logs-efs-2049", {
          referencedSecurityGroupId: undefined,
          cidrIpv4: "10.42.0.0/16",
        }),
      ),
    ).toEqual([
      "logs-efs-2049: admits CIDR 10.42.0.0/16 to the log store's group sg-efs; admit the swarm nodes' security group only",
    ]);
  });

  it("reports NFS from a group no swarm node carries (the balancers')", () => {
    expect(
      messages(change(efsStack(), "logs-efs-2049", { referencedSecurityGroupId: "sg-edge" })),
    ).toEqual([
      "logs-efs-2049: admits NFS from security group sg-edge, which no swarm node carries; admit the cluster's group only",
    ]);
  });

  it("reports a mount target without a group (AWS would attach the VPC's default group)", () => {
    expect(messages(change(efsStack(), "logs-mt-0", { securityGroups: [] }))).toEqual([
      "logs-mt-0: securityGroups is empty: AWS then attaches the VPC's default group; name the log store's own group",
    ]);
  });

  it("judges an ec2 SecurityGroupRule on the log store's group the same way, and ignores other groups' rules", () => {
    const extra = {
      type: TYPES.securityGroupRule,
      name: "logs-efs-ssh",
      props: {
        type: "ingress",
        securityGroupId: "sg-efs",
        protocol: "tcp",
        fromPort: 22,
        toPort: 22,
        cidrBlocks: ["192.0.2.10/32"],
      },
    };
    expect(messages([...efsStack(), extra])).toEqual([
      "logs-efs-ssh: opens protocol tcp ports 22-22 on the log store's group sg-efs; it may open TCP 2049 only",
      "logs-efs-ssh: admits CIDR 192.0.2.10/32 to the log store's group sg-efs; admit the swarm nodes' security group only",
    ]);
    expect(
      messages([
        ...efsStack(),
        { ...extra, props: { ...extra.props, securityGroupId: "sg-other" } },
      ]),
    ).toEqual([]);
  });

  it("reports through the pack against the rule", () => {
    const found = evaluatePack(
      change(efsStack(), "logs-efs-2049", { referencedSecurityGroupId: "sg-edge" }),
    ).filter((v) => v.policy === "efs-nfs-from-cluster-only");
    expect(found.map((v) => [v.type, v.name])).toEqual([[TYPES.vpcIngressRule, "logs-efs-2049"]]);
  });
});
