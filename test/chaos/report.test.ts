import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { xmllint } from "../validators";
import { describe, expect, it } from "vitest";
import { runDrill } from "../../chaos/drill/core";
import {
  compactReport,
  renderReportJson,
  renderReportMd,
  renderTimelineSvg,
  writeReport,
} from "../../chaos/report/report";
import type { LoadHook } from "../../chaos/types";
import { FakeClock, ScriptedSwarm, workerScript } from "./fakes";

async function sampleResult(restoreAt = 9, failed = 0) {
  const clock = new FakeClock();
  const swarm = new ScriptedSwarm(clock, workerScript({ detectAt: 4, restoreAt }));
  const load: LoadHook = {
    start: () => undefined,
    stop: async () => ({
      connections: 50,
      durationSeconds: 15,
      requests: 9000,
      failed,
      p50Ms: 4.2,
      p99Ms: 880,
      perSecond: Array.from({ length: 15 }, (_, i) => ({
        second: i,
        ok: 600 - (i === 6 ? failed : 0),
        failed: i === 6 ? failed : 0,
      })),
      perNode: { w1: 1000, w2: 4000, w3: 4000 - failed },
      failures: (failed ? { timeout: failed } : {}) as Record<string, number>,
    }),
  };
  return runDrill(swarm, swarm, {
    service: "was",
    managersRunTasks: false,
    clock,
    signals: null,
    load,
    deadlineSeconds: 20,
  });
}

describe("report renderers", () => {
  it("report.json keeps the contract fields with their measured values", async () => {
    const r = await sampleResult();
    const j = JSON.parse(renderReportJson(r));
    expect(j).toMatchObject({
      scenario: "stop-worker",
      target: { node: "w1", role: "worker" },
      detectSeconds: 4,
      restoreSeconds: 9,
      replicas: { desired: 3, runningOnReady: 3 },
      load: {
        connections: 50,
        durationSeconds: 15,
        requests: 9000,
        failed: 0,
        p50Ms: 4.2,
        p99Ms: 880,
      },
      passed: true,
      failures: [],
      targets: { deadlineSeconds: 20, maxFailed: 0, maxP99Ms: 1500 },
    });
    expect(j.timeline.length).toBe(r.timeline.length);
    const c = compactReport(r);
    expect(c).not.toHaveProperty("timeline");
    expect(c).toMatchObject({
      passed: true,
      failures: [],
      restoreSeconds: 9,
      listedRunning: 4,
      perNode: { w1: 1000, w2: 4000, w3: 4000 },
    });
    expect(JSON.stringify(c).length).toBeLessThan(1000);
  });

  it("report.md states the verdict, the figures against the budgets the verdict used and the 4/3 figure", async () => {
    const md = renderReportMd(await sampleResult());
    expect(md).toContain("# Chaos drill: stop-worker w1 — PASSED");
    expect(md).toContain("| node marked down | 4.00 s | — (no budget) | — |");
    expect(md).toContain("| 3 replicas running on Ready nodes | 9.00 s | ≤ 20 s | ✅ |");
    expect(md).toContain("| running on Ready at the end | 3/3 (listed: 4/3) | 3/3 | ✅ |");
    expect(md).toContain("| failed requests | 0 of 9000 | ≤ 0 | ✅ |");
    expect(md).toContain("| w2 | 4000 |");
  });

  it("a drill that lost requests FAILS, and report.md says why with the budget", async () => {
    const r = await sampleResult(9, 7);
    expect(r.passed).toBe(false);
    expect(r.failures).toEqual(["7 of 9000 requests failed (budget 0; --max-failed)"]);
    const md = renderReportMd(r);
    expect(md).toContain("# Chaos drill: stop-worker w1 — FAILED");
    expect(md).toContain("**Reason:** 7 of 9000 requests failed (budget 0; --max-failed)");
    expect(md).toContain("| failed requests | 7 of 9000 | ≤ 0 | ❌ |");
    expect(md).toContain("Failures by cause: timeout × 7");
  });

  it("report.md shows the reason of a failure and the tuned/default ratio with a baseline", async () => {
    const r = {
      ...(await sampleResult(10_000)),
      baseline: { detectSeconds: 16, restoreSeconds: 21 },
    };
    const md = renderReportMd(r);
    expect(md).toContain("— FAILED");
    expect(md).toContain("**Reason:** not restored within the 20 s deadline");
    expect(md).toContain("| node marked down | 4.00 s | — (no budget) | — | 16.00 s | 0.25 |");
  });

  it("timeline.svg is well-formed, labels its axes and marks stop, detection, restore and start", async () => {
    const r = await sampleResult(9, 7);
    const svg = renderTimelineSvg(r);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("seconds after the stop request");
    expect(svg).toContain("requests per second (ok / failed)");
    expect(svg).toContain("tasks running on Ready nodes");
    for (const label of ["stop 0.0 s", "marked down 4.0 s", "restored 9.0 s", "start 12.5 s"])
      expect(svg).toContain(label);
    // 15 ok bars and one failed bar at 4 s after the stop (load started 2 s before it).
    expect((svg.match(/ ok at /g) ?? []).length).toBe(15);
    expect(svg).toContain("<title>7 failed at 4.0 s</title>");
    // A real XML parser must accept it (.ci/run installs libxml2-utils).
    xmllint(svg);
  });

  it("the SVG check can fail: xmllint rejects an unbalanced tag", () => {
    expect(() => xmllint("<svg><text>x</svg>")).toThrow(/xmllint rejected/);
  });

  it("writeReport writes the three files", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chaos-report-"));
    const files = writeReport(path.join(dir, "out"), await sampleResult());
    expect(fs.readdirSync(path.join(dir, "out")).sort()).toEqual([
      "report.json",
      "report.md",
      "timeline.svg",
    ]);
    expect(JSON.parse(fs.readFileSync(files.json, "utf8")).passed).toBe(true);
    fs.rmSync(dir, { recursive: true });
  });
});
