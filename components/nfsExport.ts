import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { ExportModel } from "../renderers/nfsExports";
import { renderNfsExportSetup, renderNfsReadyCheck } from "../renderers/nfsScripts";
import { sshConnection, SshLogin } from "./hostAccess";

export interface NfsExportArgs {
  /** Where SSH dials the NFS server (its current admin or public address). */
  readonly address: pulumi.Input<string>;
  /** SSH login on it (a user with sudo). */
  readonly ssh: SshLogin;
  /** The export: directory and the CIDRs allowed to mount it (the swarm hosts' network). */
  readonly export: ExportModel;
  /**
   * A mount point the export must live under (a data disk); nothing is served unless it is mounted.
   * Default none.
   */
  readonly dataMountPoint?: string;
  /**
   * Write the configuration over SSH (install nfs-kernel-server if missing, /etc/exports, the NFSv4
   * drop-in, the directory) before checking it. Default true. false only checks: for a server that
   * configured itself at boot (the AWS program's user data does).
   */
  readonly configure?: boolean;
  /** Identity of the machine: a new value runs the step again (a replaced server). Default `address`. */
  readonly machineId?: pulumi.Input<string>;
  /** Resources the step waits for (the server, its data disk). Default none. */
  readonly dependsOn?: pulumi.Resource[];
}

/**
 * The NFS log export on a server as it is done over SSH, under `parent`, named `<name>-ready`
 * (NfsLogServer's name for it): it completes once the export is live, so the WAS service waits for it.
 */
export function configureNfsExport(
  name: string,
  args: NfsExportArgs,
  parent: { readonly parent: pulumi.Resource },
): command.remote.Command {
  const configure = args.configure ?? true;
  return new command.remote.Command(
    `${name}-ready`,
    {
      connection: sshConnection(args.address, args.ssh),
      create: configure
        ? renderNfsExportSetup(args.export, args.dataMountPoint)
        : renderNfsReadyCheck(args.export.path, args.dataMountPoint),
      triggers: [args.machineId ?? args.address],
    },
    { ...parent, dependsOn: args.dependsOn ?? [] },
  );
}

/**
 * swarm-ha on machines you already have: the WAS log export (NFSv4, the allowed CIDRs only, all
 * users squashed to nobody) configured over SSH on an existing Debian or Ubuntu server.
 * `NfsLogServer` composes an EC2 instance and its log volume with the same step.
 */
export class NfsExport extends pulumi.ComponentResource {
  /** Completes once the export is live; the WAS service waits for it. */
  readonly ready: command.remote.Command;
  /** `server:/path` as a client mounts it, given the server's private address. */
  readonly path: string;

  constructor(name: string, args: NfsExportArgs, opts?: pulumi.ComponentResourceOptions) {
    super("swarm-ha:storage:NfsExport", name, {}, opts);
    this.ready = configureNfsExport(name, args, { parent: this });
    this.path = args.export.path;
    this.registerOutputs({ ready: this.ready.id, path: this.path });
  }
}
