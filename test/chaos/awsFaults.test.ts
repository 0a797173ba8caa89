/**
 * The AWS fault adapters against a scripted EC2: which calls, in which order, what the account looks
 * like after every exit path (heal, partial failure, double heal, a heal racing the fault, a drill
 * killed mid-partition), the tag guard, and the az-loss quorum refusal.
 */
import * as fs from "fs";
import * as path from "path";
import {
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  type IpPermission,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  StartInstancesCommand,
  StopInstancesCommand,
} from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import { parseStackOutputs, type StackNode } from "../../chaos/aws/aws";
import type { Ec2FaultApi, FaultCommand } from "../../chaos/aws/awsFaultBase";
import {
  AzLossStopper,
  createAwsFaultStopper,
  Ec2Killer,
  planAzLoss,
  SgPartitioner,
} from "../../chaos/aws/awsFaults";
import {
  decodeRestore,
  encodeRestore,
  TAG_ISOLATES,
  TAG_RESTORE,
} from "../../chaos/aws/awsPartition";

// Compile-time: the real client is what the CLI passes.
const _real: Ec2FaultApi = new EC2Client({ region: "eu-west-1" });
void _real;

const outputs = parseStackOutputs({
  ...JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures/outputs.json"), "utf8")),
  edgeInstanceIds: ["i-0ccccccccccccccc1", "i-0ccccccccccccccc2"],
});
const fast = { minDelaySeconds: 1, maxDelaySeconds: 1, waitSeconds: 5, deleteRetryMs: 1 };
const ours = (role: string) => ({
  "swarm-ha:project": "swarm-ha",
  "swarm-ha:stack": "dev",
  "swarm-ha:role": role,
  "swarm-ha:deployment": outputs.deploymentId,
});
const DEFAULT_EGRESS: IpPermission[] = [{ IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }];

interface Inst {
  tags: Record<string, string>;
  state: string;
  az: string;
  enis: Record<string, string[]>;
}
interface Group {
  name: string;
  vpc: string;
  tags: Record<string, string>;
  egress: IpPermission[];
}
const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });

/**
 * A scripted EC2 that behaves like the real one where it matters here: a group in use cannot be
 * deleted, a group name is unique per VPC, an interface needs existing groups. `failOn` makes the
 * n-th call whose label matches throw once. Every call is one macrotask, so concurrent callers interleave.
 */
class ScriptedEc2 implements Ec2FaultApi {
  calls: string[] = [];
  inputs: unknown[] = [];
  groups = new Map<string, Group>();
  private seq = 0;
  private seen = new Map<number, number>();
  constructor(
    readonly instances: Record<string, Inst>,
    readonly failOn: Array<{ match: RegExp; nth?: number; error?: Error }> = [],
  ) {
    for (const g of ["sg-0c1a55e7", "sg-0ed9e000", "sg-0a11d000"])
      this.groups.set(g, { name: g, vpc: outputs.vpcId, tags: {}, egress: DEFAULT_EGRESS });
  }

  get mutations(): string[] {
    return this.calls.filter((c) => !c.startsWith("describe"));
  }

  async send(cmd: FaultCommand): Promise<unknown> {
    await new Promise((r) => setTimeout(r, 0));
    const label = this.label(cmd);
    this.calls.push(label);
    this.inputs.push(cmd.input);
    this.failOn.forEach((f, i) => {
      if (!f.match.test(label)) return;
      const n = (this.seen.get(i) ?? 0) + 1;
      this.seen.set(i, n);
      if (n === (f.nth ?? 1))
        throw f.error ?? awsError("InternalError", `scripted failure of "${label}"`);
    });
    return this.apply(cmd);
  }

  private label(cmd: FaultCommand): string {
    if (cmd instanceof DescribeInstancesCommand)
      return `describe ${(cmd.input.InstanceIds ?? []).join(",")}`;
    if (cmd instanceof StopInstancesCommand) {
      const mode = cmd.input.SkipOsShutdown ? " skip-os-shutdown" : "";
      return `stop ${(cmd.input.InstanceIds ?? []).join(",")}${mode}${cmd.input.Force ? " force" : ""}`;
    }
    if (cmd instanceof StartInstancesCommand)
      return `start ${(cmd.input.InstanceIds ?? []).join(",")}`;
    if (cmd instanceof DescribeSecurityGroupsCommand)
      return `describe-sg ${cmd.input.GroupIds?.join(",") ?? "by-tag"}`;
    if (cmd instanceof CreateSecurityGroupCommand) return `create-sg ${cmd.input.GroupName}`;
    if (cmd instanceof RevokeSecurityGroupEgressCommand)
      return `revoke-egress ${cmd.input.GroupId}`;
    if (cmd instanceof ModifyNetworkInterfaceAttributeCommand)
      return `modify ${cmd.input.NetworkInterfaceId} ${cmd.input.Groups?.join("+")}`;
    if (cmd instanceof DeleteSecurityGroupCommand) return `delete-sg ${cmd.input.GroupId}`;
    throw new Error("unscripted command");
  }

