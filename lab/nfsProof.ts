/**
 * The NFS part of the lab, proven over the real protocol. This kernel has no NFS client or server,
 * so the WAS replicas write into the export's backing volume through a bind mount (the lab's
 * substitution for the kernel NFS mount used on AWS); what is read back here goes over NFSv4 to
 * nfs-ganesha with libnfs (a userspace client), from the lab's own containers:
 *  - from a swarm node (inside the export's client CIDR): every replica's access log is listed and read;
 *  - a write from root on a node arrives squashed to the anonymous id (All_Squash);
 *  - from the nginx container (on the lab network, outside the client CIDR): the mount is refused.
 */
import { dockerRaw } from "./docker";
import { NFS, NGINX } from "./lab";

export interface ReplicaLog {
  readonly task: string;
  readonly node: string;
  /** "GET /" lines (requests served), counted from the file read over NFSv4. */
  readonly servedLines: number;
  readonly lastLine: string;
  readonly rescheduled: boolean;
}

export interface NfsProof {
  readonly substitution: string;
  readonly server: string;
  readonly exportPath: string;
  readonly clients: readonly string[];
  readonly readFrom: string;
  readonly files: readonly string[];
  readonly replicas: readonly ReplicaLog[];
  readonly everyServingReplicaLogged: boolean;
  readonly squash: {
    readonly uid: number | null;
    readonly gid: number | null;
    readonly squashed: boolean;
  };
  readonly refused: {
    readonly from: string;
    readonly exitCode: number;
    readonly message: string;
    readonly refused: boolean;
  };
  readonly passed: boolean;
}

export const NFS_SUBSTITUTION =
  "The lab kernel has neither an NFS client nor nfsd, so the WAS containers do not mount the export: " +
  "the export's backing directory (a Docker volume served by nfs-ganesha) is bind-mounted into every node " +
  '(/srv/was-logs) and from there into the WAS tasks (logVolume kind "bind"). The export itself (NFSv4 only, ' +
  "client CIDR, All_Squash) is proven over the real protocol with libnfs from the lab containers; the kernel " +
  'mount used on AWS (logVolume kind "nfs") is proven by rendering and unit tests only.';

export interface ServedTask {
  readonly task: string; // was.<slot>.<id>
  readonly node: string;
  readonly rescheduled: boolean;
}

export async function proveNfs(opts: {
  readonly nfsIp: string;
  readonly exportPath: string;
  readonly clients: readonly string[];
  /** A node container (inside the client CIDR) to read from. */
  readonly reader: string;
  readonly readerIp: string;
  readonly outsiderIp: string;
  /** Tasks that served traffic; each must have a log on the export with served lines. */
  readonly served: readonly ServedTask[];
}): Promise<NfsProof> {
  const base = `nfs://${opts.nfsIp}${opts.exportPath}`;
  const url = (file = "") => `${base}${file ? `/${file}` : ""}?version=4`;
  const ls = await dockerRaw(["exec", opts.reader, "nfs-ls", url()]);
  const files =
    ls.code === 0
      ? ls.stdout
          .split("\n")
          .map((l) => l.trim().split(/\s+/).pop() ?? "")
          .filter((f) => f.startsWith("access-"))
      : [];
  const replicas: ReplicaLog[] = [];
  for (const s of opts.served) {
    const file = `access-${s.task}.log`;
    let servedLines = 0;
    let lastLine = "";
    if (files.includes(file)) {
      const cat = await dockerRaw(["exec", opts.reader, "nfs-cat", url(file)]);
      const lines = cat.stdout.split("\n").filter((l) => / GET \/ /.test(l));
      servedLines = lines.length;
      lastLine = lines[lines.length - 1] ?? "";
    }
    replicas.push({
      task: s.task,
      node: s.node,
      servedLines,
      lastLine,
      rescheduled: s.rescheduled,
    });
  }

  // Root on a node writes a file; the server must store it as the anonymous id.
  const probe = `squash-probe-${Date.now()}`;
  await dockerRaw(["exec", opts.reader, "sh", "-c", `echo probe > /tmp/${probe}`]);
  const cp = await dockerRaw(["exec", opts.reader, "nfs-cp", `/tmp/${probe}`, url(probe)]);
  let uid: number | null = null;
  let gid: number | null = null;
  if (cp.code === 0) {
    const st = await dockerRaw(["exec", NFS, "stat", "-c", "%u %g", `${opts.exportPath}/${probe}`]);
    [uid, gid] = st.stdout.trim().split(" ").map(Number);
    await dockerRaw(["exec", NFS, "rm", "-f", `${opts.exportPath}/${probe}`]);
  }

  const out = await dockerRaw(["exec", NGINX, "nfs-ls", url()]);
  const refused = {
    from: `${NGINX} (${opts.outsiderIp}, outside ${opts.clients.join(", ")})`,
    exitCode: out.code,
    message: (out.stderr + out.stdout).trim().split("\n")[0] ?? "",
    refused: out.code !== 0,
  };
  const everyServingReplicaLogged = replicas.length > 0 && replicas.every((r) => r.servedLines > 0);
  const squashed = uid === 65534 && gid === 65534;
  return {
    substitution: NFS_SUBSTITUTION,
    server: `${NFS} (${opts.nfsIp}, nfs-ganesha, NFSv4)`,
    exportPath: opts.exportPath,
    clients: opts.clients,
    readFrom: `${opts.reader} (${opts.readerIp})`,
    files,
    replicas,
    everyServingReplicaLogged,
    squash: { uid, gid, squashed },
    refused,
    passed: ls.code === 0 && everyServingReplicaLogged && squashed && refused.refused,
  };
}
