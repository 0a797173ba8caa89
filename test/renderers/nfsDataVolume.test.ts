/**
 * Issue 22 finding 9: the NFS data disk is formatted only when low-level probing finds nothing on
 * it, and nothing is served unless the data volume is mounted. The format step runs here for real
 * (sh, dd, and blkid on disk images) with a recording mkfs.ext4; blkid's answers that an image
 * cannot produce (4: error, 8: two signatures) come from a scripted blkid.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, describe, expect, it } from "vitest";
import { renderDataVolumeMount, renderFormatIfBlank } from "../../renderers/cloudInit";
import { renderNfsReadyCheck } from "../../renderers/nfsScripts";
import { assertValid, findBinary, shellcheck } from "../validators";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "nfs-format-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** The format step as the mount script had it before issue 22: formats on ANY blkid failure. */
const BEFORE = 'if ! blkid "$dev" >/dev/null 2>&1; then mkfs.ext4 -q -L swarm-ha-data "$dev"; fi';

let n = 0;
/**
 * Runs `step` with $dev = `device` and a PATH whose mkfs.ext4 only records that it ran; `blkidExit`
 * replaces blkid by one answering that exit code (the real blkid otherwise).
 */
function runStep(
  step: string,
  device: string,
  blkidExit?: number,
): { formatted: boolean; status: number | null } {
  const bin = path.join(root, `bin-${n++}`);
  fs.mkdirSync(bin);
  const log = path.join(bin, "mkfs.log");
  fs.writeFileSync(path.join(bin, "mkfs.ext4"), `#!/bin/sh\necho "$@" >> '${log}'\n`, {
    mode: 0o755,
  });
  if (blkidExit !== undefined)
    fs.writeFileSync(path.join(bin, "blkid"), `#!/bin/sh\nexit ${blkidExit}\n`, { mode: 0o755 });
  const r = spawnSync("sh", ["-c", `set -eu\ndev='${device}'\n${step}`], {
    env: { PATH: `${bin}:${process.env.PATH}` },
  });
  return { formatted: fs.existsSync(log), status: r.status };
}

function image(name: string, ext4: boolean): string {
  const file = path.join(root, name);
  fs.writeFileSync(file, Buffer.alloc(16 << 20));
  if (ext4) execFileSync(findBinary("mkfs.ext4") ?? "/sbin/mkfs.ext4", ["-q", "-F", file]);
  return file;
}

describe("the data volume's format step", () => {
  const hasTools = Boolean(
    findBinary("blkid") && (findBinary("mkfs.ext4") || fs.existsSync("/sbin/mkfs.ext4")),
  );

  it.skipIf(!hasTools)(
    "real blkid -p: a blank disk is formatted, a disk with a file system is left alone",
    () => {
      expect(runStep(renderFormatIfBlank(), image("blank.img", false))).toEqual({
        formatted: true,
        status: 0,
      });
      expect(runStep(renderFormatIfBlank(), image("ext4.img", true))).toEqual({
        formatted: false,
        status: 0,
      });
    },
  );

  it.each([
    [4, "an error"],
    [8, "an ambivalent probe (two signatures)"],
  ])("blkid exit %i (%s): never formatted, the script stops", (code) => {
    const disk = image(`disk-${code}.img`, false);
    expect(runStep(renderFormatIfBlank(), disk, code)).toEqual({ formatted: false, status: 1 });
    // The step it replaces formatted here: the harness sees the defect it guards against.
    expect(runStep(BEFORE, disk, code).formatted).toBe(true);
  });

  it("a device that cannot be read is never formatted (blkid -p answers 2 for it too)", () => {
    const missing = path.join(root, "no-such-disk");
    expect(runStep(renderFormatIfBlank(), missing, 2)).toEqual({ formatted: false, status: 1 });
  });

  it("the mount script stops unless the mount point really is one, and is shellcheck-clean", (ctx) => {
    const mount = renderDataVolumeMount({
      volumeId: "vol-0123456789abcdef0",
      mountPoint: "/srv/nfs",
    });
    expect(mount).toContain(renderFormatIfBlank());
    expect(mount.trimEnd().split("\n").slice(-4)).toEqual([
      "if ! mountpoint -q '/srv/nfs'; then",
      '  echo "/srv/nfs is not a mount point after mounting the data volume: not exporting the root disk" >&2',
      "  exit 1",
      "fi",
    ]);
    assertValid("data volume mount script", shellcheck(ctx, mount));
  });

  it("the ready check fails `pulumi up` before the service when /srv/nfs is not a mount point", (ctx) => {
    const check = renderNfsReadyCheck("/srv/nfs/was-logs", "/srv/nfs");
    expect(check).toContain("if ! mountpoint -q '/srv/nfs'; then");
    expect(check.indexOf("mountpoint -q")).toBeLessThan(check.indexOf("exportfs"));
    assertValid("NFS ready check", shellcheck(ctx, check));
  });
});
