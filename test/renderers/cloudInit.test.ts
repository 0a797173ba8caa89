import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  renderDataVolumeMount,
  renderFormatIfBlank,
  renderDaemonJson,
  renderEdgeUserData,
  renderNfsServerMountDropIn,
  renderNfsServerUserData,
  renderSwarmNodeUserData,
} from "../../renderers/cloudInit";
import { ExportModel, renderExports, renderNfsConf } from "../../renderers/nfsExports";
import { assertValid, cloudInitSchema, shellcheck } from "../validators";

interface Doc {
  hostname?: string;
  package_update?: boolean;
  packages?: string[];
  write_files?: Array<{ path: string; content: string; permissions?: string }>;
  runcmd?: Array<string | string[]>;
}

function load(userData: string): Doc {
  expect(userData.startsWith("#cloud-config\n")).toBe(true);
  return parse(userData) as Doc;
}

const exportModel: ExportModel = {
  path: "/srv/nfs/was-logs",
  clients: ["10.42.0.0/24", "10.42.1.0/24"],
};

const docs: Array<[string, string]> = [
  [
    "manager",
    renderSwarmNodeUserData({
      hostname: "swarm-ha-dev-manager-0",
      role: "manager",
      sshUser: "ubuntu",
    }),
  ],
  [
    "worker",
    renderSwarmNodeUserData({
      hostname: "swarm-ha-dev-worker-2",
      role: "worker",
      sshUser: "ubuntu",
    }),
  ],
  ["NFS server", renderNfsServerUserData({ hostname: "swarm-ha-dev-nfs", export: exportModel })],
  [
    "NFS server with data volume",
    renderNfsServerUserData({
      hostname: "swarm-ha-dev-nfs",
      export: exportModel,
      dataVolumeId: "vol-0123456789abcdef0",
    }),
  ],
  ["edge", renderEdgeUserData({ hostname: "swarm-ha-dev-edge-0" })],
  [
    "edge pair member",
    renderEdgeUserData({ hostname: "swarm-ha-prod-edge-1", extraPackages: ["keepalived"] }),
  ],
];

describe("cloud-init user data: cloud-init schema", () => {
  it.for(docs)("%s passes cloud-init schema", ([name, userData], ctx) => {
    assertValid(`${name} user data`, cloudInitSchema(ctx, userData));
  });

  it("cloud-init schema really rejects a wrong type (the validator is live)", (ctx) => {
    const result = cloudInitSchema(ctx, "#cloud-config\npackage_update: true\npackages: 5\n");
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/packages: 5 is not of type 'array'/);
  });
});

describe("cloud-init user data: content", () => {
  it("swarm nodes install the Docker engine and the NFS client and write daemon.json", () => {
    for (const role of ["manager", "worker"] as const) {
      const doc = load(renderSwarmNodeUserData({ hostname: `n-${role}`, role, sshUser: "ubuntu" }));
      expect(doc.hostname).toBe(`n-${role}`);
      expect(doc.packages).toEqual(expect.arrayContaining(["docker.io", "nfs-common"]));
      const daemon = doc.write_files?.find((f) => f.path === "/etc/docker/daemon.json");
      expect(daemon?.content).toBe(renderDaemonJson());
      expect(doc.runcmd).toContainEqual(["systemctl", "enable", "--now", "docker"]);
      expect(doc.runcmd).toContainEqual(["usermod", "-aG", "docker", "ubuntu"]);
    }
  });

  it("daemon.json is JSON with live-restore off (swarm refuses it) and bounded logs", () => {
    const daemon = JSON.parse(renderDaemonJson()) as Record<string, unknown>;
    expect(daemon["live-restore"]).toBe(false);
    expect(daemon["log-opts"]).toEqual({ "max-size": "10m", "max-file": "3" });
  });

  it("the NFS server writes the rendered /etc/exports and NFSv4-only nfs.conf, then re-exports", () => {
    const doc = load(renderNfsServerUserData({ hostname: "nfs", export: exportModel }));
    expect(doc.packages).toContain("nfs-kernel-server");
    const files = new Map((doc.write_files ?? []).map((f) => [f.path, f.content]));
    expect(files.get("/etc/exports")).toBe(renderExports(exportModel));
    expect(files.get("/etc/nfs.conf.d/swarm-ha.conf")).toBe(renderNfsConf());
    const cmds = (doc.runcmd ?? []).map((c) => (Array.isArray(c) ? c.join(" ") : c));
    expect(cmds).toContain(`mkdir -p ${exportModel.path}`);
    expect(cmds).toContain(`chown 65534:65534 ${exportModel.path}`);
    // exportfs must come after the directory exists and the server runs.
    expect(cmds.indexOf("exportfs -ra")).toBeGreaterThan(
      cmds.indexOf(`mkdir -p ${exportModel.path}`),
    );
    expect(cmds.indexOf("exportfs -ra")).toBeGreaterThan(
      cmds.indexOf("systemctl enable --now nfs-server"),
    );
  });

  it("the NFS server refuses the same bad clients as the exports renderer", () => {
    expect(() =>
      renderNfsServerUserData({
        hostname: "nfs",
        export: { ...exportModel, clients: ["0.0.0.0/0"] },
      }),
    ).toThrow();
  });

  it("edges install nginx, plus keepalived for a pair", () => {
    expect(load(renderEdgeUserData({ hostname: "e" })).packages).toEqual(["nginx"]);
    expect(
      load(renderEdgeUserData({ hostname: "e", extraPackages: ["keepalived"] })).packages,
    ).toEqual(["nginx", "keepalived"]);
  });

  it("never carries a swarm join token", () => {
    for (const [, userData] of docs) expect(userData).not.toMatch(/SWMTKN|join-token|swarm join/);
  });

  it.for(docs)("%s matches the committed snapshot", async ([name, userData]) => {
    await expect(userData).toMatchFileSnapshot(
      `__snapshots__/cloud-init.${name.replace(/ /g, "-")}.yaml`,
    );
  });
});