  private apply(cmd: FaultCommand): unknown {
    if (cmd instanceof DescribeInstancesCommand) {
      const ids = cmd.input.InstanceIds ?? [];
      const Instances = ids
        .filter((id) => id in this.instances)
        .map((id) => {
          const i = this.instances[id];
          return {
            InstanceId: id,
            VpcId: outputs.vpcId,
            State: { Name: i.state },
            Placement: { AvailabilityZone: i.az },
            Tags: Object.entries(i.tags).map(([Key, Value]) => ({ Key, Value })),
            NetworkInterfaces: Object.entries(i.enis).map(([NetworkInterfaceId, gs]) => ({
              NetworkInterfaceId,
              Groups: gs.map((GroupId) => ({ GroupId })),
            })),
          };
        });
      return { Reservations: [{ Instances }] };
    }
    if (cmd instanceof StopInstancesCommand || cmd instanceof StartInstancesCommand) {
      for (const id of cmd.input.InstanceIds ?? [])
        this.instances[id].state = cmd instanceof StopInstancesCommand ? "stopped" : "running";
      return {};
    }
    if (cmd instanceof CreateSecurityGroupCommand) {
      const { GroupName = "", VpcId = "" } = cmd.input;
      if ([...this.groups.values()].some((g) => g.name === GroupName && g.vpc === VpcId)) {
        throw awsError(
          "InvalidGroup.Duplicate",
          `The security group '${GroupName}' already exists for VPC '${VpcId}'`,
        );
      }
      const id = `sg-0150${this.seq++}`;
      const tags = Object.fromEntries(
        (cmd.input.TagSpecifications?.[0]?.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]),
      );
      this.groups.set(id, { name: GroupName, vpc: VpcId, tags, egress: DEFAULT_EGRESS });
      return { GroupId: id };
    }
    if (cmd instanceof DescribeSecurityGroupsCommand) {
      const pick = cmd.input.GroupIds
        ? cmd.input.GroupIds.filter((id) => this.groups.has(id))
        : [...this.groups.keys()].filter((id) =>
            (cmd.input.Filters ?? []).every((f) =>
              (f.Values ?? []).includes(
                this.groups.get(id)!.tags[(f.Name ?? "").replace(/^tag:/, "")],
              ),
            ),
          );
      return {
        SecurityGroups: pick.map((GroupId) => {
          const g = this.groups.get(GroupId)!;
          return {
            GroupId,
            IpPermissionsEgress: g.egress,
            Tags: Object.entries(g.tags).map(([Key, Value]) => ({ Key, Value })),
          };
        }),
      };
    }
    if (cmd instanceof RevokeSecurityGroupEgressCommand) {
      const g = this.groups.get(cmd.input.GroupId ?? "")!;
      const revoke = JSON.stringify(cmd.input.IpPermissions);
      if (revoke === JSON.stringify(g.egress)) g.egress = [];
      return {};
    }
    if (cmd instanceof ModifyNetworkInterfaceAttributeCommand) {
      const groups = cmd.input.Groups ?? [];
      if (groups.length === 0 || groups.some((g) => !this.groups.has(g)))
        throw awsError("InvalidGroup.NotFound", `groups ${groups.join(",")}`);
      const inst = Object.values(this.instances).find(
        (i) => cmd.input.NetworkInterfaceId! in i.enis,
      )!;
      inst.enis[cmd.input.NetworkInterfaceId!] = [...groups];
      return {};
    }
    const id = (cmd as DeleteSecurityGroupCommand).input.GroupId ?? "";
    if (
      Object.values(this.instances).some((i) => Object.values(i.enis).some((gs) => gs.includes(id)))
    ) {
      throw awsError("DependencyViolation", `resource ${id} has a dependent object`);
    }
    this.groups.delete(id);
    return {};
  }
}

