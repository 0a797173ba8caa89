import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Role, roleTags, StackIdentity } from "../base/tags";
import {
  CANONICAL_OWNER_ID,
  DEFAULT_UBUNTU_RELEASE,
  UBUNTU,
  ubuntuAmiNamePattern,
  type UbuntuRelease,
} from "../base/ubuntu";

/**
 * Canonical's newest Ubuntu LTS server AMI (gp3) of `release` in the provider's region, for an
 * instance architecture: 24.04 (noble, the default) or 26.04 (resolute), the config key ubuntuRelease
 * (base/ubuntu.ts); "x86_64" (default; Canonical names it amd64) or "arm64" (Graviton types:
 * config/schema.ts instanceArchitecture tells which a type needs).
 */
export function ubuntuAmi(
  opts: pulumi.InvokeOptions,
  release: UbuntuRelease = DEFAULT_UBUNTU_RELEASE,
  architecture: "x86_64" | "arm64" = "x86_64",
): pulumi.Output<string> {
  const info = UBUNTU[release];
  if (!info)
    throw new Error(
      `ubuntuAmi: release must be ${Object.keys(UBUNTU).join(" or ")} (got ${JSON.stringify(release)})`,
    );
  return aws.ec2
    .getAmiOutput(
      {
        mostRecent: true,
        owners: [CANONICAL_OWNER_ID],
        filters: [
          { name: "name", values: [ubuntuAmiNamePattern(release, architecture)] },
          { name: "architecture", values: [architecture] },
          { name: "virtualization-type", values: ["hvm"] },
        ],
      },
      opts,
    )
    .apply((ami) => ami.id);
}

/**
 * Families whose EBS-only types EC2's simplified automatic recovery covers (EC2 User Guide,
 * "Configure simplified automatic recovery": it recovers supported instances in default or
 * dedicated tenancy, not instance-store types). A type outside the list gets a CloudWatch alarm
 * with the recover action instead.
 */
export const SIMPLIFIED_RECOVERY_FAMILIES: readonly string[] = [
  "t2",
  "t3",
  "t3a",
  "t4g",
  "m4",
  "m5",
  "m5a",
  "m5n",
  "m5zn",
  "m6a",
  "m6g",
  "m6i",
  "m6in",
  "m7a",
  "m7g",
  "m7i",
  "m7i-flex",
  "c4",
  "c5",
  "c5a",
  "c5n",
  "c6a",
  "c6g",
  "c6gn",
  "c6i",
  "c6in",
  "c7a",
  "c7g",
  "c7gn",
  "c7i",
  "c7i-flex",
  "r4",
  "r5",
  "r5a",
  "r5b",
  "r5n",
  "r6a",
  "r6g",
  "r6i",
  "r6in",
  "r7a",
  "r7g",
  "r7i",
];

/** Whether EC2 recovers an instance of this type by itself (simplified automatic recovery). */
export function hasSimplifiedRecovery(instanceType: string): boolean {
  const family = /^([a-z0-9-]+)\.[a-z0-9]+$/.exec(instanceType)?.[1];
  return family !== undefined && SIMPLIFIED_RECOVERY_FAMILIES.includes(family);
}

/**
 * The recover alarm for a type simplified recovery does not cover: two failed system status checks
 * in a row (one-minute periods) make EC2 move the instance to healthy hardware, keeping its id,
 * private and Elastic IPs and EBS volumes (`arn:<partition>:automate:<region>:ec2:recover`).
 */