describe("NFS data volume (logs survive a replaced server)", () => {
  // Mounted on the export's parent (/srv/nfs), so the export directory and its owner live on the volume.
  const mount = renderDataVolumeMount({
    volumeId: "vol-0123456789abcdef0",
    mountPoint: "/srv/nfs",
  });

  it("is shellcheck-clean", (ctx) => {
    assertValid("data volume mount script", shellcheck(ctx, mount));
  });

  it("formats only a blank volume, finds it by volume id, and mounts it by label through fstab", () => {
    expect(mount).toContain("/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0");
    expect(mount).toContain(renderFormatIfBlank());
    expect(mount).toContain("LABEL=swarm-ha-data /srv/nfs ext4 defaults,nofail 0 2");
    // fstab edited: systemd regenerates its mount units before the mount (and the nfs-server drop-in) use them.
    expect(mount.indexOf("systemctl daemon-reload")).toBeLessThan(
      mount.indexOf("mount '/srv/nfs'"),
    );
  });

  it("mounts the volume before the export directory is created and the server started", () => {
    const doc = load(
      renderNfsServerUserData({
        hostname: "nfs",
        export: exportModel,
        dataVolumeId: "vol-0123456789abcdef0",
      }),
    );
    const cmds = (doc.runcmd ?? []).map((c) => (Array.isArray(c) ? c.join(" ") : c));
    expect(cmds[0]).toBe("/usr/local/sbin/swarm-ha-data-volume");
    expect(cmds.indexOf("systemctl enable --now nfs-server")).toBeGreaterThan(0);
    expect(
      doc.write_files?.find((f) => f.path === "/usr/local/sbin/swarm-ha-data-volume")?.content,
    ).toBe(mount);
    // Without the volume nfs-server must not start and export the root disk's empty directory.
    const dropIn = doc.write_files?.find(
      (f) => f.path === "/etc/systemd/system/nfs-server.service.d/swarm-ha-data.conf",
    );
    expect(dropIn?.content).toBe(renderNfsServerMountDropIn("/srv/nfs"));
    expect(dropIn?.content).toMatch(/^\[Unit\]\n(#.*\n)?RequiresMountsFor=\/srv\/nfs\n$/);
    const without = load(renderNfsServerUserData({ hostname: "nfs", export: exportModel }));
    expect(JSON.stringify(without)).not.toContain("swarm-ha-data-volume");
  });

  it("refuses values that would be pasted into shell", () => {
    expect(() => renderDataVolumeMount({ volumeId: "vol-1; reboot", mountPoint: "/srv" })).toThrow(
      /volumeId/,
    );
    expect(() =>
      renderDataVolumeMount({ volumeId: "vol-0123456789abcdef0", mountPoint: "/srv'x" }),
    ).toThrow(/mountPoint/);
  });
});
