/**
 * The AWS `partition` fault: the node keeps running but is cut off from the cluster and the
 * balancers. Every network interface of its instance trades its security groups for one isolating
 * group created for the drill (no ingress, no egress rule) in the stack's VPC; the heal puts back
 * the exact original groups of each interface and deletes the isolating group.
 *
 * Limit (docs/aws-faults.md): security groups are stateful. AWS documents that changing the rules
 * does not interrupt connections the groups already track; they pass until they time out. So the
 * swap blocks every NEW connection and every untracked flow at once, while long-lived tracked flows
 * (the worker's gRPC session to a manager, nginx keep-alive upstreams) may survive it.
 */

import {
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  type IpPermission,
} from "@aws-sdk/client-ec2";
import {
  Ec2Stopper,
  type GuardedOutputs,
  type StackNode,
  TAG_DEPLOYMENT,
  TAG_PROJECT,
  TAG_STACK,
} from "./aws";
import { type Ec2FaultApi, errMsg, type FaultOptions, instancesOf, Serial } from "./awsFaultBase";
import type { NodeStopper } from "../types";

/** Tag on the isolating group: the instance it isolates (finds a group left by a killed drill). */
export const TAG_ISOLATES = "swarm-ha:chaos-isolates";
/** Tag on the isolating group: the original groups per interface, `eni-a=sg-1+sg-2;eni-b=sg-3`. */
export const TAG_RESTORE = "swarm-ha:chaos-restore";
const TAG_VALUE_MAX = 256;

/** One network interface and the security groups it had before the fault. */
export interface InterfaceGroups {
  readonly eni: string;
  readonly groups: readonly string[];
}

export function encodeRestore(list: readonly InterfaceGroups[]): string {
  return list.map((i) => `${i.eni}=${i.groups.join("+")}`).join(";");
}

export function decodeRestore(value: string): InterfaceGroups[] {
  return value
    .split(";")
    .filter((p) => p.length > 0)
    .map((p) => {
      const [eni, groups = ""] = p.split("=");
      const list = groups.split("+").filter((g) => /^sg-[0-9a-f]+$/.test(g));
      if (!/^eni-[0-9a-f]+$/.test(eni) || list.length === 0)
        throw new Error(`tag ${TAG_RESTORE}: cannot read "${p}"`);
      return { eni, groups: list };
    });
}

/** The isolating group's name: one per stack and node, so a leftover is found, never duplicated. */
export function isolatingGroupName(stack: string, target: string): string {
  return `swarm-ha-${stack}-isolate-${target}`.slice(0, 255);
}

/** What a partition changed so far; the heal undoes exactly this. */
interface Isolation {
  readonly instanceId: string;
  readonly originals: readonly InterfaceGroups[];
  groupId?: string;
  /** Interfaces whose groups were swapped (in order); an entry leaves once restored. */
  swapped: InterfaceGroups[];
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x) => b.includes(x));

export class SgPartitioner implements NodeStopper {
  private readonly guardian: Ec2Stopper;
  private readonly byName: Map<string, StackNode>;
  private readonly active = new Map<string, Isolation>();
  private readonly serial = new Serial();

  constructor(
    private readonly ec2: Ec2FaultApi,
    private readonly outputs: GuardedOutputs,
    private readonly opts: FaultOptions = {},
  ) {
    this.guardian = new Ec2Stopper(ec2, outputs, opts);
    this.byName = new Map(outputs.nodes.map((n) => [n.name, n]));
  }

  private log(line: string): void {
    this.opts.log?.(`partition: ${line}`);
  }

  stop(target: string): Promise<void> {
    return this.serial.run(() => this.isolate(target));
  }

  start(target: string): Promise<void> {
    return this.serial.run(() => this.heal(target));
  }