const W2 = "i-0bbbbbbbbbbbbbbb2";
/** worker-2 with two interfaces, the second carrying two groups. */
const worker2 = (tags: Record<string, string> = ours("worker")): Record<string, Inst> => ({
  [W2]: {
    tags,
    state: "running",
    az: "eu-west-1b",
    enis: { "eni-0a1": ["sg-0c1a55e7"], "eni-0b2": ["sg-0c1a55e7", "sg-0a11d000"] },
  },
});
const ORIGINAL = { "eni-0a1": ["sg-0c1a55e7"], "eni-0b2": ["sg-0c1a55e7", "sg-0a11d000"] };

describe("kill (Ec2Killer)", () => {
  it("stops without the OS shutdown and with Force, guarded, then starts and waits for running", async () => {
    const ec2 = new ScriptedEc2(worker2());
    const k = new Ec2Killer(ec2, outputs, fast);
    await k.stop("swarm-ha-dev-worker-2");
    expect(ec2.instances[W2].state).toBe("stopped");
    await k.start("swarm-ha-dev-worker-2");
    expect(ec2.instances[W2].state).toBe("running");
    expect(ec2.calls).toEqual([
      `describe ${W2}`, // tag guard
      `stop ${W2} skip-os-shutdown force`,
      `describe ${W2}`, // waiter: stopped
      `describe ${W2}`, // tag guard
      `start ${W2}`,
      `describe ${W2}`, // waiter: running
    ]);
  });

  it("is not the graceful stop: the factory's stop and kill send different StopInstances", async () => {
    const ec2 = new ScriptedEc2(worker2());
    await createAwsFaultStopper("stop", ec2, outputs, fast).stop("swarm-ha-dev-worker-2");
    await createAwsFaultStopper("kill", ec2, outputs, fast).stop("swarm-ha-dev-worker-2");
    expect(ec2.mutations).toEqual([`stop ${W2}`, `stop ${W2} skip-os-shutdown force`]);
    expect(createAwsFaultStopper("partition", ec2, outputs, fast)).toBeInstanceOf(SgPartitioner);
  });

  it("refuses another stack's instance before any mutating call, on stop and on start", async () => {
    const ec2 = new ScriptedEc2(worker2({ ...ours("worker"), "swarm-ha:stack": "prod" }));
    const k = new Ec2Killer(ec2, outputs, fast);
    await expect(k.stop("swarm-ha-dev-worker-2")).rejects.toThrow(
      /refusing to touch swarm-ha-dev-worker-2 .*tag swarm-ha:stack is "prod", expected "dev"/,
    );
    await expect(k.start("swarm-ha-dev-worker-2")).rejects.toThrow(/refusing to touch/);
    expect(ec2.mutations).toEqual([]);
  });
});

