/**
 * Bad existing-network input fails before anything is created, as one RunError naming the field
 * (the Node.js host prints a RunError as its message alone).
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { checkExistingNetworkArgs, ExistingNetworkArgs } from "../../components/network";
import { Registration } from "../mocks";
import { runExistingVpc } from "./existingVpcProgram";

const valid: ExistingNetworkArgs = {
  identity: { project: "p", stack: "s" },
  vpcId: "vpc-0a1b2c3d4e5f60718",
  availabilityZones: ["eu-west-1a", "eu-west-1b"],
  clusterSubnetIds: ["subnet-0aa11bb22cc33dd44", "subnet-0ee55ff66aa77bb88"],
  clusterSubnetCidrs: ["10.20.1.0/24", "10.20.2.0/24"],
  edgeSubnetIds: ["subnet-0cc99dd00ee11ff22", "subnet-0aa33bb44cc55dd66"],
  adminCidr: "203.0.113.7/32",
  wasPort: 8080,
};

function refusal(change: Partial<ExistingNetworkArgs>): unknown {
  try {
    checkExistingNetworkArgs({ ...valid, ...change });
  } catch (e) {
    return e;
  }
  return undefined;
}

describe("existing network arguments", () => {
  it("accepts a VPC with one cluster and one edge subnet per zone", () => {
    expect(refusal({})).toBeUndefined();
    expect(refusal({ edgeSubnetIds: undefined, vpcId: "vpc-0a1b2c3d" })).toBeUndefined();
  });

  const cases: [string, Partial<ExistingNetworkArgs>, RegExp][] = [
    [
      "a subnet id as vpcId",
      { vpcId: "subnet-0aa11bb22cc33dd44" },
      /"vpcId": "subnet-0aa11bb22cc33dd44" is not a VPC id; use the id of your VPC/,
    ],
    ["an empty vpcId", { vpcId: "" }, /"vpcId": "" is not a VPC id/],
    [
      "no subnets",
      { clusterSubnetIds: [] },
      /"clusterSubnetIds": no subnets given; give one subnet id per availability zone \(2\)/,
    ],
    [
      "one subnet for two zones",
      { clusterSubnetIds: ["subnet-0aa11bb22cc33dd44"] },
      /"clusterSubnetIds": 1 subnet\(s\) for 2 availability zone\(s\)/,
    ],
    [
      "three edge subnets for two zones",
      { edgeSubnetIds: ["subnet-0aaaaaaa", "subnet-0bbbbbbb", "subnet-0ccccccc"] },
      /"edgeSubnetIds": 3 subnet\(s\) for 2/,
    ],
    [
      "a VPC id as subnet",
      { clusterSubnetIds: ["vpc-0a1b2c3d", "subnet-0ee55ff66aa77bb88"] },
      /"clusterSubnetIds": "vpc-0a1b2c3d" is not a subnet id/,
    ],
    [
      "one subnet twice",
      { clusterSubnetIds: ["subnet-0aa11bb22cc33dd44", "subnet-0aa11bb22cc33dd44"] },
      /"clusterSubnetIds": a subnet is listed twice/,
    ],
    ["no zones", { availabilityZones: [] }, /"availabilityZones": 0 zone\(s\) given; name 1 to 3/],
    ["four zones", { availabilityZones: ["a", "b", "c", "d"] }, /"availabilityZones": 4 zone\(s\)/],
    [
      "a CIDR missing",
      { clusterSubnetCidrs: ["10.20.1.0/24"] },
      /"clusterSubnetCidrs": 1 CIDR\(s\) for 2 cluster subnet\(s\)/,
    ],
    [
      "a host address as CIDR",
      { clusterSubnetCidrs: ["10.20.1.0/24", "10.20.2.7/24"] },
      /"clusterSubnetCidrs": "10.20.2.7\/24" is not an IPv4 network CIDR/,
    ],
  ];
  for (const [what, change, message] of cases) {
    it(`refuses ${what} with a RunError naming the field`, () => {
      const e = refusal(change);
      expect(e).toBeInstanceOf(pulumi.RunError);
      expect((e as Error).message).toMatch(message);
    });
  }

  it("refuses a bad vpcId in the example program before any resource is registered", async () => {
    const seen: Registration[] = [];
    const run = runExistingVpc({ "swarm-ha-existing-vpc:vpcId": "vpc-XYZ" }, seen);
    await expect(run).rejects.toBeInstanceOf(pulumi.RunError);
    await expect(run).rejects.toThrow(/existing network "vpcId": "vpc-XYZ" is not a VPC id/);
    expect(seen.filter((r) => !r.type.startsWith("pulumi:"))).toEqual([]);
  }, 60_000);
});
