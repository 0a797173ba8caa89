/**
 * The WAS log export, as one model rendered two ways: `/etc/exports` for nfs-kernel-server on AWS,
 * and an nfs-ganesha config for the lab (whose kernel has no nfsd). Both export the same path over
 * NFSv4 only, read-write, sync, every user squashed to the anonymous id, to the cluster CIDRs only.
 */
import { isNetworkAddress, parseCidr } from "../base/ipv4";

export interface ExportModel {
  /** Directory exported (also its NFSv4 pseudo path, so clients mount server:<path> either way). */
  readonly path: string;
  /** CIDRs allowed to mount; anything else is refused. */
  readonly clients: readonly string[];
  /** Owner every client user is squashed to. Default 65534 (nobody/nogroup). */
  readonly anonUid?: number;
  readonly anonGid?: number;
}

function checkClient(c: string): void {
  // Parsed, not pattern-matched: "0.0.0.0/00" or "300.1.2.3/8" must not slip through as "bounded".
  const parsed = /^\S+$/.test(c) ? parseCidr(c) : undefined;
  if (!parsed)
    throw new Error(
      `export client must be an IPv4 CIDR like 10.42.0.0/16 (got ${JSON.stringify(c)})`,
    );
  if (parsed.prefix === 0)
    throw new Error(`export client ${c} would let anyone mount the logs; list the cluster subnets`);
  if (!isNetworkAddress(parsed)) {
    throw new Error(`export client ${c} has host bits set; use the network address of that prefix`);
  }
}

function checkId(field: string, id: number): number {
  if (!Number.isInteger(id) || id < 0 || id > 4294967294)
    throw new Error(`${field} must be a uid/gid (got ${id})`);
  return id;
}

/** The export path is interpolated into config files and shell: absolute, plain characters, no "..". */
export function checkExportPath(path: string): string {
  if (!/^\/[A-Za-z0-9._\/-]+$/.test(path) || path.split("/").includes("..")) {
    throw new Error(`export path must be an absolute directory without ".." (got ${path})`);
  }
  return path;
}

function check(m: ExportModel): { uid: number; gid: number } {
  checkExportPath(m.path);
  if (m.clients.length === 0) throw new Error("an export needs at least one client CIDR");
  m.clients.forEach(checkClient);
  return {
    uid: checkId("anonUid", m.anonUid ?? 65534),
    gid: checkId("anonGid", m.anonGid ?? 65534),
  };
}

export function renderExports(m: ExportModel): string {
  const { uid, gid } = check(m);
  const opts = `rw,sync,no_subtree_check,all_squash,anonuid=${uid},anongid=${gid},sec=sys`;
  return `# Rendered by swarm-ha (renderers/nfsExports.ts); do not edit by hand.
${m.path} ${m.clients.map((c) => `${c}(${opts})`).join(" ")}
`;
}

/** nfsd settings that turn off NFSv2/v3 (NFSv4 needs no portmapper or mountd on the wire). */
export function renderNfsConf(): string {
  return `# Rendered by swarm-ha: NFSv4 only.
[nfsd]
vers2=n
vers3=n
vers4=y
vers4.1=y
vers4.2=y
`;
}

/** What differs between the ganesha lines the lab runs (Debian 12: 4.3, Debian 13: 6.5). */
export interface GaneshaOptions {
  /**
   * ganesha 5+ marks itself an I/O flusher (PR_SET_IO_FLUSHER, which needs CAP_SYS_RESOURCE) and
   * exits when refused; a container without that capability (this lab's) must allow the refusal.
   * 4.x has no such step. Default false.
   */
  readonly allowIoFlusherFail?: boolean;
}

export function renderGaneshaConf(m: ExportModel, o: GaneshaOptions = {}): string {
  const { uid, gid } = check(m);
  const flusher = o.allowIoFlusherFail ? "\n  allow_set_io_flusher_fail = true;" : "";
  return `# Rendered by swarm-ha (renderers/nfsExports.ts) from the same model as /etc/exports.
NFS_CORE_PARAM {
  Protocols = 4;
  NFS_Port = 2049;
  Enable_NLM = false;
  Enable_RQUOTA = false;${flusher}
}

NFSV4 {
  Grace_Period = 5;
  Lease_Lifetime = 10;
}

EXPORT_DEFAULTS {
  Access_Type = None;
}

EXPORT {
  Export_Id = 1;
  Path = "${m.path}";
  Pseudo = "${m.path}";
  Protocols = 4;
  Transports = TCP;
  SecType = sys;
  Squash = All_Squash;
  Anonymous_Uid = ${uid};
  Anonymous_Gid = ${gid};
  # The lab's writers bypass ganesha (bind mount of the backing volume): revalidate attributes on every
  # request, else a read serves the size ganesha cached up to 60 s earlier and misses the newest lines.
  Attr_Expiration_Time = 0;
  Access_Type = None;
  FSAL {
    Name = VFS;
  }
  CLIENT {
    Clients = ${m.clients.join(", ")};
    Access_Type = RW;
  }
}
`;
}