describe("partition (SgPartitioner)", () => {
  const target = "swarm-ha-dev-worker-2";

  it("swaps every interface onto a fresh isolating group and the heal restores the exact originals", async () => {
    const ec2 = new ScriptedEc2(worker2());
    const p = new SgPartitioner(ec2, outputs, fast);
    await p.stop(target);
    const iso = "sg-01500";
    expect(ec2.instances[W2].enis).toEqual({ "eni-0a1": [iso], "eni-0b2": [iso] });
    const g = ec2.groups.get(iso)!;
    expect(g.vpc).toBe(outputs.vpcId);
    expect(g.egress).toEqual([]); // no egress (the default allow-all was revoked) and no ingress
    expect(g.tags).toMatchObject({
      "swarm-ha:project": "swarm-ha",
      "swarm-ha:stack": "dev",
      "swarm-ha:deployment": outputs.deploymentId,
      [TAG_ISOLATES]: W2,
    });
    expect(decodeRestore(g.tags[TAG_RESTORE])).toEqual([
      { eni: "eni-0a1", groups: ["sg-0c1a55e7"] },
      { eni: "eni-0b2", groups: ["sg-0c1a55e7", "sg-0a11d000"] },
    ]);
    await p.start(target);
    expect(ec2.instances[W2].enis).toEqual(ORIGINAL);
    expect(ec2.groups.has(iso)).toBe(false);
    expect(ec2.calls).toEqual([
      `describe ${W2}`, // tag guard
      `describe ${W2}`, // interfaces, groups, VPC
      "create-sg swarm-ha-dev-isolate-swarm-ha-dev-worker-2",
      `describe-sg ${iso}`,
      `revoke-egress ${iso}`,
      `modify eni-0a1 ${iso}`,
      `modify eni-0b2 ${iso}`,
      `describe ${W2}`, // tag guard before the heal
      "modify eni-0b2 sg-0c1a55e7+sg-0a11d000",
      "modify eni-0a1 sg-0c1a55e7",
      `delete-sg ${iso}`,
    ]);
  });

  it("rolls back when the second interface fails half-way, rethrows, and the core's heal is then a no-op", async () => {
    const ec2 = new ScriptedEc2(worker2(), [{ match: /^modify eni-0b2 sg-01500$/ }]);
    const p = new SgPartitioner(ec2, outputs, fast);
    await expect(p.stop(target)).rejects.toThrow(
      /partition of swarm-ha-dev-worker-2 failed and was rolled back: scripted failure of "modify eni-0b2 sg-01500"/,
    );
    expect(ec2.instances[W2].enis).toEqual(ORIGINAL);
    expect(ec2.groups.has("sg-01500")).toBe(false);
    expect(ec2.mutations.slice(-3)).toEqual([
      "modify eni-0b2 sg-01500",
      "modify eni-0a1 sg-0c1a55e7",
      "delete-sg sg-01500",
    ]);
    const before = ec2.mutations.length;
    await p.start(target);
    expect(ec2.mutations.length).toBe(before);
    expect(ec2.instances[W2].enis).toEqual(ORIGINAL);
  });

  it("rolls back when revoking the default egress fails (the group is deleted, no interface touched)", async () => {
    const ec2 = new ScriptedEc2(worker2(), [{ match: /^revoke-egress/ }]);
    const p = new SgPartitioner(ec2, outputs, fast);
    await expect(p.stop(target)).rejects.toThrow(/rolled back/);
    expect(ec2.mutations).toEqual([
      "create-sg swarm-ha-dev-isolate-swarm-ha-dev-worker-2",
      "revoke-egress sg-01500",
      "delete-sg sg-01500",
    ]);
    expect(ec2.groups.size).toBe(3);
  });

  it("heals twice safely, and a heal after a refused stop makes no mutating call", async () => {
    const ec2 = new ScriptedEc2(worker2());
    const p = new SgPartitioner(ec2, outputs, fast);
    await p.stop(target);
    await p.start(target);
    const after = ec2.mutations.length;
    await p.start(target);
    expect(ec2.mutations.length).toBe(after);
    expect(ec2.instances[W2].enis).toEqual(ORIGINAL);

    const foreign = new ScriptedEc2(worker2({ Name: "someone-elses" }));
    const q = new SgPartitioner(foreign, outputs, fast);
    await expect(q.stop(target)).rejects.toThrow(
      /refusing to touch .*tag swarm-ha:project is missing/,
    );
    await q.start(target);
    expect(foreign.mutations).toEqual([]);
  });

  it("a heal requested while the swap is still running waits for it and restores everything", async () => {
    const ec2 = new ScriptedEc2(worker2());
    const p = new SgPartitioner(ec2, outputs, fast);
    const stopping = p.stop(target);
    await new Promise((r) => setTimeout(r, 5)); // Ctrl-C lands mid-swap
    await Promise.all([stopping, p.start(target)]);
    expect(ec2.instances[W2].enis).toEqual(ORIGINAL);
    expect(ec2.groups.size).toBe(3);
  });

  it("keeps the isolating group and names the manual fix when a restore fails; the next heal finishes", async () => {
    const ec2 = new ScriptedEc2(worker2(), [{ match: /^modify eni-0a1 sg-0c1a55e7$/ }]);
    const p = new SgPartitioner(ec2, outputs, fast);
    await p.stop(target);
    await expect(p.start(target)).rejects.toThrow(
      /could not restore the security groups of swarm-ha-dev-worker-2: eni-0a1 \(restore by hand: aws ec2 modify-network-interface-attribute --network-interface-id eni-0a1 --groups sg-0c1a55e7\).*isolating group sg-01500 is kept/,
    );
    expect(ec2.mutations).not.toContain("delete-sg sg-01500");
    expect(ec2.instances[W2].enis).toEqual({
      "eni-0a1": ["sg-01500"],
      "eni-0b2": ["sg-0c1a55e7", "sg-0a11d000"],
    });
    await p.start(target);
    expect(ec2.instances[W2].enis).toEqual(ORIGINAL);
    expect(
      ec2.mutations.filter((m) => m === "modify eni-0b2 sg-0c1a55e7+sg-0a11d000"),
    ).toHaveLength(1);
    expect(ec2.groups.has("sg-01500")).toBe(false);
  });

  it("retries the delete while EC2 still reports the group in use, and not on other errors", async () => {
    const inUse = awsError("DependencyViolation", "resource sg-01500 has a dependent object");
    const ec2 = new ScriptedEc2(worker2(), [{ match: /^delete-sg/, error: inUse }]);
    const p = new SgPartitioner(ec2, outputs, fast);
    await p.stop(target);
    await p.start(target);
    expect(ec2.mutations.filter((m) => m.startsWith("delete-sg"))).toHaveLength(2);
    expect(ec2.groups.has("sg-01500")).toBe(false);

    const denied = new ScriptedEc2(worker2(), [
      { match: /^delete-sg/, error: awsError("UnauthorizedOperation", "not allowed") },
    ]);
    const q = new SgPartitioner(denied, outputs, fast);
    await q.stop(target);
    await expect(q.start(target)).rejects.toThrow(
      /deleting the isolating group sg-01500 failed: not allowed; delete it by hand/,
    );
    expect(denied.mutations.filter((m) => m.startsWith("delete-sg"))).toHaveLength(1);
    expect(denied.instances[W2].enis).toEqual(ORIGINAL);
  });

  it("heals what a killed drill left behind, from the group's tags, in a fresh process", async () => {
    const ec2 = new ScriptedEc2(worker2());
    await new SgPartitioner(ec2, outputs, fast).stop(target); // the process dies here
    const next = new SgPartitioner(ec2, outputs, fast);
    await expect(next.stop(target)).rejects.toThrow(/InvalidGroup.Duplicate|already exists/);
    expect(ec2.instances[W2].enis).toEqual({ "eni-0a1": ["sg-01500"], "eni-0b2": ["sg-01500"] });
    await next.start(target);
    expect(ec2.instances[W2].enis).toEqual(ORIGINAL);
    expect(ec2.groups.has("sg-01500")).toBe(false);
  });

  it("encodes and decodes the restore tag, and rejects a tampered one", () => {
    const list = [{ eni: "eni-0a1", groups: ["sg-1", "sg-2"] }];
    expect(encodeRestore(list)).toBe("eni-0a1=sg-1+sg-2");
    expect(decodeRestore("eni-0a1=sg-1+sg-2")).toEqual(list);
    expect(() => decodeRestore("eni-0a1=")).toThrow(/cannot read "eni-0a1="/);
  });
});

