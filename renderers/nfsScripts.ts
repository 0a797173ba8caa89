/**
 * The shell Pulumi runs on the AWS NFS server over SSH once it has booted: it proves the export is
 * live before the WAS service (whose tasks mount it) is deployed. POSIX sh, shellchecked in tests.
 */
import { checkExportPath, ExportModel, renderExports, renderNfsConf } from "./nfsExports";

/**
 * Waits for cloud-init, then fails unless `mountPoint` (the data volume, when given) is a mount
 * point, nfs-server is active and `exportfs` lists `exportPath`
 * exactly (first field; a long path sits alone on its line), and prints the export table.
 */
export function renderNfsReadyCheck(exportPath: string, mountPoint?: string): string {
  const path = checkExportPath(exportPath);
  const mount = mountPoint === undefined ? undefined : checkExportPath(mountPoint);
  return [
    "set -eu",
    "cloud-init status --wait >/dev/null 2>&1 || true",
    // The export must live on the data volume, never on the root disk's empty directory.
    ...(mount
      ? [
          `if ! mountpoint -q '${mount}'; then`,
          `  echo "${mount} is not a mount point: the data volume is not mounted, refusing to serve ${path}" >&2`,
          "  exit 1",
          "fi",
        ]
      : []),
    "systemctl is-active --quiet nfs-server",
    `if ! sudo exportfs -v | awk -v p='${path}' '$1 == p { found = 1 } END { exit !found }'; then`,
    `  echo "nfs-server is running but does not export ${path}" >&2`,
    "  exit 1",
    "fi",
    "sudo exportfs -v",
  ].join("\n");
}

/** A file written from a quoted here-document (no expansion), installed root-owned with `mode`. */
function installFile(path: string, mode: string, content: string): string[] {
  const marker = "SWARM_HA_EOF";
  if (content.includes(marker))
    throw new Error(`${path}: content contains the here-document marker`);
  return [
    `cat > "$tmp" <<'${marker}'`,
    content.replace(/\n$/, ""),
    marker,
    `sudo install -m ${mode} -o root -g root "$tmp" ${path}`,
  ];
}

/**
 * NFS server set-up on a host that already exists (Debian or Ubuntu with sudo): installs
 * nfs-kernel-server when `exportfs` is missing, writes /etc/exports and the NFSv4-only nfs.conf
 * drop-in rendered from the same model the AWS user data and the lab use, creates the export
 * directory owned by the squashed user, (re)starts nfs-server and re-exports, then runs the ready
 * check. Idempotent. With `dataMountPoint` nothing is written unless it is a mount point (the
 * export must live on the data volume, never on the root disk).
 */
export function renderNfsExportSetup(m: ExportModel, dataMountPoint?: string): string {
  const path = checkExportPath(m.path);
  const mount = dataMountPoint === undefined ? undefined : checkExportPath(dataMountPoint);
  const owner = `${m.anonUid ?? 65534}:${m.anonGid ?? 65534}`;
  return [
    "set -eu",
    "cloud-init status --wait >/dev/null 2>&1 || true",
    ...(mount
      ? [
          `if ! mountpoint -q '${mount}'; then echo "${mount} is not a mount point: not exporting the root disk" >&2; exit 1; fi`,
        ]
      : []),
    "if ! command -v exportfs >/dev/null 2>&1 && ! [ -x /usr/sbin/exportfs ]; then",
    "  sudo apt-get update -q",
    "  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q nfs-kernel-server",
    "fi",
    "tmp=$(mktemp)",
    "trap 'rm -f \"$tmp\"' EXIT",
    ...installFile("/etc/exports", "0644", renderExports(m)),
    "sudo install -d -m 0755 /etc/nfs.conf.d",
    ...installFile("/etc/nfs.conf.d/swarm-ha.conf", "0644", renderNfsConf()),
    `sudo mkdir -p '${path}'`,
    `sudo chown ${owner} '${path}'`,
    `sudo chmod 0775 '${path}'`,
    "sudo systemctl enable --now nfs-server",
    "sudo systemctl restart nfs-server",
    "sudo exportfs -ra",
    renderNfsReadyCheck(m.path, dataMountPoint).replace(
      /^set -eu\ncloud-init status --wait >\/dev\/null 2>&1 \|\| true\n/,
      "",
    ),
  ].join("\n");
}
