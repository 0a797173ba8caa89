import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { dataVolumeMountPoint, renderNfsServerUserData } from "../renderers/cloudInit";
import { ExportModel } from "../renderers/nfsExports";
import { createDataVolume, createMachine, livePublicIp } from "./machine";
import { configureNfsExport } from "./nfsExport";
import { SshAccess } from "./ssh";
import { StackIdentity } from "../base/tags";

export interface NfsLogServerArgs {
  /** Project and stack, written into every tag (the policy pack and the chaos guard read them). */
  readonly identity: StackIdentity;
  /** Ubuntu 24.04 or 26.04 AMI the scripts are written for: `ubuntuAmi({}, release)`. */
  readonly ami: pulumi.Input<string>;
  /** EC2 instance type (the policy pack allows t3, t3a, m6i, m7i, c6i, c7i by default). */
  readonly instanceType: string;
  /** Subnet of the instance (the first cluster subnet in the program and the example). */
  readonly subnetId: pulumi.Input<string>;
  /** Availability zone of `subnetId`: the log volume is created there (EBS attaches only within a zone). */
  readonly availabilityZone: pulumi.Input<string>;
  /** Security groups of the instances (a ClusterNetwork's group for this role). */
  readonly securityGroupIds: pulumi.Input<string>[];
  /** The key pair the instances start with and the login `pulumi up` configures them over. */
  readonly ssh: SshAccess;
  /** Directory exported for the WAS logs. */
  readonly exportPath: string;
  /** CIDRs allowed to mount the export: the cluster subnets, nothing else. */
  readonly allowedCidrs: readonly string[];
  /** GiB of the encrypted log volume. Default 20. */
  readonly dataVolumeGiB?: number;
}

/**
 * The shared WAS log store: nfs-kernel-server exporting one directory over NFSv4 to the cluster
 * subnets only (rw, sync, all users squashed to nobody), from the same export model the lab's
 * nfs-ganesha serves. The export lives on its own EBS volume (retained even by `pulumi destroy`),
 * so a replaced server (new AMI, new user data) mounts the same logs again.
 */
export class NfsLogServer extends pulumi.ComponentResource {
  readonly privateIp: pulumi.Output<string>;
  readonly instanceId: pulumi.Output<string>;
  /** The EBS volume holding the logs (`vol-…`); `pulumi destroy` leaves it in the account. */
  readonly dataVolumeId: pulumi.Output<string>;
  readonly exportModel: ExportModel;
  /** `server:/path`, as a client mounts it. */
  readonly exportTarget: pulumi.Output<string>;
  /** Completes once the export is live; the WAS service waits for it so its mounts succeed. */
  readonly ready: command.remote.Command;

  constructor(name: string, args: NfsLogServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarm-ha:storage:NfsLogServer", name, {}, opts);
    this.exportModel = { path: args.exportPath, clients: args.allowedCidrs };
    const hostname = `${name}-server`;
    // The volume's inputs never depend on the instance, so replacing the server keeps the volume;
    // only the attachment moves. The user data names the volume id to find its device.
    const { volume, attach } = createDataVolume(
      {
        identity: args.identity,
        role: "nfs",
        name: hostname,
        availabilityZone: args.availabilityZone,
        sizeGiB: args.dataVolumeGiB,
      },
      { parent: this },
    );
    const instance = createMachine(
      {
        identity: args.identity,
        role: "nfs",
        name: hostname,
        ami: args.ami,
        instanceType: args.instanceType,
        subnetId: args.subnetId,
        securityGroupIds: args.securityGroupIds,
        keyName: args.ssh.keyName,
        userData: volume.id.apply((dataVolumeId) =>
          renderNfsServerUserData({ hostname, export: this.exportModel, dataVolumeId }),
        ),
      },
      { parent: this },
    );
    const attachment = attach(instance);
    // The server configured itself at boot (user data): over SSH the export is only checked, by the
    // step any existing server is configured with (components/nfsExport.ts), under its old name.
    this.ready = configureNfsExport(
      name,
      {
        address: livePublicIp(instance, { parent: this }),
        ssh: args.ssh,
        export: this.exportModel,
        dataMountPoint: dataVolumeMountPoint(args.exportPath),
        configure: false,
        machineId: instance.id,
        dependsOn: [instance, attachment],
      },
      { parent: this },
    );
    this.privateIp = instance.privateIp;
    this.instanceId = instance.id;
    this.dataVolumeId = volume.id;
    this.exportTarget = pulumi.interpolate`${instance.privateIp}:${args.exportPath}`;
    this.registerOutputs({
      privateIp: this.privateIp,
      instanceId: this.instanceId,
      dataVolumeId: this.dataVolumeId,
      exportModel: this.exportModel,
      exportTarget: this.exportTarget,
      ready: this.ready.id,
    });
  }
}
