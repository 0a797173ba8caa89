/**
 * The AWS adapters of the drill's fault kinds, each a NodeStopper (stop = inject, start = heal):
 * - `stop`      Ec2Stopper (chaos/aws/aws.ts): graceful StopInstances, the OS shuts down in order.
 * - `kill`      Ec2Killer: StopInstances with SkipOsShutdown and Force, an abrupt loss.
 * - `partition` SgPartitioner (chaos/aws/awsPartition.ts): the node runs on, cut off by its groups.
 * - `az-loss`   AzLossStopper: every instance of the stack in one availability zone, killed at once.
 * Every one reads the instance's tags back (Ec2Stopper.guard) before each mutating call.
 * docs/aws-faults.md gives the calls, the IAM permissions and the limits.
 */

import { DescribeInstancesCommand, StopInstancesCommand } from "@aws-sdk/client-ec2";
import type { FaultKind } from "../../base/faults";
import {
  Ec2Stopper,
  edgeNodes,
  type GuardedOutputs,
  type StackNode,
  type StackOutputs,
} from "./aws";
import {
  type Ec2FaultApi,
  type FaultOptions,
  instancesOf,
  Serial,
  startAndWait,
  waitStopped,
} from "./awsFaultBase";
import { SgPartitioner } from "./awsPartition";
import { planAzLoss, type AzLossPlan } from "../drill/azLoss";
import type { NodeStopper } from "../types";

export type { Ec2FaultApi, FaultOptions } from "./awsFaultBase";
export { SgPartitioner } from "./awsPartition";
export { planAzLoss, type AzLossPlan } from "../drill/azLoss";

/**
 * StopInstances as a power loss. `Force` alone is not one: the EC2 API reference says a forced stop
 * first attempts a graceful shutdown and forces only if that does not finish in time.
 * `SkipOsShutdown` bypasses the OS shutdown (no flush, no shutdown scripts: dockerd never drains).
 */
export function killCommand(ids: readonly string[]): StopInstancesCommand {
  return new StopInstancesCommand({ InstanceIds: [...ids], SkipOsShutdown: true, Force: true });
}

/** `kill`: abrupt loss of one node; the heal starts it and waits for running. */
export class Ec2Killer implements NodeStopper {
  private readonly guardian: Ec2Stopper;
  private readonly serial = new Serial();

  constructor(
    private readonly ec2: Ec2FaultApi,
    outputs: GuardedOutputs,
    private readonly opts: FaultOptions = {},
  ) {
    this.guardian = new Ec2Stopper(ec2, outputs, opts);
  }

  stop(target: string): Promise<void> {
    return this.serial.run(async () => {
      const id = await this.guardian.guard(target);
      this.opts.log?.(`kill: ${target} (${id}), skipping the OS shutdown`);
      await this.ec2.send(killCommand([id]));
      // Waiting for "stopped" lets the heal start it (StartInstances refuses a stopping instance).
      await waitStopped(this.ec2, [id], this.opts);
      this.opts.log?.(`kill: ${target} (${id}) stopped`);
    });
  }

