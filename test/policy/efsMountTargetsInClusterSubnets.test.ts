import { describe, expect, it } from "vitest";
import { checkEfsMountTargetsInClusterSubnets } from "../../policy/efsMountTargetsInClusterSubnets";
import { evaluatePack } from "../../policy/evaluate";
import { efsStack } from "./fixtures";

const messages = (stack: ReturnType<typeof efsStack>) =>
  checkEfsMountTargetsInClusterSubnets(stack).map((f) => `${f.resource.name}: ${f.message}`);
const change = (stack: ReturnType<typeof efsStack>, name: string, props: Record<string, unknown>) =>
  stack.map((r) => (r.name === name ? { ...r, props: { ...r.props, ...props } } : r));

describe("efs-mount-targets-in-cluster-subnets", () => {
  it("passes mount targets in the subnets the swarm nodes run in", () => {
    expect(messages(efsStack())).toEqual([]);
  });

  it("reports a mount target in the balancers' subnet", () => {
    expect(messages(change(efsStack(), "logs-mt-1", { subnetId: "subnet-edge" }))).toEqual([
      "logs-mt-1: subnetId subnet-edge holds no swarm node; put the log store's mount targets in the cluster subnets only (subnet-1, subnet-2)",
    ]);
  });

  it("counts only swarm nodes (managers and workers), not the balancers, as the cluster", () => {
    const edgeOnly = change(
      change(efsStack(), "logs-mt-0", { subnetId: "subnet-edge" }),
      "edge-0",
      { subnetId: "subnet-edge" },
    );
    expect(messages(edgeOnly)).toHaveLength(1);
  });

  it("does not judge a subnet that is unknown during a preview, nor a stack without swarm nodes", () => {
    const unknown = efsStack().map((r) =>
      r.name === "logs-mt-1" ? { ...r, props: { ...r.props, subnetId: undefined } } : r,
    );
    expect(messages(unknown)).toEqual([]);
    expect(messages(efsStack().filter((r) => r.type !== "aws:ec2/instance:Instance"))).toEqual([]);
  });

  it("reports through the pack against the mount target", () => {
    const found = evaluatePack(
      change(efsStack(), "logs-mt-0", { subnetId: "subnet-other" }),
    ).filter((v) => v.policy === "efs-mount-targets-in-cluster-subnets");
    expect(found.map((v) => [v.type, v.name, v.enforcementLevel])).toEqual([
      ["aws:efs/mountTarget:MountTarget", "logs-mt-0", "mandatory"],
    ]);
    expect(found[0].message).toMatch(/^logs-mt-0: subnetId subnet-other holds no swarm node/);
  });
});
