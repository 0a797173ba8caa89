/**
 * The nfs-stop scenario's pure part: reading the sample app's access log (app/server.js writes one
 * line per request), counting the answered requests each node logged in a time range, and judging
 * the outage: requests must keep succeeding, the export must serve again, and every request the
 * load saw answered must have its line on the export (else exactly how many are missing, per node).
 *
 * Line format (app/server.js accessLog):
 *   2026-12-01T08:00:00.123Z 10.0.0.5 GET / 200 0.4ms task=was.1.abc node=swarm-ha-worker-1
 */
import type { ScenarioMark } from "./matrix";

export interface AccessLine {
  readonly timeMs: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly task: string;
  readonly node: string;
}

const LINE = /^(\S+) \S+ (\S+) (\S+) (\d{3}) \S+ms task=(\S+) node=(\S+)$/;

/** One access-log line, or undefined for anything else (a torn last line, stderr noise). */
export function parseAccessLine(line: string): AccessLine | undefined {
  const m = LINE.exec(line.trim());
  if (!m) return undefined;
  const timeMs = Date.parse(m[1]);
  if (!Number.isFinite(timeMs)) return undefined;
  return {
    timeMs,
    method: m[2],
    path: m[3].split("?")[0],
    status: Number(m[4]),
    task: m[5],
    node: m[6],
  };
}

/** Answered GET / lines (2xx/3xx, what the load counts as ok) per node with fromMs <= time <= toMs. */
export function countServed(text: string, fromMs: number, toMs: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const raw of text.split("\n")) {
    const l = parseAccessLine(raw);
    if (!l || l.method !== "GET" || l.path !== "/" || l.status < 200 || l.status >= 400) continue;
    if (l.timeMs < fromMs || l.timeMs > toMs) continue;
    out[l.node] = (out[l.node] ?? 0) + 1;
  }
  return out;
}

/** Adds per-node counts (several files, e.g. a node that ran two tasks). */
export function addCounts(
  a: Readonly<Record<string, number>>,
  b: Readonly<Record<string, number>>,
): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

export interface NodeLines {
  readonly node: string;
  /** Requests the load saw answered by this node. */
  readonly answered: number;
  /** Lines for them found on the export. */
  readonly logged: number;
  /** answered - logged when positive: requests with no line on the export. */
  readonly lost: number;
}

export interface LineAccount {
  readonly perNode: readonly NodeLines[];
  readonly answered: number;
  readonly logged: number;
  readonly lost: number;
  /** Lines beyond the answers (the app answered, the client gave up first): not a loss. */
  readonly extra: number;
}

/** Compares what the load saw answered per node with the lines on the export per node. */
export function accountLines(
  answered: Readonly<Record<string, number>>,
  logged: Readonly<Record<string, number>>,
): LineAccount {
  const nodes = [...new Set([...Object.keys(answered), ...Object.keys(logged)])].sort();
  const perNode = nodes.map((node) => {
    const a = answered[node] ?? 0;
    const l = logged[node] ?? 0;
    return { node, answered: a, logged: l, lost: Math.max(0, a - l) };
  });
  const sum = (f: (n: NodeLines) => number) => perNode.reduce((s, n) => s + f(n), 0);
  return {
    perNode,
    answered: sum((n) => n.answered),
    logged: sum((n) => n.logged),
    lost: sum((n) => n.lost),
    extra: sum((n) => Math.max(0, n.logged - n.answered)),
  };
}

/** What the lab side measured around the outage (seconds from the stop request, t = 0). */
export interface NfsOutageFacts {
  readonly outageSeconds: number;
  /** When `docker stop` returned (the server was down); null if it never stopped. */
  readonly stoppedAt: number | null;
  /** When the server was started again; null if it was not. */
  readonly startedAt: number | null;
  /** When the export first answered over NFSv4 again; null if it never did within the deadline. */
  readonly exportBackAt: number | null;
  readonly exportDeadlineSeconds: number;
  /** The lines could be read back over NFS (every file of a task that served). */
  readonly readErrors: readonly string[];
  readonly lines: LineAccount;
  /**
   * The same count read from the export's backing directory on the server itself (not over NFS):
   * tells a line that was never written from one the server did not serve. Absent if unread.
   */
  readonly inBackingVolume?: Readonly<Record<string, number>>;
}

