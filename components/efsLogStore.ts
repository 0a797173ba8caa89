import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { roleTags, StackIdentity } from "../base/tags";

export interface EfsLogStoreArgs {
  /** Project and stack, written into every tag (the policy pack and the chaos guard read them). */
  readonly identity: StackIdentity;
  /** The VPC of the cluster: the mount targets' security group is created in it. */
  readonly vpcId: pulumi.Input<string>;
  /**
   * The cluster subnets, one per availability zone (a ClusterNetwork's `clusterSubnetIds`): one
   * mount target in each, and in no other subnet (the policy pack's
   * efs-mount-targets-in-cluster-subnets holds the stack to that).
   */
  readonly subnetIds: pulumi.Input<string>[];
  /** The swarm nodes' security group: the only source NFS (TCP 2049) is admitted from. */
  readonly clientSecurityGroupId: pulumi.Input<string>;
  /**
   * Keep the file system, and the logs on it, when the stack is destroyed or the file system is
   * replaced (it leaves the stack's state, not the account). Default true, as the instance store's
   * data volume: a `pulumi destroy` must not be how logs are deleted.
   */
  readonly retainOnDelete?: boolean;
}

/** The path a client mounts: the file system's root (plain NFS cannot mount an EFS access point). */
export const EFS_EXPORT_PATH = "/";

/**
 * The shared WAS log store on Amazon EFS: one encrypted, Regional (multi-zone) file system with a
 * mount target in every cluster subnet, behind its own security group that admits NFS (TCP 2049)
 * from the swarm nodes' group and nothing else. Clients mount it through the file system's DNS
 * name, which resolves on each node to the mount target in that node's own zone, so losing a zone
 * takes no other zone's log mount with it. The file system is kept by `pulumi destroy` by default
 * (`retainOnDelete`); its mount targets and security group are not (they belong to the VPC).
 */
export class EfsLogStore extends pulumi.ComponentResource {
  readonly fileSystemId: pulumi.Output<string>;
  /** `fs-….efs.<region>.amazonaws.com`: what a client passes as `addr=` (resolved on the node). */
  readonly dnsName: pulumi.Output<string>;
  readonly securityGroupId: pulumi.Output<string>;
  /** One per cluster subnet, in the subnets' order. */
  readonly mountTargetIds: pulumi.Output<string>[];
  readonly exportPath: string;
  /** `dnsName:/`, as a client mounts it. */
  readonly exportTarget: pulumi.Output<string>;
  /** The mount targets: the WAS service waits for them so its first mounts find one in every zone. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: EfsLogStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarm-ha:storage:EfsLogStore", name, {}, opts);
    const parent = { parent: this };
    const tags = (suffix: string) => roleTags(args.identity, "nfs", `${name}-${suffix}`);
    if (args.subnetIds.length === 0) {
      throw new pulumi.ResourceError(
        "EfsLogStore needs at least one cluster subnet for a mount target",
        this,
        true,
      );
    }

    // Regional: no availabilityZoneName (that would make a One Zone file system, a zone dependency again).
    const fileSystem = new aws.efs.FileSystem(
      `${name}-fs`,
      {
        encrypted: true,
        tags: tags("fs"),
      },
      { ...parent, retainOnDelete: args.retainOnDelete ?? true },
    );

    const group = new aws.ec2.SecurityGroup(
      `${name}-efs`,
      {
        vpcId: args.vpcId,
        description: "swarm-ha EFS log store mount targets",
        tags: tags("efs"),
      },
      parent,
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-efs-2049`,
      {
        securityGroupId: group.id,
        ipProtocol: "tcp",
        fromPort: 2049,
        toPort: 2049,
        referencedSecurityGroupId: args.clientSecurityGroupId,
        description: "NFSv4 from swarm nodes",
        tags: tags("efs-2049"),
      },
      parent,
    );
    // No egress rule: a mount target only answers. The provider removes the default allow-all
    // egress of a group it creates (SecurityGroup's documentation), so the group has none.

    const targets = args.subnetIds.map(
      (subnetId, i) =>
        new aws.efs.MountTarget(
          `${name}-mt-${i}`,
          {
            fileSystemId: fileSystem.id,
            subnetId,
            securityGroups: [group.id],
          },
          parent,
        ),
    );

    this.fileSystemId = fileSystem.id;
    this.dnsName = fileSystem.dnsName;
    this.securityGroupId = group.id;
    this.mountTargetIds = targets.map((t) => t.id);
    this.exportPath = EFS_EXPORT_PATH;
    this.exportTarget = pulumi.interpolate`${fileSystem.dnsName}:${EFS_EXPORT_PATH}`;
    this.ready = targets;
    this.registerOutputs({
      fileSystemId: this.fileSystemId,
      dnsName: this.dnsName,
      securityGroupId: this.securityGroupId,
      mountTargetIds: this.mountTargetIds,
      exportPath: this.exportPath,
      exportTarget: this.exportTarget,
      ready: this.mountTargetIds,
    });
  }
}
