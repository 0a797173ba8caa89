import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Role, roleTags, StackIdentity } from "../base/tags";

/** Ubuntu 24.04 LTS (amd64) published by Canonical, looked up per region. */
export function ubuntuAmi(opts: pulumi.InvokeOptions): pulumi.Output<string> {
  return aws.ec2
    .getAmiOutput(
      {
        mostRecent: true,
        owners: ["099720109477"],
        filters: [
          { name: "name", values: ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"] },
          { name: "virtualization-type", values: ["hvm"] },
        ],
      },
      opts,
    )
    .apply((ami) => ami.id);
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
 * (so a changed script really runs), tagged with project, stack and role.
 */
export function createMachine(spec: MachineSpec, opts: pulumi.CustomResourceOptions): aws.ec2.Instance {
  const tags = roleTags(spec.identity, spec.role, spec.name);
  return new aws.ec2.Instance(spec.name, {
    ami: spec.ami,
    instanceType: spec.instanceType,
    subnetId: spec.subnetId,
    vpcSecurityGroupIds: spec.securityGroupIds,
    keyName: spec.keyName,
    userData: spec.userData,
    userDataReplaceOnChange: true,
    iamInstanceProfile: spec.iamInstanceProfile,
    metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
    rootBlockDevice: {
      encrypted: true,
      volumeType: "gp3",
      volumeSize: spec.rootVolumeGiB ?? 20,
      deleteOnTermination: true,
      tags,
    },
    volumeTags: undefined,
    tags,
  }, opts);
}