export interface NfsOutageJudgement {
  readonly problems: readonly string[];
  readonly marks: readonly ScenarioMark[];
}

/** Judges the outage itself; the load's budget is judged by chaos/scenarios/scenarioResult.ts. */
export function judgeNfsOutage(f: NfsOutageFacts): NfsOutageJudgement {
  const problems: string[] = [];
  const marks: ScenarioMark[] = [{ t: 0, label: "NFS server stop requested" }];
  if (f.stoppedAt === null) problems.push("the NFS server did not stop: nothing was tested");
  else marks.push({ t: f.stoppedAt, label: "NFS server down" });
  if (f.startedAt === null) problems.push("the NFS server was not started again");
  else marks.push({ t: f.startedAt, label: `NFS server started after ${f.outageSeconds} s` });
  if (f.exportBackAt === null)
    problems.push(
      `the export did not answer over NFSv4 within ${f.exportDeadlineSeconds} s of the restart`,
    );
  else marks.push({ t: f.exportBackAt, label: "export answers over NFSv4 again" });
  problems.push(...f.readErrors.map((e) => `could not read the access logs back over NFS: ${e}`));
  const l = f.lines;
  if (f.readErrors.length === 0 && l.answered === 0)
    problems.push("the load saw no answer attributed to a node: no line could be checked");
  if (l.lost > 0) {
    const who = l.perNode
      .filter((n) => n.lost > 0)
      .map((n) => `${n.node} ${n.lost} of ${n.answered}`);
    const backing = f.inBackingVolume;
    const unserved = backing
      ? l.perNode.reduce(
          (n, x) => n + Math.max(0, Math.min(x.answered, backing[x.node] ?? 0) - x.logged),
          0,
        )
      : 0;
    const why = backing
      ? unserved > 0
        ? `; ${unserved} of them are in the export's backing directory but were not served over NFSv4`
        : "; they are not in the export's backing directory either (never written)"
      : "";
    problems.push(
      `${l.lost} of ${l.answered} answered requests have no access-log line on the export (${who.join(", ")})${why}`,
    );
  }
  return { problems, marks };
}

/**
 * What the AWS mount of the instance log store does in the same outage (renderers/serviceSpec.ts
 * NFS_MOUNT_OPTIONS.instance: `nfsvers=4.1,rw,soft,timeo=150,retrans=3`, chosen so a task that starts
 * during the outage never blocks in mount(2) for as long as the server is down; docs/log-store.md).
 * nfs(5): a soft mount fails a request after retrans retransmissions; Linux's major timeout over TCP
 * is timeo + retrans x timeo (renderers/serviceSpec.ts nfsMountBoundSeconds: 60 s here).
 */
export const AWS_MOUNT_IN_OUTAGE =
  "On AWS the WAS writes through the kernel NFS client of a soft mount (nfsvers=4.1,rw,soft,timeo=150,retrans=3). " +
  "nfs(5): a soft mount fails a request after retrans retransmissions; Linux gives up at timeo + retrans x timeo " +
  "over TCP: 60 s. So a 20 s outage delays the log writes, not the requests: the app appends through a Node " +
  "write stream that never blocks a request, and the lines reach the export when the server returns. An outage " +
  "longer than ~60 s returns EIO to the writer and the app logs to stderr (docker service logs) from then on " +
  "(app/server.js). A task that starts during the outage fails its mount within about 60 s and swarm starts it " +
  "again (restart policy any) until the server is back, instead of blocking in the mount. Expected from nfs(5), " +
  "not measured: the lab kernel has no NFS client.";
