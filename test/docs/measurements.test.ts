/**
 * Measurements that write themselves (scripts/measurements.ts): a lab report recorded into
 * docs/measurements/, the README block rewritten from the newest record, and every figure a block
 * quotes held to a figure of a generated file. The lab runs here are fixtures in a temporary
 * directory, shaped as lab/cli.ts writes matrix.json / matrix-passes.json and lab/drill.ts
 * report.json; their figures are test data, never copied into the repository's docs.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterEach, describe, expect, it } from "vitest";
import {
  BLOCK_END,
  BLOCK_START,
  blocks,
  figures,
  MeasurementError,
  record,
  stale,
  unbackedFigures,
  writeAll,
} from "../../scripts/measurements";

const MACHINE = {
  cores: 2,
  cpuModel: "Fixture CPU 9000",
  dockerEngine: "20.10.24",
  cgroupVersion: "1",
  kernel: "6.1.0-fixture",
};
const LAB = {
  managers: 3,
  workers: 5,
  managersRunTasks: false,
  replicas: 3,
  balancers: 2,
  dispatcherHeartbeatSeconds: 0.6,
  taskRestartDelaySeconds: 0,
};

function row(name: string, restore: number | null, requests: number, p99: number) {
  return {
    name,
    passed: restore === null || restore <= 5,
    restoreSeconds: restore,
    detectSeconds: restore === null ? null : 1.23,
    load: { requests, failed: 0, p50Ms: 41.6, p99Ms: p99, resent: 0 },
    failures: restore !== null && restore > 5 ? [`restore ${restore} s over the 5 s budget`] : [],
    budget: { restoreSeconds: name === "leader-kill" ? null : 5, maxFailed: 0, maxP99Ms: 1500 },
  };
}

function pass(
  n: number,
  passes: number,
  startedAt: string,
  restore: number,
  machine: object | null = MACHINE,
) {
  const scenarios = [
    row("worker-stop", restore, 30000 + n, 250.4 + n),
    row("leader-kill", null, 50000 + n, 199.6),
  ];
  return {
    connections: 200,
    scenarios,
    passed: scenarios.every((s) => s.passed),
    pass: n,
    passes,
    startedAt,
    seconds: 240.5,
    lab: { ...LAB, ...(machine ? { machine } : {}) },
  };
}

const tmps: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "swarm-ha-measure-"));
  tmps.push(d);
  return d;
}
afterEach(() => {
  for (const d of tmps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A repository root with a README (and a docs page) carrying the block, and a lab-report. */
function repo(readmeBlock = "old text"): { root: string; report: string } {
  const root = tmp();
  fs.mkdirSync(path.join(root, "docs"));
  fs.writeFileSync(
    path.join(root, "README.md"),
    `# x\n\n${BLOCK_START}\n${readmeBlock}\n${BLOCK_END}\n\nafter\n`,
  );
  fs.writeFileSync(
    path.join(root, "docs", "chaos.md"),
    `# chaos\n\n${BLOCK_START}\n${BLOCK_END}\n`,
  );
  const report = path.join(root, "lab-report");
  fs.mkdirSync(report);
  return { root, report };
}

const writeJson = (f: string, o: unknown) => fs.writeFileSync(f, JSON.stringify(o, null, 2) + "\n");
const readme = (root: string) => fs.readFileSync(path.join(root, "README.md"), "utf8");

