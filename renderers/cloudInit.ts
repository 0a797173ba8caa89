/**
 * cloud-init user data for every machine the program starts. Each function returns a complete
 * `#cloud-config` document (validated with `cloud-init schema` in the tests). Swarm membership is
 * not part of user data: it is done afterwards over SSH with the scripts of swarmBootstrap.ts, so
 * join tokens never land in user data (which any process on the instance can read from IMDS).
 */
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
    write_files: [{ path: "/etc/docker/daemon.json", content: renderDaemonJson(), permissions: "0644" }],
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
}

/** The NFS log server: nfs-kernel-server, NFSv4 only, one export limited to the cluster CIDRs. */
export function renderNfsServerUserData(m: NfsServerUserData): string {
  const uid = String(m.export.anonUid ?? 65534);
  const gid = String(m.export.anonGid ?? 65534);
  return doc({
    hostname: m.hostname,
    package_update: true,
    packages: ["nfs-kernel-server"],
    write_files: [
      { path: "/etc/exports", content: renderExports(m.export), permissions: "0644" },
      { path: "/etc/nfs.conf.d/swarm-ha.conf", content: renderNfsConf(), permissions: "0644" },
    ],
    runcmd: [
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
