/**
 * Holds one of the program's own stacks to the policy pack: runs index.ts under the mocks and
 * applies every policy to every registered resource. One test file per stack, because the program
 * module is evaluated once per file.
 */
import * as fs from "fs";
import * as path from "path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  evaluatePack,
  formatViolations,
  mandatoryViolations,
  PackConfig,
  RecordedResource,
  Violation,
} from "../../policy/evaluate";
import { policies } from "../../policy/policies";
import { TAGGABLE_TYPES } from "../../policy/requiredTags";
import { MockedStack, runProgram } from "../mocks";

const ADMIN_CIDR = "192.0.2.10/32";

/**
 * Whether an AWS type accepts `tags`, read from the SDK's declaration of its Args, so the answer
 * comes from the provider schema rather than from the pack's own list.
 * `aws:ec2/securityGroup:SecurityGroup` -> node_modules/@pulumi/aws/ec2/securityGroup.d.ts.
 */
export function awsTypeHasTags(type: string): boolean {
  const m = /^aws:([^/]+)\/([^:]+):(\w+)$/.exec(type);
  if (!m) throw new Error(`not an AWS type token: ${type}`);
  const dts = path.join(
    __dirname,
    "..",
    "..",
    "node_modules",
    "@pulumi",
    "aws",
    m[1],
    `${m[2]}.d.ts`,
  );
  const src = fs.readFileSync(dts, "utf8");
  const start = src.indexOf(`export interface ${m[3]}Args {`);
  if (start < 0) throw new Error(`${m[3]}Args not found in ${dts}`);
  const body = src.slice(start, src.indexOf("\n}", start));
  return /^\s+tags\?:/m.test(body);
}

export function describeProgramPolicy(stack: "dev" | "prod"): void {
  describe(`policy pack on the ${stack} stack`, () => {
    let s: MockedStack;
    let resources: RecordedResource[];
    let violations: Violation[];

    // The same per-stack policy config the PR preview passes with --policy-pack-config.
    const config = JSON.parse(
      fs.readFileSync(path.join(__dirname, "..", "..", "policy", `config.${stack}.json`), "utf8"),
    ) as PackConfig;

    beforeAll(async () => {
      s = await runProgram(stack, { adminCidr: ADMIN_CIDR });
      resources = s.resources.map((r) => ({ type: r.type, name: r.name, props: r.inputs }));
      violations = evaluatePack(resources, config);
    }, 60_000);

    it("runs with a per-stack config that keeps every policy enabled", () => {
      const levels = policies.map((p) => {
        const entry = config[p.name] ?? config.all;
        return typeof entry === "string" ? entry : (entry?.enforcementLevel ?? p.enforcementLevel);
      });
      expect(levels).not.toContain("disabled");
    });

    it("records the resources every policy looks at", () => {
      const types = new Set(resources.map((r) => r.type));
      for (const t of [
        "aws:ec2/instance:Instance",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "docker:index/service:Service",
      ]) {
        expect(types, t).toContain(t);
      }
    });

    it("produces zero mandatory violations", () => {
      const mandatory = mandatoryViolations(violations);
      expect(mandatory, formatViolations(mandatory)).toEqual([]);
    });

    it("produces no advisory violations either", () => {
      expect(violations, formatViolations(violations)).toEqual([]);
    });

    it("knows every taggable AWS type the program creates", () => {
      const awsTypes = [
        ...new Set(resources.map((r) => r.type).filter((t) => t.startsWith("aws:"))),
      ];
      const unknownTaggable = awsTypes.filter((t) => awsTypeHasTags(t) && !TAGGABLE_TYPES.has(t));
      expect(
        unknownTaggable,
        "add these classes to TAGGABLE_RESOURCES in policy/requiredTags.ts",
      ).toEqual([]);
    });

    it("holds the log store's EFS resources (when the stack uses EFS) to the EFS policies", () => {
      const mountTargets = resources.filter((r) => r.type === "aws:efs/mountTarget:MountTarget");
      const efs = resources.some((r) => r.type === "aws:efs/fileSystem:FileSystem");
      expect(efs).toBe(stack === "prod");
      if (!efs) return;
      // Doctored copies of the program's own graph: each change is reported by its policy.
      const edgeSubnet = s.byType("aws:ec2/subnet:Subnet").find((n) => n.name === "net-edge-0")!.id;
      const moved = resources.map((r) =>
        r.name === mountTargets[0].name ? { ...r, props: { ...r.props, subnetId: edgeSubnet } } : r,
      );
      expect(evaluatePack(moved, config).map((v) => [v.policy, v.name])).toEqual([
        ["efs-mount-targets-in-cluster-subnets", mountTargets[0].name],
      ]);
      const edgeGroup = s.one("net-edge").id;
      const opened = resources.map((r) =>
        r.name === "logs-efs-2049"
          ? { ...r, props: { ...r.props, referencedSecurityGroupId: edgeGroup } }
          : r,
      );
      expect(evaluatePack(opened, config).map((v) => [v.policy, v.name])).toEqual([
        ["efs-nfs-from-cluster-only", "logs-efs-2049"],
      ]);
      const plain = resources.map((r) =>
        r.type === "aws:efs/fileSystem:FileSystem"
          ? { ...r, props: { ...r.props, encrypted: false } }
          : r,
      );
      expect(evaluatePack(plain, config).map((v) => v.policy)).toEqual(["efs-encrypted"]);
    });

    it("would catch a regression: an untagged, IMDSv1 copy of an instance is reported", () => {
      const instance = resources.find((r) => r.type === "aws:ec2/instance:Instance")!;
      const broken: RecordedResource = {
        ...instance,
        name: `${instance.name}-broken`,
        props: {
          ...instance.props,
          tags: {},
          metadataOptions: { httpTokens: "optional", httpPutResponseHopLimit: 1 },
        },
      };
      const found = new Set(evaluatePack([broken]).map((v) => v.policy));
      expect([...found].sort()).toEqual(["ec2-imdsv2-required", "required-tags"]);
      expect(policies.length).toBeGreaterThanOrEqual(8);
    });
  });
}