describe("measurements: figures in a generated block", () => {
  it("finds a figure typed into a block that no record holds (the failing case)", () => {
    const { root, report } = repo();
    writeJson(path.join(report, "matrix.json"), pass(1, 1, "2026-12-07T01:00:00.000Z", 3.21));
    record(report, { root, now: new Date("2026-12-07T02:00:00Z") });
    expect(unbackedFigures(root)).toEqual([]);
    const text = readme(root).replace(BLOCK_END, `worker-stop restored in 2.87 s\n${BLOCK_END}`);
    fs.writeFileSync(path.join(root, "README.md"), text);
    expect(unbackedFigures(root)).toEqual(["README.md: 2.87"]);
    expect(stale(root)).toEqual(["README.md"]);
  });

  it("reads figures, leaving link targets out (a file name's date is not a figure)", () => {
    expect(figures("restore 3.21, 4 s [run](docs/measurements/2026-12-07-x.md) 1500 ms")).toEqual([
      "3.21",
      "4",
      "1500",
    ]);
  });

  it("says no measurement is recorded when docs/measurements/ holds none", () => {
    const { root } = repo();
    expect(stale(root)).toEqual(["docs/measurements/README.md", "README.md", "docs/chaos.md"]);
    writeAll(root);
    expect(readme(root)).toContain("No measurement recorded yet");
    expect(blocks(root).flatMap((b) => figures(b.text))).toEqual([]);
    expect(stale(root)).toEqual([]);
  });
});