describe("az-loss", () => {
  const node = (name: string, role: StackNode["role"], instanceId: string): StackNode => ({
    name,
    role,
    instanceId,
    privateIp: "",
    publicIp: "",
  });
  const M = [
    node("m1", "manager", "i-m1"),
    node("m2", "manager", "i-m2"),
    node("m3", "manager", "i-m3"),
  ];
  const W = [
    node("w1", "worker", "i-w1"),
    node("w2", "worker", "i-w2"),
    node("w3", "worker", "i-w3"),
  ];
  const zones = (pairs: Record<string, string>) => new Map(Object.entries(pairs));

  it("plans one zone by name or by a node in it", () => {
    const z = zones({
      "i-m1": "eu-west-1a",
      "i-m2": "eu-west-1b",
      "i-m3": "eu-west-1c",
      "i-w1": "eu-west-1a",
      "i-w2": "eu-west-1b",
      "i-w3": "eu-west-1a",
    });
    const p = planAzLoss([...M, ...W], z, "eu-west-1a");
    expect(p.victims.map((v) => v.name)).toEqual(["m1", "w1", "w3"]);
    expect(planAzLoss([...M, ...W], z, "w2").zone).toBe("eu-west-1b");
    expect(() => planAzLoss([...M, ...W], z, "eu-west-1d")).toThrow(
      /no instance of this stack runs in eu-west-1d \(zones: eu-west-1a, eu-west-1b, eu-west-1c\)/,
    );
    expect(() => planAzLoss([...M, ...W], z, "db-1")).toThrow(
      /az-loss target "db-1": give an availability zone/,
    );
  });

  it("refuses a zone that holds half the managers or more, and says why", () => {
    const two = zones({
      "i-m1": "eu-west-1a",
      "i-m2": "eu-west-1a",
      "i-m3": "eu-west-1b",
      "i-w1": "eu-west-1b",
    });
    expect(() => planAzLoss([...M, W[0]], two, "eu-west-1a")).toThrow(
      /refusing az-loss of eu-west-1a: it holds 2 of 3 managers; the 1 left are no majority \(Raft needs 2\)/,
    );
    expect(planAzLoss([...M, W[0]], two, "eu-west-1b").managersInZone).toBe(1);
    const pair = zones({ "i-m1": "eu-west-1a", "i-m2": "eu-west-1b" });
    expect(() => planAzLoss(M.slice(0, 2), pair, "eu-west-1a")).toThrow(/1 of 2 managers/);
    expect(() => planAzLoss(M.slice(0, 1), zones({ "i-m1": "eu-west-1a" }), "m1")).toThrow(
      /1 of 1 managers/,
    );
    // The heal of a zone is never refused.
    expect(planAzLoss([...M, W[0]], two, "eu-west-1a", true).victims).toHaveLength(2);
  });

  /** The fixture stack: managers 1/3 and workers 1/3 and edge-0 in 1a, the rest in 1b. */
  const fleet = (edgeRole = "edge"): Record<string, Inst> => {
    const inst = (role: string, az: string): Inst => ({
      tags: ours(role),
      state: "running",
      az,
      enis: {},
    });
    return {
      "i-0aaaaaaaaaaaaaaa1": inst("manager", "eu-west-1a"),
      "i-0aaaaaaaaaaaaaaa2": inst("manager", "eu-west-1b"),
      "i-0aaaaaaaaaaaaaaa3": inst("manager", "eu-west-1c"),
      "i-0bbbbbbbbbbbbbbb1": inst("worker", "eu-west-1a"),
      "i-0bbbbbbbbbbbbbbb2": inst("worker", "eu-west-1b"),
      "i-0bbbbbbbbbbbbbbb3": inst("worker", "eu-west-1c"),
      "i-0ccccccccccccccc1": inst(edgeRole, "eu-west-1a"),
      "i-0ccccccccccccccc2": inst("edge", "eu-west-1b"),
    };
  };
  const ZONE_A = ["i-0aaaaaaaaaaaaaaa1", "i-0bbbbbbbbbbbbbbb1", "i-0ccccccccccccccc1"];

  it("kills a manager, a worker and a balancer of one zone in one call, guarded, and starts them all", async () => {
    const ec2 = new ScriptedEc2(fleet());
    const az = new AzLossStopper(ec2, outputs, fast);
    await az.stop("swarm-ha-dev-worker-1");
    expect(
      Object.entries(ec2.instances)
        .filter(([, i]) => i.state === "stopped")
        .map(([id]) => id),
    ).toEqual(ZONE_A);
    await az.start("swarm-ha-dev-worker-1");
    expect(Object.values(ec2.instances).every((i) => i.state === "running")).toBe(true);
    const all = Object.keys(fleet()).join(",");
    expect(ec2.calls).toEqual([
      `describe ${all}`, // zones
      ...ZONE_A.map((id) => `describe ${id}`), // tag guard, each
      `stop ${ZONE_A.join(",")} skip-os-shutdown force`,
      `describe ${ZONE_A.join(",")}`, // waiter: stopped
      ...ZONE_A.map((id) => `describe ${id}`),
      `start ${ZONE_A.join(",")}`,
      `describe ${ZONE_A.join(",")}`, // waiter: running
    ]);
  });

  it("refuses the whole zone when one of its instances fails the tag guard, before any mutating call", async () => {
    const ec2 = new ScriptedEc2(fleet("worker"));
    const az = new AzLossStopper(ec2, outputs, fast);
    await expect(az.stop("eu-west-1a")).rejects.toThrow(
      /refusing to touch edge-0 \(i-0ccccccccccccccc1\): tag swarm-ha:role is "worker", expected "edge"/,
    );
    expect(ec2.mutations).toEqual([]);
  });

  it("refuses a zone holding the manager majority before any mutating call; a fresh process still heals a zone", async () => {
    const f = fleet();
    f["i-0aaaaaaaaaaaaaaa2"].az = "eu-west-1a";
    const ec2 = new ScriptedEc2(f);
    const az = new AzLossStopper(ec2, outputs, fast);
    await expect(az.stop("eu-west-1a")).rejects.toThrow(
      /refusing az-loss of eu-west-1a: it holds 2 of 3 managers/,
    );
    expect(ec2.calls).toEqual([`describe ${Object.keys(f).join(",")}`]);

    const down = new ScriptedEc2(fleet());
    for (const id of ZONE_A) down.instances[id].state = "stopped";
    await new AzLossStopper(down, outputs, fast).start("eu-west-1a");
    expect(down.mutations).toEqual([`start ${ZONE_A.join(",")}`]);
  });
});