  private async isolate(target: string): Promise<void> {
    const instanceId = await this.guardian.guard(target);
    if (this.active.has(target)) throw new Error(`${target} is already partitioned; heal it first`);
    const inst = instancesOf(
      await this.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })),
    )[0];
    const originals = (inst?.NetworkInterfaces ?? []).map((n) => ({
      eni: n.NetworkInterfaceId ?? "",
      groups: (n.Groups ?? []).map((g) => g.GroupId ?? "").filter((g) => g.length > 0),
    }));
    if (
      !inst?.VpcId ||
      originals.length === 0 ||
      originals.some((o) => !o.eni || o.groups.length === 0)
    ) {
      throw new Error(
        `cannot partition ${target} (${instanceId}): DescribeInstances shows no VPC or an interface without security groups`,
      );
    }
    const state: Isolation = { instanceId, originals, swapped: [] };
    this.active.set(target, state);
    try {
      // Recorded before its egress is revoked, so a failure from here on deletes it in the rollback.
      state.groupId = await this.createIsolatingGroup(target, instanceId, inst.VpcId, originals);
      await this.revokeEgress(state.groupId);
      this.log(
        `created isolating group ${state.groupId} in ${inst.VpcId} (no ingress, egress revoked)`,
      );
      for (const o of originals) {
        await this.ec2.send(
          new ModifyNetworkInterfaceAttributeCommand({
            NetworkInterfaceId: o.eni,
            Groups: [state.groupId],
          }),
        );
        state.swapped.push(o);
        this.log(`${target} ${o.eni}: ${o.groups.join(",")} -> ${state.groupId}`);
      }
    } catch (e) {
      const cause = errMsg(e);
      this.log(`isolating ${target} failed (${cause}); rolling back`);
      try {
        await this.undo(target, state);
      } catch (rollback) {
        throw new Error(
          `partition of ${target} failed: ${cause}; and the rollback failed too: ${errMsg(rollback)}`,
          { cause: rollback },
        );
      }
      throw new Error(`partition of ${target} failed and was rolled back: ${cause}`, { cause: e });
    }
    this.log(
      `${target} isolated; connections its groups already tracked may survive (see docs/aws-faults.md)`,
    );
  }

  /** Creates the group, tagged with the stack's tags and what the heal must restore. */
  private async createIsolatingGroup(
    target: string,
    instanceId: string,
    vpcId: string,
    originals: readonly InterfaceGroups[],
  ): Promise<string> {
    const restore = encodeRestore(originals);
    const tags = [
      { Key: TAG_PROJECT, Value: this.outputs.stackTags.project },
      { Key: TAG_STACK, Value: this.outputs.stackTags.stack },
      { Key: TAG_DEPLOYMENT, Value: this.outputs.deploymentId },
      { Key: "Name", Value: isolatingGroupName(this.outputs.stackTags.stack, target) },
      { Key: TAG_ISOLATES, Value: instanceId },
      // Past 256 characters (many interfaces) the heal relies on this process's memory alone.
      ...(restore.length <= TAG_VALUE_MAX ? [{ Key: TAG_RESTORE, Value: restore }] : []),
    ];
    const created = (await this.ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: isolatingGroupName(this.outputs.stackTags.stack, target),
        Description: `swarm-ha chaos drill: isolates ${target} (${instanceId}); deleted by the heal`,
        VpcId: vpcId,
        TagSpecifications: [{ ResourceType: "security-group", Tags: tags }],
      }),
    )) as { GroupId?: string };
    if (!created.GroupId) throw new Error("CreateSecurityGroup returned no GroupId");
    return created.GroupId;
  }

  /**
   * A new group comes with an allow-all egress rule (IPv4, and IPv6 in a dual-stack VPC): revoke
   * exactly the rules the group reports, whatever they are.
   */
  private async revokeEgress(groupId: string): Promise<void> {
    const described = (await this.ec2.send(
      new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }),
    )) as {
      SecurityGroups?: Array<{ IpPermissionsEgress?: IpPermission[] }>;
    };
    const egress = described.SecurityGroups?.[0]?.IpPermissionsEgress ?? [];
    if (egress.length > 0)
      await this.ec2.send(
        new RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: egress }),
      );
  }

  private async heal(target: string): Promise<void> {
    const node = this.byName.get(target);
    if (!node)
      throw new Error(
        `refusing to touch ${target}: it is not a node of stack ${this.outputs.stackTags.stack}`,
      );
    const state = this.active.get(target) ?? (await this.leftover(target, node.instanceId));
    if (!state) {
      this.log(`${target}: nothing to heal`);
      return;
    }
    await this.guardian.guard(target);
    await this.undo(target, state);
    this.log(`${target} healed: original groups back, isolating group deleted`);
  }

  /** Restores the swapped interfaces, then deletes the group; keeps what failed for the next heal. */
  private async undo(target: string, state: Isolation): Promise<void> {
    const failed: string[] = [];
    for (const o of [...state.swapped].reverse()) {
      try {
        await this.ec2.send(
          new ModifyNetworkInterfaceAttributeCommand({
            NetworkInterfaceId: o.eni,
            Groups: [...o.groups],
          }),
        );
        state.swapped = state.swapped.filter((s) => s !== o);
        this.log(`${target} ${o.eni}: restored ${o.groups.join(",")}`);
      } catch (e) {
        failed.push(
          `${o.eni} (restore by hand: aws ec2 modify-network-interface-attribute --network-interface-id ${o.eni} --groups ${o.groups.join(" ")}): ${errMsg(e)}`,
        );
      }
    }
    if (failed.length > 0) {
      throw new Error(
        `could not restore the security groups of ${target}: ${failed.join("; ")}; the isolating group ${state.groupId} is kept`,
      );
    }
    if (state.groupId) await this.deleteGroup(state.groupId);
    this.active.delete(target);
  }

  private async deleteGroup(groupId: string): Promise<void> {
    const attempts = Math.max(1, this.opts.deleteAttempts ?? 10);
    for (let i = 1; ; i++) {
      try {
        await this.ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
        return;
      } catch (e) {
        // EC2 may still see the group on an interface for a moment after the swap back.
        const inUse =
          (e as { name?: string }).name === "DependencyViolation" ||
          /DependencyViolation/.test(errMsg(e));
        if (!inUse || i >= attempts)
          throw new Error(
            `deleting the isolating group ${groupId} failed: ${errMsg(e)}; delete it by hand (aws ec2 delete-security-group --group-id ${groupId})`,
            { cause: e },
          );
        await new Promise((r) => setTimeout(r, this.opts.deleteRetryMs ?? 3000));
      }
    }
  }

  /**
   * A group a killed drill left behind (found by its tags): its restore tag says which groups each
   * interface had; only interfaces still on the isolating group alone are put back.
   */
  private async leftover(target: string, instanceId: string): Promise<Isolation | undefined> {
    const out = (await this.ec2.send(
      new DescribeSecurityGroupsCommand({
        Filters: [
          { Name: `tag:${TAG_ISOLATES}`, Values: [instanceId] },
          { Name: `tag:${TAG_STACK}`, Values: [this.outputs.stackTags.stack] },
        ],
      }),
    )) as {
      SecurityGroups?: Array<{ GroupId?: string; Tags?: Array<{ Key?: string; Value?: string }> }>;
    };
    const group = out.SecurityGroups?.[0];
    if (!group?.GroupId) return undefined;
    const restoreTag = group.Tags?.find((t) => t.Key === TAG_RESTORE)?.Value;
    if (!restoreTag)
      throw new Error(
        `isolating group ${group.GroupId} of ${target} has no ${TAG_RESTORE} tag; restore the interfaces' groups by hand, then delete it`,
      );
    const originals = decodeRestore(restoreTag);
    const inst = instancesOf(
      await this.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })),
    )[0];
    const current = new Map(
      (inst?.NetworkInterfaces ?? []).map((n) => [
        n.NetworkInterfaceId ?? "",
        (n.Groups ?? []).map((g) => g.GroupId ?? ""),
      ]),
    );
    const swapped = originals.filter((o) => sameSet(current.get(o.eni) ?? [], [group.GroupId!]));
    this.log(
      `${target}: found isolating group ${group.GroupId} from an earlier drill; ${swapped.length} interface(s) to restore`,
    );
    return { instanceId, originals, groupId: group.GroupId, swapped };
  }
}
