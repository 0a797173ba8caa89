import { describe, expect, it } from "vitest";
import {
  accountLines,
  countServed,
  judgeNfsOutage,
  NfsOutageFacts,
  parseAccessLine,
} from "../../chaos/scenarios/nfsOutage";

// Lines exactly as app/server.js accessLog writes them.
const line = (iso: string, path: string, status: number, node: string, task = "was.1.abc") =>
  `${iso} ::ffff:172.28.5.131 GET ${path} ${status} 0.4ms task=${task} node=${node}`;
const T = (s: number) => new Date(Date.parse("2026-12-01T08:00:00Z") + s * 1000).toISOString();
const ms = (s: number) => Date.parse(T(s));

const LOG = [
  line(T(-5), "/", 200, "w1"), // before the run
  line(T(1), "/", 200, "w1"),
  line(T(2), "/healthz", 200, "w1"), // health checks are not requests of the load
  line(T(3), "/?x=1", 200, "w1"),
  line(T(4), "/", 404, "w1"),
  line(T(5), "/", 200, "w2", "was.2.def"),
  "2026-12-01T08:00:06.000Z ::ffff:172.28.5.131 GET / 200 0.4ms task=was.1.abc node=w", // torn write: still a line
  "2026-12-01T08:00:07.000Z ::ffff:172.28.5.131 GE", // torn last line
  "",
].join("\n");

describe("access-log lines (app/server.js format)", () => {
  it("parses a line and refuses what is not one", () => {
    expect(parseAccessLine(line(T(1), "/", 200, "swarm-ha-worker-1"))).toEqual({
      timeMs: ms(1),
      method: "GET",
      path: "/",
      status: 200,
      task: "was.1.abc",
      node: "swarm-ha-worker-1",
    });
    expect(parseAccessLine("listening on :8080")).toBeUndefined();
    expect(parseAccessLine("not-a-date 1.2.3.4 GET / 200 1ms task=a node=b")).toBeUndefined();
  });

  it("counts answered GET / per node inside the time range only", () => {
    expect(countServed(LOG, ms(0), ms(10))).toEqual({ w1: 2, w2: 1, w: 1 });
    expect(countServed(LOG, ms(-10), ms(0))).toEqual({ w1: 1 });
  });
});

const facts = (over: Partial<NfsOutageFacts> = {}): NfsOutageFacts => ({
  outageSeconds: 20,
  stoppedAt: 0.8,
  startedAt: 20,
  exportBackAt: 21.4,
  exportDeadlineSeconds: 60,
  readErrors: [],
  lines: accountLines({ w1: 100, w2: 90 }, { w1: 100, w2: 90 }),
  ...over,
});

describe("nfs-stop verdict", () => {
  it("FAILS with exactly how many lines are missing, per node", () => {
    const lines = accountLines({ w1: 100, w2: 90, w3: 5 }, { w1: 97, w2: 90, w3: 7 });
    expect(lines).toMatchObject({ answered: 195, logged: 194, lost: 3, extra: 2 });
    const j = judgeNfsOutage(facts({ lines }));
    expect(j.problems).toEqual([
      "3 of 195 answered requests have no access-log line on the export (w1 3 of 100)",
    ]);
  });

  it("FAILS when the server never stopped, never restarted, or the export never answered again", () => {
    expect(judgeNfsOutage(facts({ stoppedAt: null })).problems).toEqual([
      "the NFS server did not stop: nothing was tested",
    ]);
    expect(judgeNfsOutage(facts({ startedAt: null, exportBackAt: null })).problems).toEqual([
      "the NFS server was not started again",
      "the export did not answer over NFSv4 within 60 s of the restart",
    ]);
  });

  it("FAILS when the logs cannot be read back, or the load attributed no answer", () => {
    expect(
      judgeNfsOutage(facts({ readErrors: ["nfs-cat access-was.1.abc.log failed"] })).problems[0],
    ).toMatch(/could not read the access logs back/);
    expect(judgeNfsOutage(facts({ lines: accountLines({}, {}) })).problems).toEqual([
      "the load saw no answer attributed to a node: no line could be checked",
    ]);
  });

  it("passes with every line on the export; the marks tell the outage", () => {
    const j = judgeNfsOutage(facts());
    expect(j.problems).toEqual([]);
    expect(j.marks.map((m) => `${m.t} ${m.label}`)).toEqual([
      "0 NFS server stop requested",
      "0.8 NFS server down",
      "20 NFS server started after 20 s",
      "21.4 export answers over NFSv4 again",
    ]);
  });
});

describe("nfs-stop: why lines are missing", () => {
  const lines = accountLines({ w1: 100, w2: 90 }, { w1: 60, w2: 90 });
  it("says when the missing lines are on the server's disk but were not served over NFSv4", () => {
    const j = judgeNfsOutage(facts({ lines, inBackingVolume: { w1: 100, w2: 90 } }));
    expect(j.problems).toEqual([
      "40 of 190 answered requests have no access-log line on the export (w1 40 of 100); 40 of them are in the export's backing directory but were not served over NFSv4",
    ]);
  });
  it("says when they were never written", () => {
    const j = judgeNfsOutage(facts({ lines, inBackingVolume: { w1: 60, w2: 90 } }));
    expect(j.problems[0]).toMatch(
      /\(w1 40 of 100\); they are not in the export's backing directory either \(never written\)$/,
    );
  });
});
