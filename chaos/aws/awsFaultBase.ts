/**
 * What the AWS fault adapters (chaos/aws/awsFaults.ts, chaos/aws/awsPartition.ts) share: the slice of the
 * EC2 API they call, their options, the instance waiters and the one-at-a-time rule that keeps a
 * heal from racing the fault it undoes (the core may call start() from a signal handler while
 * stop() is still running).
 */

import {
  type CreateSecurityGroupCommand,
  type DeleteSecurityGroupCommand,
  type DescribeInstancesCommand,
  type DescribeSecurityGroupsCommand,
  type EC2Client,
  type ModifyNetworkInterfaceAttributeCommand,
  type RevokeSecurityGroupEgressCommand,
  StartInstancesCommand,
  type StopInstancesCommand,
  waitUntilInstanceRunning,
  waitUntilInstanceStopped,
} from "@aws-sdk/client-ec2";

/** Every EC2 command a fault adapter sends. */
export type FaultCommand =
  | DescribeInstancesCommand
  | StopInstancesCommand
  | StartInstancesCommand
  | DescribeSecurityGroupsCommand
  | CreateSecurityGroupCommand
  | RevokeSecurityGroupEgressCommand
  | ModifyNetworkInterfaceAttributeCommand
  | DeleteSecurityGroupCommand;

/** The part of EC2Client the fault adapters use (an EC2Client fits; tests pass a scripted fake). */
export interface Ec2FaultApi {
  send(command: FaultCommand): Promise<unknown>;
}

export interface FaultOptions {
  /** Seconds the stop/start waiters wait. Default 600. */
  readonly waitSeconds?: number;
  /** Waiter poll period bounds in seconds. Default 5..15. */
  readonly minDelaySeconds?: number;
  readonly maxDelaySeconds?: number;
  /**
   * Attempts at deleting the isolating security group while EC2 still reports it in use right
   * after the interfaces were restored (eventual consistency). Default 10.
   */
  readonly deleteAttempts?: number;
  /** Pause between those attempts in ms. Default 3000. */
  readonly deleteRetryMs?: number;
  readonly log?: (line: string) => void;
}

/** Instance shape the adapters read from DescribeInstances. */
export interface DescribedInstance {
  readonly InstanceId?: string;
  readonly VpcId?: string;
  readonly Placement?: { readonly AvailabilityZone?: string };
  readonly State?: { readonly Name?: string };
  readonly NetworkInterfaces?: ReadonlyArray<{
    readonly NetworkInterfaceId?: string;
    readonly Groups?: ReadonlyArray<{ readonly GroupId?: string }>;
  }>;
}

/** The instances of a DescribeInstances answer, flattened over reservations. */
export function instancesOf(out: unknown): DescribedInstance[] {
  const o = out as { Reservations?: Array<{ Instances?: DescribedInstance[] }> } | undefined;
  return (o?.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

function waiter(ec2: Ec2FaultApi, opts: FaultOptions) {
  return {
    // The waiters only call send(DescribeInstancesCommand), which Ec2FaultApi provides.
    client: ec2 as unknown as EC2Client,
    maxWaitTime: opts.waitSeconds ?? 600,
    minDelay: opts.minDelaySeconds ?? 5,
    maxDelay: opts.maxDelaySeconds ?? 15,
  };
}

export async function waitStopped(
  ec2: Ec2FaultApi,
  ids: readonly string[],
  opts: FaultOptions,
): Promise<void> {
  await waitUntilInstanceStopped(waiter(ec2, opts), { InstanceIds: [...ids] });
}

/** StartInstances then wait for running: the heal of every instance-level fault. */
export async function startAndWait(
  ec2: Ec2FaultApi,
  ids: readonly string[],
  opts: FaultOptions,
): Promise<void> {
  await ec2.send(new StartInstancesCommand({ InstanceIds: [...ids] }));
  await waitUntilInstanceRunning(waiter(ec2, opts), { InstanceIds: [...ids] });
}

/**
 * Runs operations one after the other: a heal requested while the fault is still being injected
 * waits for it to finish (or fail and roll back), so it restores what was really changed.
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(op: () => Promise<T>): Promise<T> {
    const next = this.tail.then(op, op);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export const errMsg = (e: unknown): string => (e instanceof Error ? e.message : String(e));
