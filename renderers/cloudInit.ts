/**
 * cloud-init user data for every machine the program starts. Each function returns a complete
 * `#cloud-config` document (validated with `cloud-init schema` in the tests). Swarm membership is
 * not part of user data: it is done afterwards over SSH with the scripts of swarmBootstrap.ts, so
 * join tokens never land in user data (which any process on the instance can read from IMDS).
 */
import { posix } from "path";
import { stringify } from "yaml";
import { ExportModel, renderExports, renderNfsConf } from "./nfsExports";

interface WriteFile {
  path: string;
  content: string;
  permissions?: string;
  owner?: string;
}

interface CloudConfig {
  hostname?: string;
  package_update: boolean;
  packages: string[];
  write_files?: WriteFile[];
  runcmd: (string | string[])[];
}

function doc(c: CloudConfig): string {
  return `#cloud-config\n${stringify(c, { lineWidth: 0 })}`;
}

/** Engine settings shared by every swarm node (the lab nodes write the same daemon.json). */
export function renderDaemonJson(): string {
  return (
    JSON.stringify(
      {
        // live-restore is incompatible with swarm mode; bounded logs keep small disks from filling.
        "live-restore": false,
        "log-driver": "json-file",
        "log-opts": { "max-size": "10m", "max-file": "3" },
      },
      null,
      2,
    ) + "\n"
  );
}

export interface SwarmNodeUserData {
  readonly hostname: string;
  readonly role: "manager" | "worker";
  /** Login user added to the docker group. */
  readonly sshUser: string;
}

/** A swarm node: Docker engine and the NFS client the WAS log volume mounts with. */
export function renderSwarmNodeUserData(m: SwarmNodeUserData): string {
  return doc({
    hostname: m.hostname,
    package_update: true,
    packages: ["docker.io", "nfs-common"],
    write_files: [
      { path: "/etc/docker/daemon.json", content: renderDaemonJson(), permissions: "0644" },
    ],
    runcmd: [
      ["systemctl", "enable", "--now", "docker"],
      ["usermod", "-aG", "docker", m.sshUser],
      // Port 2377 etc. are governed by security groups; the host firewall stays open for overlay traffic.
      ["sh", "-c", `echo 'swarm-ha ${m.role}' > /etc/motd`],
    ],
  });
}

export interface NfsServerUserData {
  readonly hostname: string;
  readonly export: ExportModel;
  /**
   * EBS volume (id `vol-…`) that holds the export, so the logs survive a replaced server: formatted
   * only when blank, mounted on the export path before the export is created. Default: none (the
   * export lives on the root disk and dies with the instance).
   */
  readonly dataVolumeId?: string;
}

/**
 * Waits for the data volume to be attached (it is attached after the instance runs), formats it
 * only when it carries no file system, and mounts it on `mountPoint` through fstab (by label, with
 * nofail so a missing volume never blocks SSH at boot; the nfs-server drop-in below then refuses to
 * start instead of exporting the empty root-disk directory). Idempotent. Nitro instances name the
 * disk by its volume id (the NVMe serial, `vol` without the hyphen); Xen ones use /dev/xvdf.
 */
export function renderDataVolumeMount(m: {
  readonly volumeId: string;
  readonly mountPoint: string;
}): string {
  if (!/^vol-[0-9a-f]{8,17}$/.test(m.volumeId))
    throw new Error(
      `volumeId must look like vol-0123456789abcdef0 (got ${JSON.stringify(m.volumeId)})`,
    );
  if (!/^\/[A-Za-z0-9._\/-]+$/.test(m.mountPoint))
    throw new Error(`mountPoint must be an absolute path (got ${JSON.stringify(m.mountPoint)})`);
  const nvme = `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${m.volumeId.replace("-", "")}`;
  return `#!/bin/sh
set -eu
dev=""
waited=0
while [ -z "$dev" ]; do
  for d in ${nvme} /dev/xvdf; do
    if [ -b "$d" ]; then dev="$d"; fi
  done
  if [ -z "$dev" ]; then
    if [ "$waited" -ge 600 ]; then echo "data volume ${m.volumeId} was not attached within 600s" >&2; exit 1; fi
    sleep 2
    waited=$((waited + 2))
  fi
done
${renderFormatIfBlank()}
mkdir -p '${m.mountPoint}'
if ! grep -q '^LABEL=swarm-ha-data ' /etc/fstab; then
  echo 'LABEL=swarm-ha-data ${m.mountPoint} ext4 defaults,nofail 0 2' >> /etc/fstab
fi
systemctl daemon-reload
if ! mountpoint -q '${m.mountPoint}'; then mount '${m.mountPoint}'; fi
if ! mountpoint -q '${m.mountPoint}'; then
  echo "${m.mountPoint} is not a mount point after mounting the data volume: not exporting the root disk" >&2
  exit 1
fi
`;
}

