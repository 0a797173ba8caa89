/**
 * Issue 11 item 3: the program's outputs and the chaos CLI are held to each other. Each stack is
 * synthesized under mocks with chaosEnabled and each valid chaosTarget; what the ChaosCheck would
 * receive on stdin goes through the CLI's real parser, argument parser and AWS adapter constructors.
 */
import { afterAll, describe, expect, it, vi } from "vitest";
import { parseStackOutputs, StackOutputs } from "../../chaos/aws/aws";
import { parseArgs } from "../../chaos/cli";
import { defaultDeps } from "../../cli/chaos";
import { TAG_DEPLOYMENT } from "../../base/tags";
import { parseConfig } from "../../config/schema";
import { MockedStack, runProgram, stackConfig } from "../mocks";
import { ADMIN_CIDR } from "./describeStack";

const LOCAL = "command:local:Command";

/** Targets the drill accepts for a stack: roles it can serve plus every node name the program makes. */
function validTargets(stack: "dev" | "prod"): string[] {
  const cfg = parseConfig({ ...stackConfig(stack), adminCidr: ADMIN_CIDR });
  const names = [
    ...[...Array(cfg.managers.count).keys()].map((i) => `swarm-manager-${i}`),
    ...[...Array(cfg.workers.count).keys()].map((i) => `swarm-worker-${i}`),
  ];
  const candidates = [
    "worker",
    ...(cfg.managers.count >= 3 ? ["manager"] : []),
    ...(cfg.edge.nodes === 2 ? ["edge"] : []),
    ...names,
  ];
  // Exactly the targets the program's own config check accepts (it refuses the only manager).
  const accepted = (t: string) => {
    try {
      parseConfig({
        ...stackConfig(stack),
        adminCidr: ADMIN_CIDR,
        chaosEnabled: "true",
        chaosTarget: t,
      });
      return true;
    } catch {
      return false;
    }
  };
  const valid = candidates.filter(accepted);
  if (valid.length < candidates.length - 1)
    throw new Error(
      `the config check refuses more targets than the only manager: ${candidates.filter((t) => !accepted(t))}`,
    );
  return valid;
}

async function synthesize(
  stack: "dev" | "prod",
  target: string,
  extra: Record<string, string> = {},
): Promise<{ s: MockedStack; stdin: unknown; create: string; environment: unknown }> {
  vi.resetModules();
  const s = await runProgram(stack, {
    adminCidr: ADMIN_CIDR,
    chaosEnabled: "true",
    chaosTarget: target,
    ...extra,
  });
  const drill = s.byType(LOCAL).find((c) => String(c.inputs.create).includes("cli/chaos.ts"));
  if (!drill) throw new Error(`no chaos drill registered for ${stack}/${target}`);
  return {
    s,
    stdin: JSON.parse(String(drill.inputs.stdin)),
    create: String(drill.inputs.create),
    environment: drill.inputs.environment,
  };
}

const closers: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of closers) await c();
});

