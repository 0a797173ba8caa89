/**
 * Issue 24 through the whole program (index.ts under the strict mocks): normalized CIDRs reach every
 * resource, Graviton types get the arm64 AMI, a near-miss namespace is warned about, and one value of
 * each refused class stops the program with a RunError before a single resource.
 */
import * as pulumi from "@pulumi/pulumi";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Registration, runProgram } from "../mocks";

const ADMIN = { adminCidr: "192.0.2.10/32" };
const NO_DRILL = { chaosEnabled: "false" };

afterEach(() => {
  vi.restoreAllMocks();
});

describe("values passed on in their normal form", () => {
  it("a VPC and SSH rules typed with leading zeros get 10.42.0.0/16 and 198.51.100.7/32, everywhere", async () => {
    vi.resetModules();
    const stack = await runProgram("dev", {
      ...NO_DRILL,
      vpcCidr: "010.042.000.000/16",
      adminCidr: "198.051.100.007/32",
    });
    const vpcs = stack.byType("aws:ec2/vpc:Vpc");
    expect(vpcs.map((v) => v.inputs.cidrBlock)).toEqual(["10.42.0.0/16"]);
    const ssh = stack
      .byType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
      .filter((r) => r.inputs.fromPort === 22);
    expect(ssh.length).toBe(3);
    for (const r of ssh) expect(r.inputs.cidrIpv4).toBe("198.51.100.7/32");
    // No input of any resource carries the spelling as typed.
    expect(JSON.stringify(stack.resources.map((r) => r.inputs))).not.toMatch(
      /010\.042|198\.051|\.007\//,
    );
  });
});

describe("Graviton instance types", () => {
  it("get the arm64 Ubuntu AMI; an x86 balancer beside them keeps the amd64 one", async () => {
    vi.resetModules();
    const stack = await runProgram("dev", {
      ...NO_DRILL,
      ...ADMIN,
      instanceFamilies: '["m7g","t4g","t3"]',
      managerInstanceType: "m7g.large",
      workerInstanceType: "m7g.large",
      nfsInstanceType: "t4g.micro",
      edgeInstanceType: "t3.micro",
    });
    const amiOf = (type: string) =>
      stack
        .byType("aws:ec2/instance:Instance")
        .filter((i) => i.inputs.instanceType === type)
        .map((i) => i.inputs.ami);
    expect(amiOf("m7g.large")).toEqual(Array(4).fill("ami-0fedcba9876543210"));
    expect(amiOf("t4g.micro")).toEqual(["ami-0fedcba9876543210"]);
    expect(amiOf("t3.micro")).toEqual(["ami-0123456789abcdef0"]);
  });
});

describe("keys in a near-miss namespace", () => {
  it("warn, naming the key meant, and the stack still builds from its own keys", async () => {
    vi.resetModules();
    const warn = vi.spyOn(pulumi.log, "warn");
    await runProgram("dev", {
      ...NO_DRILL,
      ...ADMIN,
      "swarmha:workerCount": "5",
      "swarm_ha:wasPort": "9090",
      "aws:profile": "ops",
    });
    const warned = warn.mock.calls.map((c) => String(c[0]));
    expect(warned).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^config key "swarm_ha:wasPort" is ignored: .*did you mean swarm-ha:wasPort\?/,
        ),
        expect.stringMatching(
          /^config key "swarmha:workerCount" is ignored: .*did you mean swarm-ha:workerCount\?/,
        ),
      ]),
    );
    expect(warned.filter((w) => /is ignored/.test(w))).toHaveLength(2);
  });
});

const REFUSED: Array<[label: string, overrides: Record<string, string>, message: RegExp]> = [
  [
    "public vpcCidr",
    { vpcCidr: "8.8.0.0/16" },
    /^config key "vpcCidr": 8\.8\.0\.0\/16 is outside the private ranges/,
  ],
  [
    "SSH from loopback",
    { adminCidr: "127.0.0.1/32" },
    /^config key "adminCidr": 127\.0\.0\.1\/32 is loopback/,
  ],
  [
    "subnets too small",
    { vpcCidr: "10.42.0.0/24", managerCount: "5", workerCount: "100" },
    /^config key "vpcCidr": .*would hold 54 instances/,
  ],
  [
    "an instance type that does not exist",
    { workerInstanceType: "t3.metal" },
    /^config key "workerInstanceType": "t3\.metal" is not an EC2 instance type/,
  ],
  [
    "a blank instance family",
    { instanceFamilies: '["t3",""]' },
    /^config key "instanceFamilies": entry 1 is blank/,
  ],
  ["root login", { sshUser: "root" }, /^config key "sshUser": root cannot log in/],
  [
    "a long export path",
    { nfsExportPath: `/srv/${"x".repeat(5000)}` },
    /^config key "nfsExportPath": .*PATH_MAX/,
  ],
  [
    "a health path with dot segments",
    { wasHealthPath: "/../../etc/passwd" },
    /^config key "wasHealthPath": .*"\.\." segment/,
  ],
  [
    "a deadline below the heartbeat's",
    { chaosEnabled: "true", chaosDeadlineSeconds: "10", dispatcherHeartbeatSeconds: "60" },
    /^config key "chaosDeadlineSeconds": 10 s cannot pass.*182 s/,
  ],
  [
    "one worker",
    { workerCount: "1" },
    /^config key "wasReplicas": .*`pulumi config set workerCount 3`$/,
  ],
  [
    "an implied latest image",
    { wasImage: "registry.example.com/app" },
    /^config key "wasImage": .*names no tag, so swarm pulls :latest/,
  ],
  ["a duplicate env key", { wasEnv: '["A=1","A=2"]' }, /^config key "wasEnv": A is set twice/],
  [
    "a huge manager count",
    { managerCount: "99999999999999999999" },
    /^config key "managerCount": must be 1, 3 or 5 .*\(got 99999999999999999999\)$/,
  ],
];

describe("the program refuses each class before creating anything", () => {
  it.each(REFUSED)("%s", async (_label, overrides, message) => {
    vi.resetModules();
    const created: Registration[] = [];
    const err = await runProgram("dev", { ...ADMIN, ...overrides }, created).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(pulumi.RunError);
    expect((err as Error).message).toMatch(message);
    await new Promise((r) => setTimeout(r, 200));
    expect(created).toEqual([]);
  });
});
