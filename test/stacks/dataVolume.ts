/**
 * The NFS log volume as the program registers it: what must hold for the logs to survive a replaced
 * server. Returns every problem found (empty when sound), so a test can show the check failing on a
 * doctored graph as well as passing on the real one.
 */
import { parse } from "yaml";
import { Registration } from "../mocks";

const INSTANCE = "aws:ec2/instance:Instance";
const VOLUME = "aws:ebs/volume:Volume";
const ATTACHMENT = "aws:ec2/volumeAttachment:VolumeAttachment";
const SUBNET = "aws:ec2/subnet:Subnet";
export const MOUNT_SCRIPT = "/usr/local/sbin/swarm-ha-data-volume";

interface UserData {
  write_files?: Array<{ path: string; content: string }>;
  runcmd?: Array<string | string[]>;
}

function userDataProblems(userData: string, volumeId: string, exportPath: string): string[] {
  const doc = parse(userData) as UserData;
  const script = doc.write_files?.find((f) => f.path === MOUNT_SCRIPT)?.content;
  if (!script) return [`the NFS user data writes no ${MOUNT_SCRIPT}`];
  const problems: string[] = [];
  if (!script.includes(`nvme-Amazon_Elastic_Block_Store_${volumeId.replace("-", "")}`)) {
    problems.push(`the mount script does not look for the device of ${volumeId}`);
  }
  const cmds = (doc.runcmd ?? []).map((c) => (Array.isArray(c) ? c.join(" ") : c));
  const mount = cmds.indexOf(MOUNT_SCRIPT);
  const mkdir = cmds.indexOf(`mkdir -p ${exportPath}`);
  if (mount < 0 || mkdir < 0 || mount > mkdir)
    problems.push("the volume is not mounted before the export directory is made");
  return problems;
}

/** Problems of the NFS data volume in a registered graph; `exportPath` as configured. */
export function dataVolumeProblems(
  resources: readonly Registration[],
  exportPath: string,
): string[] {
  const of = (type: string) => resources.filter((r) => r.type === type);
  const servers = of(INSTANCE).filter((i) => i.inputs.tags?.["swarm-ha:role"] === "nfs");
  const volumes = of(VOLUME);
  const attachments = of(ATTACHMENT);
  if (servers.length !== 1 || volumes.length !== 1 || attachments.length !== 1) {
    return [
      `expected one NFS server, volume and attachment (got ${servers.length}, ${volumes.length}, ${attachments.length})`,
    ];
  }
  const [server, volume, attachment] = [servers[0], volumes[0], attachments[0]];
  const problems: string[] = [];
  const subnet = of(SUBNET).find((s) => s.id === server.inputs.subnetId);
  if (!subnet || volume.inputs.availabilityZone !== subnet.inputs.availabilityZone) {
    problems.push(
      `volume in ${volume.inputs.availabilityZone}, server subnet in ${subnet?.inputs.availabilityZone}`,
    );
  }
  if (volume.inputs.encrypted !== true) problems.push("volume not encrypted");
  if (!volume.retainOnDelete)
    problems.push(
      "volume not retainOnDelete: `pulumi destroy` or a replacement would drop the logs",
    );
  if (volume.dependsOn.includes(server.name))
    problems.push("volume depends on the server: a replaced server would replace it");
  if (attachment.inputs.volumeId !== volume.id || attachment.inputs.instanceId !== server.id) {
    problems.push("the attachment does not join this volume to this server");
  }
  if (!attachment.deleteBeforeReplace)
    problems.push("attachment not deleteBeforeReplace (AttachVolume: VolumeInUse)");
  problems.push(...userDataProblems(String(server.inputs.userData), volume.id, exportPath));
  return problems;
}
