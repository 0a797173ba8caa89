/**
 * The failure matrix's renderers (chaos/scenarios/matrixReport.ts): matrix.json's exact contract shape,
 * the md table of figures beside budgets (and Docker defaults), a well-formed SVG per scenario
 * (real xmllint), and the files written.
 */
import { xmllint } from "../validators";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describe, expect, it } from "vitest";
import { judgeScenario, notWiredResult, type ScenarioResult } from "../../chaos/scenarios/matrix";
import {
  renderMatrixJson,
  renderMatrixMd,
  renderMatrixPassesJson,
  renderScenarioSvg,
  writeMatrixReport,
  type MatrixRun,
} from "../../chaos/scenarios/matrixReport";

const perSecond = Array.from({ length: 10 }, (_, i) => ({
  second: i,
  ok: 3000,
  failed: i === 3 ? 12 : 0,
}));
const kill = judgeScenario(
  {
    name: "worker-kill",
    restoreSeconds: 3.4,
    detectSeconds: 2.2,
    load: { requests: 30_000, failed: 0, p50Ms: 6.2, p99Ms: 210.4, resent: 7 },
    perSecond: perSecond.map((b) => ({ ...b, failed: 0 })),
    loadOffsetSeconds: -2,
    marks: [
      { t: 0, label: "stop" },
      { t: 2.2, label: "marked down" },
      { t: 3.4, label: "restored" },
    ],
    detail: { why: "swarm-ha-worker-2 (worker): Ready worker running task slot 2" },
  },
  [],
  { connections: 200 },
);
const edge = judgeScenario(
  {
    name: "edge-kill",
    restoreSeconds: 1.37,
    detectSeconds: 1.1,
    load: { requests: 30_012, failed: 12, p50Ms: 5, p99Ms: 900, resent: 0 },
    perSecond,
    loadOffsetSeconds: -2,
    marks: [
      { t: 0, label: "stop" },
      { t: 1.37, label: "restored" },
    ],
  },
  [],
  { connections: 200, perConnection: true },
);
const run = (scenarios: ScenarioResult[], extra: Partial<MatrixRun> = {}): MatrixRun => ({
  connections: 200,
  scenarios,
  passed: scenarios.every((s) => s.passed),
  ...extra,
});

describe("matrix.json", () => {
  it("is exactly { connections, scenarios: [ { name, passed, restoreSeconds, detectSeconds, load, failures } ] } plus extras", () => {
    const j = JSON.parse(renderMatrixJson(run([kill, edge, notWiredResult("nfs-stop")])));
    expect(Object.keys(j).slice(0, 2)).toEqual(["connections", "scenarios"]);
    expect(j.connections).toBe(200);
    expect(j.scenarios.map((s: { name: string }) => s.name)).toEqual([
      "worker-kill",
      "edge-kill",
      "nfs-stop",
    ]);
    for (const s of j.scenarios) {
      expect(Object.keys(s).slice(0, 6)).toEqual([
        "name",
        "passed",
        "restoreSeconds",
        "detectSeconds",
        "load",
        "failures",
      ]);
      expect(Object.keys(s.load)).toEqual(["requests", "failed", "p50Ms", "p99Ms", "resent"]);
      expect(s).not.toHaveProperty("perSecond"); // the buckets live in the SVGs
    }
    expect(j.scenarios[0]).toMatchObject({
      passed: true,
      restoreSeconds: 3.4,
      detectSeconds: 2.2,
      load: { requests: 30_000, failed: 0, p50Ms: 6.2, p99Ms: 210.4, resent: 7 },
      failures: [],
    });
    expect(j.scenarios[1]).toMatchObject({
      passed: false,
      restoreSeconds: 1.37,
      failures: ["takeover 1.37 s over the 1 s budget"],
      budget: { restoreSeconds: 1, maxFailed: 200 },
    });
    expect(j.scenarios[2]).toMatchObject({
      passed: false,
      restoreSeconds: null,
      detectSeconds: null,
    });
    expect(j.passed).toBe(false);
  });

  it("matrix-passes.json passes only when every pass did", () => {
    expect(JSON.parse(renderMatrixPassesJson([run([kill]), run([kill])])).passed).toBe(true);
    const mixed = JSON.parse(renderMatrixPassesJson([run([kill]), run([edge])]));
    expect(mixed.passed).toBe(false);
    expect(mixed.passes).toHaveLength(2);
    expect(JSON.parse(renderMatrixPassesJson([])).passed).toBe(false);
  });
});

