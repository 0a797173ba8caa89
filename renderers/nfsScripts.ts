/**
 * The shell Pulumi runs on the AWS NFS server over SSH once it has booted: it proves the export is
 * live before the WAS service (whose tasks mount it) is deployed. POSIX sh, shellchecked in tests.
 */
import { checkExportPath } from "./nfsExports";

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
      ? [`if ! mountpoint -q '${mount}'; then`, `  echo "${mount} is not a mount point: the data volume is not mounted, refusing to serve ${path}" >&2`, "  exit 1", "fi"]
      : []),
    "systemctl is-active --quiet nfs-server",
    `if ! sudo exportfs -v | awk -v p='${path}' '$1 == p { found = 1 } END { exit !found }'; then`,
    `  echo "nfs-server is running but does not export ${path}" >&2`,
    "  exit 1",
    "fi",
    "sudo exportfs -v",
  ].join("\n");
}