/**
 * The format step of the data-volume script (shell, \$dev set): formats only a disk on which
 * low-level probing (`blkid -p`, which reads the superblocks itself rather than a cache) finds
 * nothing, after a read of its first block succeeded (blkid answers "nothing found", exit 2, also
 * when it cannot open the device). Any other answer (4: error, 8: two signatures) stops the script:
 * a disk that could not be probed is never formatted.
 */
export function renderFormatIfBlank(): string {
  return [
    'if ! dd if="$dev" of=/dev/null bs=4096 count=1 2>/dev/null; then echo "cannot read $dev: not probing or formatting it" >&2; exit 1; fi',
    "probe=0",
    'blkid -p "$dev" >/dev/null 2>&1 || probe=$?',
    'case "$probe" in',
    "  0) ;;",
    '  2) mkfs.ext4 -q -L swarm-ha-data "$dev" ;;',
    '  *) echo "blkid -p $dev failed (exit $probe): not formatting a disk it could not probe" >&2; exit 1 ;;',
    "esac",
  ].join("\n");
}

/** Directory the data volume is mounted on: the export's parent, so lost+found stays outside the export. */
export function dataVolumeMountPoint(exportPath: string): string {
  return posix.dirname(exportPath);
}

/** nfs-server drop-in: never start (and export the root disk's empty directory) without the volume. */
export function renderNfsServerMountDropIn(mountPoint: string): string {
  return `[Unit]\n# swarm-ha: the export lives on the data volume mounted here.\nRequiresMountsFor=${mountPoint}\n`;
}

function dataVolumeParts(
  volumeId: string,
  exportPath: string,
): { files: WriteFile[]; run: string[][] } {
  const mountPoint = dataVolumeMountPoint(exportPath);
  return {
    files: [
      {
        path: "/usr/local/sbin/swarm-ha-data-volume",
        content: renderDataVolumeMount({ volumeId, mountPoint }),
        permissions: "0755",
      },
      {
        path: "/etc/systemd/system/nfs-server.service.d/swarm-ha-data.conf",
        content: renderNfsServerMountDropIn(mountPoint),
        permissions: "0644",
      },
    ],
    run: [["/usr/local/sbin/swarm-ha-data-volume"]],
  };
}

/** The NFS log server: nfs-kernel-server, NFSv4 only, one export limited to the cluster CIDRs. */
export function renderNfsServerUserData(m: NfsServerUserData): string {
  const uid = String(m.export.anonUid ?? 65534);
  const gid = String(m.export.anonGid ?? 65534);
  const volume = m.dataVolumeId
    ? dataVolumeParts(m.dataVolumeId, m.export.path)
    : { files: [], run: [] };
  return doc({
    hostname: m.hostname,
    package_update: true,
    packages: ["nfs-kernel-server"],
    write_files: [
      { path: "/etc/exports", content: renderExports(m.export), permissions: "0644" },
      { path: "/etc/nfs.conf.d/swarm-ha.conf", content: renderNfsConf(), permissions: "0644" },
      ...volume.files,
    ],
    runcmd: [
      ...volume.run,
      ["mkdir", "-p", m.export.path],
      ["chown", `${uid}:${gid}`, m.export.path],
      ["chmod", "0775", m.export.path],
      ["systemctl", "enable", "--now", "nfs-server"],
      ["systemctl", "restart", "nfs-server"],
      ["exportfs", "-ra"],
    ],
  });
}

export interface EdgeUserData {
  readonly hostname: string;
  /** Extra packages (keepalived for a pair). */
  readonly extraPackages?: readonly string[];
}

/**
 * A balancer: nginx installed and enabled. Its nginx.conf is pushed over SSH afterwards (it lists
 * node addresses known only once the nodes exist) and reloaded whenever the node set changes.
 */
export function renderEdgeUserData(m: EdgeUserData): string {
  return doc({
    hostname: m.hostname,
    package_update: true,
    packages: ["nginx", ...(m.extraPackages ?? [])],
    runcmd: [["systemctl", "enable", "--now", "nginx"]],
  });
}