export function createRecoverAlarm(
  spec: Pick<MachineSpec, "identity" | "role" | "name">,
  instance: aws.ec2.Instance,
  opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.MetricAlarm {
  const partition = aws.getPartitionOutput({}, opts).partition;
  const region = aws.getRegionOutput({}, opts).region;
  return new aws.cloudwatch.MetricAlarm(
    `${spec.name}-recover`,
    {
      alarmDescription: `Recover ${spec.name} onto healthy hardware when its system status check fails`,
      namespace: "AWS/EC2",
      metricName: "StatusCheckFailed_System",
      dimensions: { InstanceId: instance.id },
      statistic: "Maximum",
      period: 60,
      evaluationPeriods: 2,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      alarmActions: [pulumi.interpolate`arn:${partition}:automate:${region}:ec2:recover`],
      tags: roleTags(spec.identity, spec.role, `${spec.name}-recover`),
    },
    opts,
  );
}

export interface MachineSpec {
  readonly identity: StackIdentity;
  readonly role: Role;
  readonly name: string;
  readonly ami: pulumi.Input<string>;
  readonly instanceType: string;
  readonly subnetId: pulumi.Input<string>;
  readonly securityGroupIds: pulumi.Input<string>[];
  readonly keyName: pulumi.Input<string>;
  readonly userData: pulumi.Input<string>;
  readonly iamInstanceProfile?: pulumi.Input<string>;
  /** GiB of the encrypted gp3 root volume. Default 20. */
  readonly rootVolumeGiB?: number;
}

/**
 * Every instance of the program: IMDSv2 only with a hop limit of 1 (containers cannot reach the
 * instance credentials), encrypted gp3 root, user data that replaces the instance when it changes
 * (so a changed script really runs), tagged with project, stack and role, and automatic recovery
 * on (EC2 moves the instance off failed hardware; see hasSimplifiedRecovery and createRecoverAlarm).
 */
export function createMachine(
  spec: MachineSpec,
  opts: pulumi.CustomResourceOptions,
): aws.ec2.Instance {
  const tags = roleTags(spec.identity, spec.role, spec.name);
  const instance = new aws.ec2.Instance(
    spec.name,
    {
      ami: spec.ami,
      instanceType: spec.instanceType,
      subnetId: spec.subnetId,
      vpcSecurityGroupIds: spec.securityGroupIds,
      keyName: spec.keyName,
      userData: spec.userData,
      userDataReplaceOnChange: true,
      iamInstanceProfile: spec.iamInstanceProfile,
      // EC2 brings the same instance back on healthy hardware after a host failure (a type outside
      // SIMPLIFIED_RECOVERY_FAMILIES gets the recover alarm below as well).
      maintenanceOptions: { autoRecovery: "default" },
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
      },
      rootBlockDevice: {
        encrypted: true,
        volumeType: "gp3",
        volumeSize: spec.rootVolumeGiB ?? 20,
        deleteOnTermination: true,
        tags,
      },
      volumeTags: undefined,
      tags,
    },
    {
      ...opts,
      // The AMI lookup follows Canonical's newest build; without this every publication would replace
      // every instance (a new swarm leader, a new NFS server) at the next unrelated `pulumi up`. New
      // instances start from the newest image; existing ones move with `pulumi up --replace <urn>`.
      ignoreChanges: [...(opts.ignoreChanges ?? []), "ami"],
    },
  );
  if (!hasSimplifiedRecovery(spec.instanceType)) {
    createRecoverAlarm(spec, instance, { parent: opts.parent, provider: opts.provider });
  }
  return instance;
}

/**
 * The public address EC2 reports for `instance` when the program runs, read with getInstance
 * (DescribeInstances) once the instance (and anything in `after`, e.g. an Elastic IP that replaces
 * its address) exists. A stopped and started instance comes back with a new public IPv4 and an
 * associated Elastic IP releases the launch-time one (EC2 User Guide, "Public IPv4 addresses"), so
 * the `publicIp` saved in the state at launch is stale after either; this is where SSH and the
 * Docker provider must dial. Unknown during the preview of an instance not yet created.
 */
export function livePublicIp(
  instance: aws.ec2.Instance,
  opts: pulumi.InvokeOptions,
  after: readonly pulumi.Input<unknown>[] = [],
): pulumi.Output<string> {
  const instanceId = pulumi.all([instance.id, ...after]).apply(([id]) => id as string);
  return aws.ec2.getInstanceOutput({ instanceId }, opts).publicIp;
}

export interface DataVolumeSpec {
  readonly identity: StackIdentity;
  readonly role: Role;
  readonly name: string;
  /** Availability zone of the instance's subnet (a volume attaches only within its zone). */
  readonly availabilityZone: pulumi.Input<string>;
  /** GiB of the encrypted gp3 volume. Default 20. */
  readonly sizeGiB?: number;
}

/** Device name the data volume is attached as; Nitro instances show it as an NVMe disk whose serial is the volume id. */
export const DATA_DEVICE = "/dev/sdf";

/**
 * A data volume that outlives its instance (the NFS server's logs): an encrypted gp3 EBS volume,
 * `retainOnDelete` so not even `pulumi destroy` drops the logs, and `attach(instance)` for the
 * attachment. The volume comes first because the instance's user data names its id; none of its
 * inputs depend on the instance, so a replaced instance gets the same volume re-attached.
 */
export function createDataVolume(
  spec: DataVolumeSpec,
  opts: pulumi.CustomResourceOptions,
): { volume: aws.ebs.Volume; attach: (instance: aws.ec2.Instance) => aws.ec2.VolumeAttachment } {
  const tags = roleTags(spec.identity, spec.role, `${spec.name}-data`);
  const volume = new aws.ebs.Volume(
    `${spec.name}-data`,
    {
      availabilityZone: spec.availabilityZone,
      size: spec.sizeGiB ?? 20,
      type: "gp3",
      encrypted: true,
      tags,
    },
    { ...opts, retainOnDelete: true },
  );
  const attach = (instance: aws.ec2.Instance) =>
    new aws.ec2.VolumeAttachment(
      `${spec.name}-data-attach`,
      {
        deviceName: DATA_DEVICE,
        volumeId: volume.id,
        instanceId: instance.id,
        // Stop the old instance before detaching so its file system is unmounted cleanly.
        stopInstanceBeforeDetaching: true,
      },
      {
        ...opts,
        // A volume attaches to one instance at a time (AttachVolume answers VolumeInUse): the old
        // attachment must go before the replaced server's one is created.
        deleteBeforeReplace: true,
      },
    );
  return { volume, attach };
}