describe("matrix.md", () => {
  it("shows each figure beside its budget, marks what broke it and lists why", () => {
    const md = renderMatrixMd(
      run([kill, edge, notWiredResult("bad-update")], {
        baseline: {
          "worker-kill": {
            detectSeconds: 15.2,
            restoreSeconds: 20.1,
            requests: 9,
            failed: 0,
            passed: false,
          },
        },
      }),
    );
    expect(md).toContain("# Failure matrix — FAILED");
    expect(md).toContain(
      "| worker-kill | ✅ passed | 3.40 s ✅ | ≤ 5 s | 2.20 s | 0 / 30000 ✅ | ≤ 0 | 6 ms | 210 ms ✅ | ≤ 1500 ms | 7 | 15.20 s / 20.10 s |",
    );
    expect(md).toContain(
      "| edge-kill | ❌ failed | 1.37 s ❌ | ≤ 1 s | 1.10 s | 12 / 30012 ✅ | ≤ 200 | 5 ms | 900 ms ✅ | ≤ 1500 ms | 0 | — |",
    );
    expect(md).toContain(
      "| bad-update | ❌ did not run | — | — | — | — | ≤ 0 | — | — | ≤ 1500 ms | — | — |",
    );
    expect(md).toContain("- **edge-kill**: takeover 1.37 s over the 1 s budget");
    expect(md).toMatch(/- \*\*bad-update\*\*: bad-update did not run: not wired/);
    expect(md).toContain(
      "- **worker-kill**: swarm-ha-worker-2 (worker): Ready worker running task slot 2",
    );
    expect(md).toContain("![worker-kill](matrix-worker-kill.svg)");
    expect(md).not.toContain("matrix-bad-update.svg");
  });

  it("says PASSED only when every row passed, and drops the baseline column without one", () => {
    const md = renderMatrixMd(run([kill]));
    expect(md).toContain("# Failure matrix — PASSED");
    expect(md).not.toContain("Docker defaults");
  });
});

describe("matrix-<name>.svg", () => {
  it("is well-formed, charts ok and failed per second and the scenario's marks", () => {
    const svg = renderScenarioSvg(edge, 200);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain(
      "edge-kill — failed, takeover in 1.37 s; 12 of 30012 failed (≤ 200), p99 900 ms",
    );
    expect((svg.match(/ ok at /g) ?? []).length).toBe(10);
    expect(svg).toContain("<title>12 failed at 1.0 s</title>");
    for (const l of ["stop 0.0 s", "restored 1.4 s"]) expect(svg).toContain(l);
    xmllint(svg);
  });

  it("a row without load still renders a valid (empty) chart", () => {
    xmllint(renderScenarioSvg(notWiredResult("nfs-stop"), 200));
  });
});

describe("writeMatrixReport", () => {
  it("writes matrix.json, matrix.md, an SVG per scenario that ran, and matrix-passes.json for several passes", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "matrix-report-"));
    writeMatrixReport(dir, [run([kill, notWiredResult("nfs-stop")])]);
    expect(fs.readdirSync(dir).sort()).toEqual([
      "matrix-worker-kill.svg",
      "matrix.json",
      "matrix.md",
    ]);
    writeMatrixReport(dir, [run([kill]), run([edge], { pass: 2, passes: 2 })]);
    expect(fs.readdirSync(dir).sort()).toContain("matrix-passes.json");
    expect(
      JSON.parse(fs.readFileSync(path.join(dir, "matrix.json"), "utf8")).scenarios[0].name,
    ).toBe("edge-kill");
    expect(() => writeMatrixReport(dir, [])).toThrow(/no pass/);
  });
});
