import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { evaluatePack, mandatoryViolations, RecordedResource } from "../../policy/evaluate";
import { policies } from "../../policy/policies";
import {
  clusterIngressRule,
  clusterSecurityGroup,
  edgeIngressRule,
  edgeSecurityGroup,
  instance,
  nfsSecurityGroupRule,
  tags,
  TYPES,
  volume,
  wasService,
} from "./fixtures";

const root = path.join(__dirname, "..", "..");

/** A small but complete stack: every type the pack looks at, all compliant. */
function happyStack(): RecordedResource[] {
  return [
    { type: TYPES.instance, name: "manager-0", props: instance() },
    { type: TYPES.instance, name: "worker-0", props: instance() },
    { type: TYPES.volume, name: "logs", props: volume() },
    { type: TYPES.securityGroup, name: "cluster", props: clusterSecurityGroup() },
    { type: TYPES.securityGroup, name: "edge", props: edgeSecurityGroup() },
    { type: TYPES.vpcIngressRule, name: "cluster-2377", props: clusterIngressRule() },
    { type: TYPES.vpcIngressRule, name: "edge-80", props: edgeIngressRule() },
    { type: TYPES.securityGroupRule, name: "nfs-2049", props: nfsSecurityGroupRule() },
    {
      type: TYPES.subnet,
      name: "subnet-0",
      props: { vpcId: "vpc-1", cidrBlock: "10.42.0.0/19", tags: tags("network") },
    },
    {
      type: TYPES.routeTableAssociation,
      name: "assoc-0",
      props: { subnetId: "s", routeTableId: "r" },
    },
    { type: "command:remote:Command", name: "swarm-init", props: { create: "docker swarm init" } },
    { type: TYPES.service, name: "was", props: wasService() },
  ];
}