describe.each(["dev", "prod"] as const)("chaos contract: stack %s", (stack) => {
  it.each(validTargets(stack))(
    "target %s: the CLI parses what the ChaosCheck receives and builds its adapters",
    async (target) => {
      const { s, stdin, create } = await synthesize(stack, target);
      const o: StackOutputs = parseStackOutputs(stdin);

      // The command line the check runs is one the CLI accepts, for this target.
      const argv = create.split(" ");
      const opts = parseArgs(argv.slice(argv.indexOf("cli/chaos.ts") + 1));
      expect(opts).not.toBe("help");
      expect(JSON.stringify(opts)).toContain(target);

      // Node names are the ones the program makes; ids are EC2's; the drill's guard data is there.
      const instances = s.byType("aws:ec2/instance:Instance");
      for (const n of o.nodes) {
        const instance = instances.find((i) => i.name === n.name);
        expect(instance, n.name).toBeDefined();
        expect(n.instanceId).toBe(instance!.id);
        expect(n.instanceId).toMatch(/^i-[0-9a-f]{17}$/);
      }
      const raw = stdin as Record<string, unknown>;
      expect(raw.vpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
      expect(raw.deploymentId).toMatch(/^[0-9a-f]{16}$/);
      for (const i of instances)
        expect(i.inputs.tags[TAG_DEPLOYMENT], i.name).toBe(raw.deploymentId);

      // The adapter constructors the CLI uses for AWS (they validate what they are given).
      const log = () => undefined;
      if (target === "edge") {
        expect(o.edgeEipAllocationId).toMatch(/^eipalloc-[0-9a-f]{17}$/);
        const edge = defaultDeps.awsEdgeSetup!(o, log);
        closers.push(() => edge.close());
      } else {
        const node = defaultDeps.awsSetup!(o, log);
        closers.push(() => node.close());
      }
      expect(s.outputs.chaosReport).toMatchObject({ passed: true });
    },
    60_000,
  );
});

describe("chaos contract: the drill engineer's guard data", () => {
  it("a ChaosCheck fed outputs without the EIP allocation id fails the edge adapter (the case that must fail)", async () => {
    const { stdin } = await synthesize("prod", "worker");
    const { edgeEipAllocationId: _dropped, ...withoutEip } = stdin as Record<string, unknown>;
    expect(() => defaultDeps.awsEdgeSetup!(parseStackOutputs(withoutEip), () => undefined)).toThrow(
      /edgeEipAllocationId/,
    );
  }, 60_000);
});

describe("chaos contract: the drill's AWS identity", () => {
  it("the drill process gets the stack's aws:profile and aws:region (it is not the program, which the CLI configured)", async () => {
    const withProfile = await synthesize("dev", "worker", { "aws:profile": "swarm-ha-ops" });
    expect(withProfile.environment).toEqual({
      AWS_REGION: "eu-west-1",
      SWARM_HA_DRILL_AWS: JSON.stringify({ region: "eu-west-1", profile: "swarm-ha-ops" }),
    });
    const without = await synthesize("dev", "worker");
    expect(without.environment).toEqual({ AWS_REGION: "eu-west-1" });
  }, 60_000);
});

describe("chaos contract: with either log store", () => {
  // Issue 25: prod ships with EFS and dev with the NFS instance; each stack also synthesizes with the
  // other store (prod's instance store only through the documented opt-in), and the CLI's contract holds.
  const cases: Array<
    [stack: "dev" | "prod", store: "instance" | "efs", extra: Record<string, string>]
  > = [
    ["dev", "instance", {}],
    ["dev", "efs", { logStore: "efs" }],
    ["prod", "efs", {}],
    ["prod", "instance", { logStore: "instance", acceptLogStoreZoneLoss: "true" }],
  ];
  it.each(cases)(
    "%s with the %s store: outputs name the store, the CLI parses what the drill receives",
    async (stack, store, extra) => {
      const { s, stdin } = await synthesize(stack, "worker", extra);
      const o = parseStackOutputs(stdin);
      expect(o.nodes.length).toBeGreaterThan(0);
      const logStore = s.outputs.logStore as { kind: string; export: string; retained: string };
      expect(logStore.kind).toBe(store);
      expect(s.outputs.nfsExport).toBe(logStore.export);
      if (store === "efs") {
        expect(logStore.export).toMatch(/^fs-[0-9a-f]{17}\.efs\.eu-west-1\.amazonaws\.com:\/$/);
        expect(logStore.retained).toMatch(/^fs-[0-9a-f]{17}$/);
        expect(
          s
            .byType("aws:ec2/instance:Instance")
            .filter((i) => i.inputs.tags["swarm-ha:role"] === "nfs"),
        ).toEqual([]);
        expect(s.outputs.nfsDataVolumeId).toBeUndefined();
      } else {
        expect(logStore.export).toMatch(/^\d+\.\d+\.\d+\.\d+:\/srv\//);
        expect(logStore.retained).toMatch(/^vol-[0-9a-f]{17}$/);
        expect(s.outputs.nfsDataVolumeId).toBe(logStore.retained);
      }
      // The drill reads no log-store output: its stdin is the same set of keys with either store.
      expect(Object.keys(stdin as object).sort()).toEqual(
        [
          "url",
          "region",
          "managerAddress",
          "managerAddresses",
          "nodes",
          "edgeInstanceIds",
          "edgeEipAllocationId",
          "serviceName",
          "replicas",
          "managersRunTasks",
          "sshUser",
          "sshPrivateKey",
          "stackTags",
          "vpcId",
          "deploymentId",
        ].sort(),
      );
      const node = defaultDeps.awsSetup!(o, () => undefined);
      closers.push(() => node.close());
      expect(s.outputs.chaosReport).toMatchObject({ passed: true });
    },
    60_000,
  );
});