describe("measurements: record", () => {
  it("copies a matrix run with every pass into a dated file named after the machine, and rewrites the blocks", () => {
    const { root, report } = repo();
    const runs = [1, 2, 3].map((n) =>
      pass(n, 3, `2026-12-07T0${n}:00:00.000Z`, [3.21, 5.67, 4.05][n - 1]),
    );
    writeJson(path.join(report, "matrix.json"), runs[2]);
    writeJson(path.join(report, "matrix-passes.json"), { passed: false, passes: runs });
    const stem = record(report, { root, now: new Date("2026-12-07T04:00:00Z") });
    expect(stem).toBe("2026-12-07-2c-fixture-9000-matrix");
    const dir = path.join(root, "docs", "measurements");
    expect(fs.readdirSync(dir).sort()).toEqual([`${stem}.json`, `${stem}.md`, "README.md"]);
    const md = fs.readFileSync(path.join(dir, `${stem}.md`), "utf8");
    expect(md).toContain(
      "2 cores, Fixture CPU 9000, host Docker engine 20.10.24, cgroup v1, kernel 6.1.0-fixture",
    );
    expect(md).toContain("dispatcherHeartbeatSeconds 0.6");
    // Every row of every pass, and the summary: three passes, one over its budget.
    expect(md.match(/^\| [123] \| (worker-stop|leader-kill) \|/gm)).toHaveLength(6);
    expect(md).toContain(
      "| worker-stop | 2 of 3 | 3.21, 5.67, 4.05 | 1.23, 1.23, 1.23 | 0 / 30001, 0 / 30002, 0 / 30003 | 251, 252, 253 | 5 / 0 / 1500 |",
    );
    const block = blocks(root).find((b) => b.file === "README.md")!.text;
    expect(block).toContain(`(docs/measurements/${stem}.md)`);
    expect(block).toContain("3.21, 5.67, 4.05");
    expect(blocks(root).find((b) => b.file === path.join("docs", "chaos.md"))!.text).toContain(
      `(../docs/measurements/${stem}.md)`,
    );
    expect(readme(root)).toMatch(/after\n$/);
    expect(fs.readFileSync(path.join(dir, "README.md"), "utf8")).toContain(`[${stem}](${stem}.md)`);
    expect(stale(root)).toEqual([]);
    expect(unbackedFigures(root)).toEqual([]);
  });

  it("records only matrix.json when matrix-passes.json is left from an earlier run", () => {
    const { root, report } = repo();
    writeJson(path.join(report, "matrix-passes.json"), {
      passed: true,
      passes: [
        pass(1, 2, "2026-12-01T01:00:00.000Z", 1.11),
        pass(2, 2, "2026-12-01T02:00:00.000Z", 2.22),
      ],
    });
    writeJson(path.join(report, "matrix.json"), pass(1, 1, "2026-12-07T01:00:00.000Z", 3.33));
    const stem = record(report, { root });
    const rec = JSON.parse(
      fs.readFileSync(path.join(root, "docs", "measurements", `${stem}.json`), "utf8"),
    );
    expect(rec.source).toEqual([path.join("lab-report", "matrix.json")]);
    expect(rec.report).toHaveLength(1);
    expect(readme(root)).not.toContain("1.11");
  });

  it("names a second run of the same day and machine apart, and shows the newest", () => {
    const { root, report } = repo();
    writeJson(path.join(report, "matrix.json"), pass(1, 1, "2026-12-07T01:00:00.000Z", 3.33));
    const first = record(report, { root });
    writeJson(path.join(report, "matrix.json"), pass(1, 1, "2026-12-07T05:00:00.000Z", 4.44));
    const second = record(report, { root });
    expect(second).toBe(`${first}-2`);
    expect(readme(root)).toContain("4.44");
    expect(readme(root)).not.toContain("3.33");
  });

  it("fills in the machine of a report that names none, and says it was read when recorded", () => {
    const { root, report } = repo();
    writeJson(path.join(report, "matrix.json"), pass(1, 1, "2026-12-07T01:00:00.000Z", 3.33, null));
    const stem = record(report, { root, machine: { ...MACHINE, cpuModel: "Other CPU" } });
    expect(stem).toBe("2026-12-07-2c-other-matrix");
    expect(readme(root)).toContain(
      "Other CPU, host Docker engine 20.10.24, cgroup v1, kernel 6.1.0-fixture (read when recorded: the report named none)",
    );
  });

  it("records the drill's report.json, with its Docker-defaults baseline", () => {
    const { root, report } = repo();
    writeJson(path.join(report, "report.json"), {
      scenario: "stop-worker",
      drill: "worker-stop",
      target: { node: "swarm-ha-worker-1", role: "worker" },
      detectSeconds: 1.7,
      restoreSeconds: 4.43,
      replicas: { desired: 3, runningOnReady: 3 },
      load: {
        connections: 50,
        durationSeconds: 60,
        requests: 56854,
        failed: 0,
        p50Ms: 6.2,
        p99Ms: 41.9,
      },
      baseline: { detectSeconds: 16.36, restoreSeconds: 23 },
      passed: true,
      startedAt: "2026-12-07T01:00:00.000Z",
      tuning: {
        dispatcherHeartbeatSeconds: 0.6,
        taskRestartDelaySeconds: 0,
        baseline: { dispatcherHeartbeatSeconds: 5 },
      },
      lab: {
        url: "http://172.28.5.100/",
        managers: 1,
        workers: 3,
        replicas: 3,
        machine: MACHINE,
        images: {},
      },
    });
    const stem = record(report, { root });
    expect(stem).toBe("2026-12-07-2c-fixture-9000-drill");
    const block = blocks(root).find((b) => b.file === "README.md")!.text;
    expect(block).toContain(
      "| worker-stop (swarm-ha-worker-1) | 1 of 1 | 4.43 | 1.7 | 0 / 56854 | 42 |",
    );
    expect(block).toContain(
      "| worker-stop (swarm-ha-worker-1), Docker's default timings | — | 23 | 16.36 |",
    );
    expect(unbackedFigures(root)).toEqual([]);
  });

  it("refuses a directory without a report, naming what to run (exit 4)", () => {
    const { root, report } = repo();
    let err: unknown;
    try {
      record(report, { root });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MeasurementError);
    expect((err as MeasurementError).exitCode).toBe(4);
    expect((err as Error).message).toMatch(
      /no matrix.json or report.json in .*npm run lab -- matrix/,
    );
  });
});

describe("this repository", () => {
  it("keeps docs/measurements/, the README block and the docs blocks as the records render them", () => {
    expect(stale()).toEqual([]);
  });

  it("quotes no figure in a generated block that a record under docs/measurements/ does not hold", () => {
    expect(blocks().map((b) => b.file)).toContain("README.md");
    expect(unbackedFigures()).toEqual([]);
  });
});