  start(target: string): Promise<void> {
    return this.serial.run(async () => {
      const id = await this.guardian.guard(target);
      this.opts.log?.(`kill: starting ${target} (${id})`);
      await startAndWait(this.ec2, [id], this.opts);
      this.opts.log?.(`kill: ${target} (${id}) running`);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// az-loss

/**
 * `az-loss`: every node of the stack in one zone (managers, workers, a balancer) killed in one
 * StopInstances call; the heal starts them all. The zone comes from DescribeInstances
 * (Placement.AvailabilityZone) of the swarm nodes and the balancers.
 */
export class AzLossStopper implements NodeStopper {
  private readonly members: StackNode[];
  private readonly guards: Map<string, Ec2Stopper>;
  private readonly stopped = new Map<string, readonly StackNode[]>();
  private readonly serial = new Serial();

  constructor(
    private readonly ec2: Ec2FaultApi,
    outputs: GuardedOutputs & Pick<StackOutputs, "edgeInstanceIds">,
    private readonly opts: FaultOptions = {},
  ) {
    const edges = edgeNodes(outputs);
    this.members = [...outputs.nodes, ...edges];
    // Two guards: swarm nodes checked against their role, balancers against swarm-ha:role=edge.
    const nodeGuard = new Ec2Stopper(ec2, outputs, opts);
    const edgeGuard = new Ec2Stopper(ec2, { ...outputs, nodes: edges }, opts);
    this.guards = new Map(
      this.members.map((m) => [m.name, m.role === "edge" ? edgeGuard : nodeGuard]),
    );
  }

  /** Reads every member's zone (one DescribeInstances) and plans the loss; mutates nothing. */
  async plan(target: string, forHeal = false): Promise<AzLossPlan<StackNode>> {
    const ids = this.members.map((m) => m.instanceId);
    const found = instancesOf(
      await this.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids })),
    );
    const zoneOf = new Map<string, string>();
    for (const i of found)
      if (i.InstanceId && i.Placement?.AvailabilityZone)
        zoneOf.set(i.InstanceId, i.Placement.AvailabilityZone);
    const missing = this.members.filter((m) => !zoneOf.has(m.instanceId));
    if (missing.length > 0)
      throw new Error(
        `az-loss: no zone for ${missing.map((m) => `${m.name} (${m.instanceId})`).join(", ")}`,
      );
    return planAzLoss(this.members, zoneOf, target, forHeal);
  }

  private async guardAll(victims: readonly StackNode[]): Promise<string[]> {
    const ids: string[] = [];
    for (const v of victims) ids.push(await this.guards.get(v.name)!.guard(v.name));
    return ids;
  }

  stop(target: string): Promise<void> {
    return this.serial.run(async () => {
      const p = await this.plan(target);
      const ids = await this.guardAll(p.victims);
      const names = p.victims.map((v) => v.name).join(", ");
      this.opts.log?.(
        `az-loss: ${p.zone} (${p.managersInZone}/${p.managersTotal} managers): killing ${names}`,
      );
      this.stopped.set(target, p.victims);
      await this.ec2.send(killCommand(ids));
      await waitStopped(this.ec2, ids, this.opts);
      this.opts.log?.(`az-loss: ${p.zone} down (${ids.length} instances stopped)`);
    });
  }

  /** Starts what stop() stopped; in a fresh process, every member in the target's zone. */
  start(target: string): Promise<void> {
    return this.serial.run(async () => {
      const victims = this.stopped.get(target) ?? (await this.plan(target, true)).victims;
      const ids = await this.guardAll(victims);
      this.opts.log?.(`az-loss: starting ${victims.map((v) => v.name).join(", ")}`);
      await startAndWait(this.ec2, ids, this.opts);
      this.stopped.delete(target);
      this.opts.log?.(`az-loss: ${ids.length} instances running`);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Wiring

/** The AWS adapter of each fault kind: a kind of base/faults.ts without one here does not compile. */
const AWS_FAULT_STOPPERS: Readonly<
  Record<FaultKind, (ec2: Ec2FaultApi, outputs: GuardedOutputs, opts: FaultOptions) => NodeStopper>
> = {
  stop: (ec2, outputs, opts) => new Ec2Stopper(ec2, outputs, opts),
  kill: (ec2, outputs, opts) => new Ec2Killer(ec2, outputs, opts),
  partition: (ec2, outputs, opts) => new SgPartitioner(ec2, outputs, opts),
};

/**
 * The NodeStopper of one fault kind, for `npm run chaos -- --fault stop|kill|partition`. For the
 * balancers pass `{ nodes: edgeNodes(outputs), stackTags }` as the outputs, as the edge drill does.
 */
export function createAwsFaultStopper(
  fault: FaultKind,
  ec2: Ec2FaultApi,
  outputs: GuardedOutputs,
  opts: FaultOptions = {},
): NodeStopper {
  return AWS_FAULT_STOPPERS[fault](ec2, outputs, opts);
}