describe("the pack", () => {
  it("names every policy once, in kebab-case, with a description and a default level", () => {
    const names = policies.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(8);
    for (const p of policies) {
      expect(p.name, p.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(p.name).not.toBe("all"); // reserved by the engine for "every policy"
      expect(p.description.length, p.name).toBeGreaterThan(20);
      expect(p.enforcementLevel, p.name).toBe("mandatory");
      expect("validateStack" in p ? p.validateStack : p.validateResource, p.name).toBeDefined();
      expect(Object.keys(p.configSchema?.properties ?? {}), p.name).not.toContain(
        "enforcementLevel",
      );
    }
  });

  it("pins the same Pulumi SDK versions as the program (one @pulumi/pulumi in the tree)", () => {
    const program = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
    const pack = JSON.parse(fs.readFileSync(path.join(root, "policy", "package.json"), "utf8"));
    const rootVersions = { ...program.dependencies, ...program.devDependencies };
    expect(pack.name).toBe("swarm-ha-policy");
    expect(pack.version).toMatch(/^\d+\.\d+\.\d+$/); // PolicyPack refuses to start without one
    for (const [dep, version] of Object.entries(pack.dependencies as Record<string, string>)) {
      expect(version, dep).toBe(rootVersions[dep]);
    }
    expect(Object.keys(pack.dependencies)).toEqual(
      expect.arrayContaining(["@pulumi/policy", "@pulumi/pulumi", "@pulumi/aws", "@pulumi/docker"]),
    );
    const yaml = parse(fs.readFileSync(path.join(root, "policy", "PulumiPolicy.yaml"), "utf8"));
    expect(yaml.runtime).toBe("nodejs");
    expect(String(yaml.description)).not.toBe("");
  });
});

describe("evaluatePack", () => {
  it("finds nothing in a compliant stack", () => {
    expect(evaluatePack(happyStack())).toEqual([]);
  });

  it("reports each broken resource once per policy, with type, name, level and message", () => {
    const stack = happyStack();
    const props = (i: number) => stack[i].props as Record<string, any>;
    props(1).metadataOptions.httpTokens = "optional";
    props(2).encrypted = false;
    props(11).updateConfig.failureAction = "continue";
    expect(evaluatePack(stack)).toEqual([
      {
        policy: "ec2-imdsv2-required",
        enforcementLevel: "mandatory",
        type: TYPES.instance,
        name: "worker-0",
        message: 'metadataOptions.httpTokens must be "required" (IMDSv2), got "optional"',
      },
      {
        policy: "ebs-encrypted",
        enforcementLevel: "mandatory",
        type: TYPES.volume,
        name: "logs",
        message: "encrypted must be true, got false",
      },
      {
        policy: "was-service-resilient",
        enforcementLevel: "mandatory",
        type: TYPES.service,
        name: "was",
        message: 'updateConfig.failureAction must be "rollback", got "continue"',
      },
    ]);
  });

  it("applies enforcement levels from the pack config: per policy, 'all', disabled, remediate", () => {
    const stack = happyStack();
    stack[0].props.instanceType = "x2iedn.32xlarge";
    stack[3].props.tags = {};
    const levels = (cfg: Parameters<typeof evaluatePack>[1]) =>
      Object.fromEntries(evaluatePack(stack, cfg).map((v) => [v.policy, v.enforcementLevel]));

    expect(levels({})).toEqual({
      "allowed-instance-families": "mandatory",
      "required-tags": "mandatory",
    });
    expect(levels({ "required-tags": "advisory" })).toEqual({
      "allowed-instance-families": "mandatory",
      "required-tags": "advisory",
    });
    expect(
      levels({ all: "advisory", "allowed-instance-families": { enforcementLevel: "mandatory" } }),
    ).toEqual({
      "allowed-instance-families": "mandatory",
      "required-tags": "advisory",
    });
    expect(levels({ "required-tags": "disabled" })).toEqual({
      "allowed-instance-families": "mandatory",
    });
    expect(levels({ all: "remediate" })).toEqual({
      "allowed-instance-families": "mandatory",
      "required-tags": "mandatory",
    });
    expect(mandatoryViolations(evaluatePack(stack, { all: "advisory" }))).toEqual([]);
  });

  it("refuses a policy whose validation is asynchronous rather than silently skipping it", () => {
    const asyncPolicy = {
      name: "async-check",
      description: "an asynchronous validation",
      validateResource: async () => undefined,
    };
    expect(() => evaluatePack(happyStack(), {}, [asyncPolicy])).toThrow(/validates asynchronously/);
  });
});

describe("the per-stack policy configs (policy/config.<stack>.json, used by the PR preview)", () => {
  const LEVELS = ["advisory", "mandatory", "remediate", "disabled"];
  const JSON_TYPES: Record<string, (v: unknown) => boolean> = {
    integer: (v) => Number.isInteger(v),
    array: (v) => Array.isArray(v),
    string: (v) => typeof v === "string",
    boolean: (v) => typeof v === "boolean",
  };

  for (const stack of ["dev", "prod"]) {
    it(`${stack}: names only known policies, valid levels and settings the schema declares`, () => {
      const file = path.join(root, "policy", `config.${stack}.json`);
      const config = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
      for (const [name, entry] of Object.entries(config)) {
        const policy = policies.find((p) => p.name === name);
        expect(policy !== undefined || name === "all", `unknown policy ${name}`).toBe(true);
        if (typeof entry === "string") {
          expect(LEVELS, name).toContain(entry);
          continue;
        }
        const { enforcementLevel, ...settings } = entry as Record<string, unknown>;
        if (enforcementLevel !== undefined) expect(LEVELS, name).toContain(enforcementLevel);
        for (const [key, value] of Object.entries(settings)) {
          const spec = policy?.configSchema?.properties[key] as { type?: string } | undefined;
          expect(spec, `${name}.${key} is not in the policy's configSchema`).toBeDefined();
          expect(JSON_TYPES[spec!.type!](value), `${name}.${key} must be ${spec!.type}`).toBe(true);
        }
      }
    });
  }
});
