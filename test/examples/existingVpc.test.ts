/**
 * The existing-VPC example, synthesized under the mocks like dev and prod: it creates no network of
 * its own, puts its security groups in the given VPC and its machines in the given subnets, and its
 * graph passes the policy pack.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluatePack, formatViolations, PackConfig } from "../../policy/evaluate";
import { MockedStack } from "../mocks";
import { EXAMPLE_DIR, EXAMPLE_PROJECT, runExistingVpc } from "./existingVpcProgram";

const stackConfig = (
  parse(fs.readFileSync(path.join(EXAMPLE_DIR, "Pulumi.dev.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  }
).config;
const given = <T>(key: string) => stackConfig[`${EXAMPLE_PROJECT}:${key}`] as T;

describe("examples/existing-vpc under mocks", () => {
  let s: MockedStack;
  beforeAll(async () => {
    s = await runExistingVpc();
  }, 60_000);

  it("creates no VPC, subnet, gateway or route", () => {
    for (const t of [
      "aws:ec2/vpc:Vpc",
      "aws:ec2/subnet:Subnet",
      "aws:ec2/internetGateway:InternetGateway",
      "aws:ec2/routeTable:RouteTable",
      "aws:ec2/routeTableAssociation:RouteTableAssociation",
    ]) {
      expect(s.byType(t), t).toEqual([]);
    }
    expect(s.byType("swarm-ha:network:ExistingNetwork")).toHaveLength(1);
  });

  it("creates the three security groups inside the given VPC", () => {
    const groups = s.byType("aws:ec2/securityGroup:SecurityGroup");
    expect(groups.map((g) => g.name).sort()).toEqual(["net-cluster", "net-edge", "net-nfs"]);
    for (const g of groups) expect(g.inputs.vpcId, g.name).toBe(given<string>("vpcId"));
    expect(s.outputs.vpcId).toBe(given<string>("vpcId"));
  });

  it("places every machine in a given subnet: cluster nodes and NFS in cluster subnets, balancers in edge subnets", () => {
    const instances = s.byType("aws:ec2/instance:Instance");
    expect(instances).toHaveLength(3 + 2 + 1 + 2);
    const cluster = given<string[]>("clusterSubnetIds");
    const edge = given<string[]>("edgeSubnetIds");
    for (const i of instances) {
      expect(i.name.startsWith("edge-") ? edge : cluster, i.name).toContain(i.inputs.subnetId);
    }
    // Spread over both zones, and the pair in two zones.
    expect(
      new Set(instances.filter((i) => i.name.startsWith("swarm-")).map((i) => i.inputs.subnetId))
        .size,
    ).toBe(2);
    expect(
      new Set(instances.filter((i) => i.name.startsWith("edge-")).map((i) => i.inputs.subnetId))
        .size,
    ).toBe(2);
  });

  it("exports the NFS directory to the given cluster subnet CIDRs only", () => {
    const userData = String(s.one("logs-server").inputs.userData);
    for (const cidr of given<string[]>("clusterSubnetCidrs")) expect(userData).toContain(cidr);
    expect(userData).not.toContain("10.42.");
  });

  it("turns on automatic recovery on every instance", () => {
    for (const i of s.byType("aws:ec2/instance:Instance")) {
      expect(i.inputs.maintenanceOptions, i.name).toEqual({ autoRecovery: "default" });
    }
  });

  it("produces zero policy violations (dev and prod pack configs)", () => {
    const resources = s.resources.map((r) => ({ type: r.type, name: r.name, props: r.inputs }));
    expect(resources.some((r) => r.type === "docker:index/service:Service")).toBe(true);
    for (const stack of ["dev", "prod"]) {
      const config = JSON.parse(
        fs.readFileSync(path.join(__dirname, "..", "..", "policy", `config.${stack}.json`), "utf8"),
      ) as PackConfig;
      const violations = evaluatePack(resources, config);
      expect(violations, `${stack}: ${formatViolations(violations)}`).toEqual([]);
    }
  });

  it("would be caught by the pack if it opened SSH to the world (scripted case)", () => {
    const resources = s.resources.map((r) => ({ type: r.type, name: r.name, props: r.inputs }));
    const ssh = resources.find((r) => r.name === "net-cluster-ssh")!;
    const open = {
      ...ssh,
      name: "net-cluster-ssh-open",
      props: { ...ssh.props, cidrIpv4: "0.0.0.0/0" },
    };
    expect(evaluatePack([...resources, open]).map((v) => v.policy)).toContain(
      "no-public-cluster-ports",
    );
  });
});
